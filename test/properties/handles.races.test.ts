/**
 * Race freedom of state handles, as a property: the session race properties with handle ids as
 * keys. fast-check draws a configuration of a `counter` handle kind, principals opening handles and
 * calling tools on them (their own ids, other principals', stopped ones, ids never minted) through
 * 2025 sessions and `runtime.serve`, cancellations, `ctx.handle.close()`, clock advances past idle
 * timeouts and `runtime.close`, and an interleaving of handler steps, network deliveries and the
 * commands themselves; time moves only through a `ManualClock`. Every invariant of
 * `handleInvariants.ts` is checked in every run (after each command, at quiescence and after
 * shutdown): a handle run costs several session runs, and one run checks them all at once.
 * `handles.mutations.test.ts` shows each invariant failing on a runtime with its bug. See README.md.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { allHandleInvariants } from './handleInvariants.js';
import { handleRaceProperty, handleRuns } from './handleRace.js';
import { realHandleRuntime } from './handleSubject.js';
import { propertyParameters, timeoutFor } from './raceRun.js';

describe('state handles under racing clients', () => {
  it(
    'keep one live actor per id, reach only their owner, run FIFO one call at a time and apart from other handles, settle every call, start nothing after a stop, never lose a call racing a stop, keep their state, and account for every handle',
    async () => {
      await fc.assert(
        handleRaceProperty(realHandleRuntime, allHandleInvariants),
        propertyParameters(handleRuns),
      );
    },
    timeoutFor(handleRuns),
  );
});
