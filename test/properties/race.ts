/**
 * Builds one session race property: a random configuration, a random command sequence and a random
 * interleaving (fast-check's scheduler orders handler steps, network deliveries and the commands
 * themselves), run against a runtime factory and checked against the model after every command.
 * The run itself, run counts and replay are shared with the handle properties (`raceRun.ts`).
 */
import fc from 'fast-check';
import { raceCommands } from './commands.js';
import { Harness } from './harness.js';
import type { Invariant } from './invariants.js';
import type { Model, ScenarioConfig } from './model.js';
import { createModel, messageAt } from './model.js';
import { cancelGraceMsOf, scheduledRunProperty, scheduledScenario } from './raceRun.js';
import type { RuntimeFactory } from './subject.js';
import * as model from './transitions.js';

export interface ScenarioOptions {
  /** Every request to this session hangs. */
  readonly hangingSession?: string;
  readonly maxCommands?: number;
}

const sessionIds = ['a', 'b', 'c'] as const;
const idleTimeoutMs = 1_000;

/**
 * As the cancel grace (`cancelGraceMsOf`), a request timeout never ends on a whole millisecond, where
 * commands and drain deadlines fall; its own fraction keeps it off every grace too.
 */
const timeoutFraction = 1 / 4_096;

export function scenario(options: ScenarioOptions = {}) {
  const config: fc.Arbitrary<ScenarioConfig> = fc.record({
    sessionIds: fc.constant(sessionIds),
    maxConcurrentRequests: fc.integer({ min: 1, max: 3 }),
    mailboxCapacity: fc.integer({ min: 1, max: 4 }),
    maxSessions: fc.integer({ min: 2, max: 4 }),
    spawnPolicy: fc.constantFrom('initialize' as const, 'any' as const),
    idleTimeoutMs: fc.constant(idleTimeoutMs),
    cancelGraceMs: cancelGraceMsOf(idleTimeoutMs),
    requestTimeoutMs: fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.integer({ min: 0, max: 3 * idleTimeoutMs }).map((ms) => ms + timeoutFraction),
    ),
  });
  const commands = raceCommands({
    sessionIds,
    idleTimeoutMs,
    maxCommands: options.maxCommands ?? 30,
    ...(options.hangingSession === undefined ? {} : { hangingSession: options.hangingSession }),
  });
  return scheduledScenario(config, commands);
}

/** Takes in what the harness saw since last time: deliveries and handler returns, in order. */
export function catchUp(state: Model, harness: Harness): void {
  while (harness.consumed < harness.stimuli.length) {
    const stimulus = harness.stimuli[harness.consumed++];
    if (stimulus?.kind === 'delivered') {
      for (const key of stimulus.keys) model.deliver(state, messageAt(state, key));
    } else if (stimulus?.kind === 'returned') {
      model.handlerReturned(state, stimulus.key);
    }
  }
}

/** The property: `invariants` hold for `factory` under every drawn scenario and interleaving. */
export function raceProperty(
  factory: RuntimeFactory,
  invariants: readonly Invariant[],
  options: ScenarioOptions = {},
) {
  return scheduledRunProperty(
    scenario(options),
    {
      createModel,
      createHarness: (config, scheduler) => new Harness(factory, config, scheduler),
      catchUp,
      transitions: model,
    },
    invariants,
  );
}
