/**
 * Race freedom of the session runtime, as properties: fast-check draws a configuration, a sequence of
 * client and operator commands, and an interleaving of handler steps, network deliveries and the
 * commands themselves; time moves only through a `ManualClock`. After every command the runtime is
 * compared with the model (`model.ts`) and checked against one invariant (the list is in
 * `raceSuite.ts`). See README.md to replay a counterexample and to run more interleavings.
 */
import { describeRaceProperties } from './raceSuite.js';
import { realRuntime } from './subject.js';

describeRaceProperties('session runtime under racing clients', realRuntime);
