/**
 * Builds one handle race property: a random configuration of the `counter` kind, a random command
 * sequence and a random interleaving (fast-check's scheduler orders handler steps, network
 * deliveries and the commands themselves), run against a runtime factory and checked after every
 * command, at quiescence and after shutdown. The run itself, run counts and replay are shared with
 * the session properties (`raceRun.ts`, README.md).
 */
import fc from 'fast-check';
import { handleCommands } from './handleCommands.js';
import { HandleHarness } from './handleHarness.js';
import type { HandleInvariant } from './handleInvariants.js';
import type { HandleModel, HandleScenarioConfig } from './handleModel.js';
import { callAt, createHandleModel } from './handleModel.js';
import type { HandleRuntimeFactory } from './handleSubject.js';
import * as model from './handleTransitions.js';
import { cancelGraceMsOf, numRuns, scheduledRunProperty, scheduledScenario } from './raceRun.js';

/**
 * Runs of the handle property: `PROPERTY_RUNS`, as for each session property (500 by default). A
 * handle run drives the whole `tools/call` path (zod, two mailboxes per call) and checks every
 * invariant, about four times the work of a session run.
 */
export const handleRuns = numRuns;

const idleTimeoutMs = 1_000;

export function handleScenario(maxCommands = 30) {
  const config: fc.Arbitrary<HandleScenarioConfig> = fc.record({
    idleTimeoutMs: fc.constant(idleTimeoutMs),
    mailboxCapacity: fc.integer({ min: 1, max: 3 }),
    maxHandles: fc.integer({ min: 2, max: 6 }),
    maxPerPrincipal: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(Number.POSITIVE_INFINITY)),
    cancelGraceMs: cancelGraceMsOf(idleTimeoutMs),
  });
  return scheduledScenario(config, handleCommands({ idleTimeoutMs, maxCommands }));
}

/** Takes in what the harness saw since last time: deliveries, cancels and handler returns, in order. */
export function catchUp(state: HandleModel, harness: HandleHarness): void {
  while (harness.consumed < harness.stimuli.length) {
    const stimulus = harness.stimuli[harness.consumed++];
    if (stimulus === undefined) continue;
    if (stimulus.kind === 'delivered') {
      for (const key of stimulus.keys) model.deliverCall(state, callAt(state, key));
    } else if (stimulus.kind === 'cancelled') {
      model.cancelCall(state, callAt(state, stimulus.key));
    } else {
      model.handlerReturned(state, stimulus.key);
    }
  }
}

/** The property: `invariants` hold for `factory` under every drawn scenario and interleaving. */
export function handleRaceProperty(factory: HandleRuntimeFactory, invariants: readonly HandleInvariant[]) {
  return scheduledRunProperty(
    handleScenario(),
    {
      createModel: createHandleModel,
      createHarness: (config, scheduler) => new HandleHarness(factory, config, scheduler),
      catchUp,
      transitions: model,
    },
    invariants,
  );
}
