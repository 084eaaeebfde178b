/**
 * Builds one race property: a random configuration, a random command sequence and a random
 * interleaving (fast-check's scheduler orders handler steps, network deliveries and the commands
 * themselves), run against a runtime factory and checked against the model after every command.
 *
 * Run counts and replay come from the environment (see README.md):
 *   PROPERTY_RUNS                 runs per property (default {@link defaultRuns})
 *   PROPERTY_SEED, PROPERTY_PATH  replay one counterexample
 */
import fc from 'fast-check';
import type { RaceReal } from './commands.js';
import { raceCommands } from './commands.js';
import { assertNoViolations } from './compare.js';
import { Harness } from './harness.js';
import type { Invariant } from './invariants.js';
import type { Model, ScenarioConfig } from './model.js';
import { createModel, messageAt } from './model.js';
import type { RuntimeFactory } from './subject.js';
import * as model from './transitions.js';

/**
 * Runs per property when `PROPERTY_RUNS` is not set. Each run is one configuration, command sequence
 * and interleaving; 500 keep the whole property suite near 20 s on a busy 2-core machine.
 */
export const defaultRuns = 500;

export const numRuns = readPositiveInteger('PROPERTY_RUNS') ?? defaultRuns;

/** A vitest timeout that grows with the number of runs. */
export const timeoutFor = (runs: number): number => Math.max(30_000, runs * 40);

function readPositiveInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${raw}\``);
  }
  return value;
}

/**
 * `fc.assert` parameters: the run count or, when `PROPERTY_SEED` is set, a replay of that seed. Only
 * the first segment of `PROPERTY_PATH` (the failing run) is used: fast-check regenerates that run and
 * shrinks it again, deterministically, to the same counterexample. (Replaying a deeper shrink path is
 * not reliable for scheduled command sequences, whose shrink tree depends on what ran.)
 */
export function propertyParameters(runs: number = numRuns): fc.Parameters<unknown> {
  const seed = process.env.PROPERTY_SEED;
  if (seed === undefined || seed === '') return { numRuns: runs };
  const run = process.env.PROPERTY_PATH?.split(':')[0];
  return { numRuns: runs, seed: Number(seed), ...(run ? { path: run } : {}) };
}

/** Lets every promise reaction the runtime queued run (the runtime never waits on anything else). */
export async function settleReactions(): Promise<void> {
  for (let tick = 0; tick < 32; tick++) await Promise.resolve();
}

/**
 * The scheduler's act: after each released task (a handler step, a delivery, a command), let the
 * runtime finish reacting before the next one, so that the model sees one stimulus at a time.
 */
const act = async (task: () => Promise<void>): Promise<void> => {
  await task();
  await settleReactions();
};

export interface ScenarioOptions {
  /** Every request to this session hangs. */
  readonly hangingSession?: string;
  readonly maxCommands?: number;
}

const sessionIds = ['a', 'b', 'c'] as const;
const idleTimeoutMs = 1_000;

/**
 * Every time a command runs at is a whole millisecond, and so is every drain deadline. A slot given
 * back at its cancel grace or request timeout must not fall on a drain deadline: the two timers
 * would be due together, and which the runtime created first (not a rule the model states) would
 * decide whether a queued request starts before its session stops. Either order is correct, so the
 * drawn durations carry small binary fractions (exact in floating point) that no chain of a few
 * hundred grace and timeout hops can add up to a whole millisecond.
 */
const graceFraction = 1 / 1_024;
const timeoutFraction = 1 / 4_096;

export function scenario(options: ScenarioOptions = {}) {
  const config: fc.Arbitrary<ScenarioConfig> = fc.record({
    sessionIds: fc.constant(sessionIds),
    maxConcurrentRequests: fc.integer({ min: 1, max: 3 }),
    mailboxCapacity: fc.integer({ min: 1, max: 4 }),
    maxSessions: fc.integer({ min: 2, max: 4 }),
    spawnPolicy: fc.constantFrom('initialize' as const, 'any' as const),
    idleTimeoutMs: fc.constant(idleTimeoutMs),
    cancelGraceMs: fc.oneof(
      fc.constant(Number.POSITIVE_INFINITY),
      fc.constant(0),
      fc.integer({ min: 0, max: 2 * idleTimeoutMs }).map((ms) => ms + graceFraction),
    ),
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
  return fc.record({ config, scheduler: fc.scheduler({ act }), commands });
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

type Phase = 'afterCommand' | 'atQuiescence' | 'atEnd';

function verify(invariants: readonly Invariant[], phase: Phase, state: Model, harness: Harness): void {
  for (const invariant of invariants) {
    assertNoViolations(invariant.name, harness);
    invariant[phase]?.(state, harness);
  }
}

/** Shuts the runtime down with the drain cut short, then lets every last reaction run. */
async function shutDown(state: Model, harness: Harness, scheduler: fc.Scheduler): Promise<void> {
  catchUp(state, harness);
  const drainMs = state.config.idleTimeoutMs / 2;
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
export function raceProperty(
  factory: RuntimeFactory,
  invariants: readonly Invariant[],
  options: ScenarioOptions = {},
) {
  return fc.asyncProperty(scenario(options), async ({ config, scheduler, commands }) => {
    const observe = async (state: Model, harness: Harness) => {
      await settleReactions();
      catchUp(state, harness);
      verify(invariants, 'afterCommand', state, harness);
    };
    let run: { readonly model: Model; readonly real: RaceReal } | undefined;
    const setup = () => {
      run = {
        model: createModel(config),
        real: { harness: new Harness(factory, config, scheduler), observe, invariants },
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
