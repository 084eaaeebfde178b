/**
 * Builds one handle race property: a random configuration of the `counter` kind, a random command
 * sequence and a random interleaving (fast-check's scheduler orders handler steps, network
 * deliveries and the commands themselves), run against a runtime factory and checked after every
 * command, at quiescence and after shutdown. Run counts and replay as in `race.ts` (README.md).
 */
import fc from 'fast-check';
import type { HandleReal } from './handleCommands.js';
import { handleCommands } from './handleCommands.js';
import { HandleHarness } from './handleHarness.js';
import type { HandleInvariant } from './handleInvariants.js';
import { assertNoViolations } from './handleInvariants.js';
import type { HandleModel, HandleScenarioConfig } from './handleModel.js';
import { callAt, createHandleModel } from './handleModel.js';
import type { HandleRuntimeFactory } from './handleSubject.js';
import * as model from './handleTransitions.js';
import { numRuns, settleReactions } from './race.js';

/**
 * Runs of the handle property: `PROPERTY_RUNS`, as for each session property (500 by default). A
 * handle run drives the whole `tools/call` path (zod, two mailboxes per call) and checks every
 * invariant, about four times the work of a session run.
 */
export const handleRuns = numRuns;

const idleTimeoutMs = 1_000;
/** As in `race.ts`: a grace never ends on a whole millisecond, where commands and deadlines fall. */
const graceFraction = 1 / 1_024;

const act = async (task: () => Promise<void>): Promise<void> => {
  await task();
  await settleReactions();
};

export function handleScenario(maxCommands = 30) {
  const config: fc.Arbitrary<HandleScenarioConfig> = fc.record({
    idleTimeoutMs: fc.constant(idleTimeoutMs),
    mailboxCapacity: fc.integer({ min: 1, max: 3 }),
    maxHandles: fc.integer({ min: 2, max: 6 }),
    maxPerPrincipal: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(Number.POSITIVE_INFINITY)),
    cancelGraceMs: fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.constant(0),
      fc.integer({ min: 0, max: 2 * idleTimeoutMs }).map((ms) => ms + graceFraction),
    ),
  });
  const commands = handleCommands({ idleTimeoutMs, maxCommands });
  return fc.record({ config, scheduler: fc.scheduler({ act }), commands });
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

type Phase = 'afterCommand' | 'atQuiescence' | 'atEnd';

function verify(
  invariants: readonly HandleInvariant[],
  phase: Phase,
  state: HandleModel,
  harness: HandleHarness,
): void {
  for (const invariant of invariants) {
    assertNoViolations(invariant.name, harness);
    invariant[phase]?.(state, harness);
  }
}

/** Closes the runtime with the drain cut short, then lets every last reaction run. */
async function shutDown(state: HandleModel, harness: HandleHarness, scheduler: fc.Scheduler): Promise<void> {
  catchUp(state, harness);
  const drainMs = idleTimeoutMs / 2;
  model.close(state, drainMs);
  harness.close(drainMs);
  await settleReactions();
  if (state.directory === 'draining' && state.drainDeadline !== undefined) {
    const ms = state.drainDeadline - state.now;
    model.advance(state, ms);
    harness.clock.advance(ms);
  }
  await scheduler.waitIdle();
  await settleReactions();
  catchUp(state, harness);
}

/** The property: `invariants` hold for `factory` under every drawn scenario and interleaving. */
export function handleRaceProperty(factory: HandleRuntimeFactory, invariants: readonly HandleInvariant[]) {
  return fc.asyncProperty(handleScenario(), async ({ config, scheduler, commands }) => {
    const observe = async (state: HandleModel, harness: HandleHarness) => {
      await settleReactions();
      catchUp(state, harness);
      verify(invariants, 'afterCommand', state, harness);
    };
    let run: { readonly model: HandleModel; readonly real: HandleReal } | undefined;
    const setup = () => {
      run = {
        model: createHandleModel(config),
        real: { harness: new HandleHarness(factory, config, scheduler), observe, invariants },
      };
      return run;
    };
    await fc.scheduledModelRun(scheduler, setup, commands);
    if (run === undefined) throw new Error('the model run never started');
    const { model: state, real } = run;
    await observe(state, real.harness);
    verify(invariants, 'atQuiescence', state, real.harness);
    await shutDown(state, real.harness, scheduler);
    verify(invariants, 'afterCommand', state, real.harness);
    verify(invariants, 'atEnd', state, real.harness);
  });
}
