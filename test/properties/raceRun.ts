/**
 * What the session race properties (`race.ts`) and the state-handle ones (`handleRace.ts`) share:
 * run counts and replay; the scheduled model run (a drawn configuration, command sequence and
 * interleaving, the model and the harness compared after every command, at quiescence and after a
 * shutdown with the drain cut short); the command class and the commands that only move the clock
 * or close the runtime; the model's clock; and the plumbing of the invariants. Each side brings its
 * own model, transitions, harness, commands and invariants.
 *
 * Run counts and replay come from the environment (see README.md):
 *   PROPERTY_RUNS                 runs per property (default {@link defaultRuns})
 *   PROPERTY_SEED, PROPERTY_PATH  replay one counterexample
 */
import fc from 'fast-check';
import { ManualClock } from '../../src/index.js';
import type { HandlerOutcome } from './model.js';

// ── Run counts and replay ───────────────────────────────────────────────────────────────────

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

// ── What a run is made of ───────────────────────────────────────────────────────────────────

/** What the run needs of a model: its configuration, its clock, and where `close()` stands. */
export interface RunModel<Config extends { readonly idleTimeoutMs: number }> {
  readonly config: Config;
  now: number;
  directory: 'accepting' | 'draining' | 'closed';
  drainDeadline: number | undefined;
}

/** The model's moves that the shared commands and the shutdown make. */
export interface Transitions<Model> {
  /** Time passes by `ms`. */
  advance(model: Model, ms: number): void;
  /** `runtime.close({ drainMs })`. */
  close(model: Model, drainMs: number): void;
}

/** A check that failed at the very moment something occurred, tagged with its invariant. */
export interface Violation<Name extends string> {
  readonly invariant: Name;
  readonly message: string;
}

/** What the run needs of a harness (the real side). */
export interface RunHarness<Name extends string> {
  readonly clock: ManualClock;
  readonly violations: readonly Violation<Name>[];
  /** Calls `runtime.close({ drainMs })` and records when it resolves. */
  close(drainMs: number): void;
}

// Scheduled by name, so that a counterexample reads `handlerResolves("a",4)`, `deliver("b","work#7")`
// (`handlerResolves("inc",4)`, `deliver("alice","inc#7")` for handles). Their bodies do nothing: the
// scheduler decides when the promise they return resolves.
async function handlerResolves(_on: string, _tag: number): Promise<void> {}
async function handlerRejects(_on: string, _tag: number): Promise<void> {}
async function deliver(_to: string, _what: string): Promise<void> {}

/**
 * What every harness has: a `ManualClock`, the stimuli the model takes in, the violations recorded
 * at the moment they occur, `close()` and whether it resolved, and the scheduled handler steps and
 * network deliveries that fast-check's scheduler releases.
 */
export abstract class ScheduledHarness<Name extends string, Stimulus> implements RunHarness<Name> {
  readonly clock = new ManualClock();
  readonly stimuli: Stimulus[] = [];
  /** How many stimuli the model has taken in. */
  consumed = 0;
  readonly violations: Violation<Name>[] = [];
  closeCalls = 0;
  closeSettled = false;
  /** A handler's step on `on` (its session or tool) for call `tag`: resolves when the scheduler says. */
  protected readonly steps: Record<'resolves' | 'rejects', (on: string, tag: number) => Promise<void>>;
  /** A network delivery to `to` of `what`: resolves when the scheduler says. */
  protected readonly network: (to: string, what: string) => Promise<void>;
  abstract readonly runtime: { close(options: { readonly drainMs?: number }): Promise<void> };

  constructor(readonly scheduler: fc.Scheduler) {
    this.steps = {
      resolves: scheduler.scheduleFunction(handlerResolves),
      rejects: scheduler.scheduleFunction(handlerRejects),
    };
    this.network = scheduler.scheduleFunction(deliver);
  }

  violate(invariant: Name, message: string): void {
    this.violations.push({ invariant, message });
  }

  close(drainMs: number): void {
    this.closeCalls++;
    void this.runtime.close({ drainMs }).then(() => {
      this.closeSettled = true;
    });
  }
}

/**
 * An invariant: a named set of checks run after every command, once every scheduled task has run
 * (quiescence, before shutdown), and after shutdown. Each throws an `Error` naming the invariant.
 */
export interface RunInvariant<Model, Harness, Name extends string> {
  readonly name: Name;
  afterCommand?(model: Model, harness: Harness): void;
  atQuiescence?(model: Model, harness: Harness): void;
  atEnd?(model: Model, harness: Harness): void;
}

/** What a command acts on besides the model: the harness, and how to look before and after. */
export interface RunReal<Model, Harness> {
  readonly harness: Harness;
  /** Runs before and after every command: takes in what happened meanwhile, then checks. */
  readonly observe: (model: Model, harness: Harness) => Promise<void>;
}

// ── The model's clock ───────────────────────────────────────────────────────────────────────

/** Offers one thing due at time `at` (an idle stop, a slot given back, the drain deadline). */
export type Consider = (at: number, apply: () => void) => void;

/**
 * Time passes on a model: `listDue` offers everything pending, and the earliest due by `now + ms` is
 * applied at its time (of two due at once, the first offered), then the list is asked for again (an
 * applied one may start or end others), until nothing is due; then the clock reaches `now + ms`.
 */
export function passTime(model: { now: number }, ms: number, listDue: (consider: Consider) => void): void {
  const target = model.now + ms;
  for (;;) {
    let next: { readonly at: number; readonly apply: () => void } | undefined;
    listDue((at, apply) => {
      if (at <= target && (next === undefined || at < next.at)) next = { at, apply };
    });
    if (next === undefined) break;
    model.now = next.at;
    next.apply();
  }
  model.now = target;
}

// ── Invariants' plumbing ────────────────────────────────────────────────────────────────────

export function fail(invariant: string, message: string): never {
  throw new Error(`[${invariant}] ${message}`);
}

/** Fails with the first violation the harness recorded for `invariant`, if any. */
export function assertNoViolations<Name extends string>(
  invariant: NoInfer<Name>,
  harness: { readonly violations: readonly Violation<Name>[] },
): void {
  const violation = harness.violations.find((each) => each.invariant === invariant);
  if (violation !== undefined) fail(invariant, violation.message);
}

export const show = (value: unknown) => JSON.stringify(value) ?? 'undefined';

/**
 * The `model` invariant of a comparison with the model: it holds after every command, and once
 * `close()` resolved, with no timer left armed (idle timers, the drain timer).
 */
export function agreesWith<Model, Harness extends { readonly clock: ManualClock }>(
  compare: (model: Model, harness: Harness) => void,
): RunInvariant<Model, Harness, 'model'> {
  return {
    name: 'model',
    afterCommand: compare,
    atEnd(model, harness) {
      compare(model, harness);
      const timers = harness.clock.pendingTimers;
      if (timers !== 0) fail('model', `${timers} timer(s) still armed after close() resolved`);
    },
  };
}

/** What the model compares of a message as sent: whether it was answered, and how it reads. */
export interface Answered {
  readonly settled: boolean;
  readonly answer: unknown;
}

/**
 * A delivered message's answer against the model's: none yet while the model expects none, else
 * the one it expects (`matches`).
 */
export function compareAnswer<Sent extends Answered, Expected>(
  sent: Sent,
  expected: Expected | undefined,
  describe: (sent: Sent) => string,
  matches: (sent: Sent, expected: Expected) => boolean,
): void {
  if (expected === undefined) {
    if (sent.settled) {
      fail('model', `${describe(sent)} answered ${show(sent.answer)}, model: still pending`);
    }
  } else if (!sent.settled) {
    fail('model', `${describe(sent)} unanswered, model expects ${show(expected)}`);
  } else if (!matches(sent, expected)) {
    fail('model', `${describe(sent)} answered ${show(sent.answer)}, model expects ${show(expected)}`);
  }
}

// ── Commands ────────────────────────────────────────────────────────────────────────────────

/** One command: a label that reads well in a counterexample, what it does, and when it may run. */
export class RunCommand<Model extends object, Harness>
  implements fc.AsyncCommand<Model, RunReal<Model, Harness>>
{
  constructor(
    private readonly label: string,
    private readonly act: (state: Model, harness: Harness) => void,
    private readonly precondition: (state: Model) => boolean = () => true,
  ) {}

  check(state: Readonly<Model>): boolean {
    return this.precondition(state as Model);
  }

  async run(state: Model, real: RunReal<Model, Harness>): Promise<void> {
    await real.observe(state, real.harness);
    this.act(state, real.harness);
    await real.observe(state, real.harness);
  }

  toString(): string {
    return this.label;
  }
}

/** Hands items to the runtime at once, or when the scheduler lets the network deliver them. */
export function send<Item>(
  harness: { deliverNow(items: readonly Item[]): void; deliverLater(items: readonly Item[]): void },
  items: readonly Item[],
  delayed: boolean,
): void {
  if (delayed) harness.deliverLater(items);
  else harness.deliverNow(items);
}

/** The commands that move the clock (`clock.advance(ms)`) and close the runtime, on both sides. */
export function clockAndClose<Model extends object, Harness extends RunHarness<string>>(
  transitions: Transitions<Model>,
) {
  return {
    advanceClock: (ms: number) =>
      new RunCommand<Model, Harness>(`clock.advance(${ms})`, (state, harness) => {
        transitions.advance(state, ms);
        harness.clock.advance(ms);
      }),
    closeRuntime: (drainMs: number) =>
      new RunCommand<Model, Harness>(`close({ drainMs: ${drainMs} })`, (state, harness) => {
        transitions.close(state, drainMs);
        harness.close(drainMs);
      }),
  };
}

/** What a handler step does: mostly resolve, sometimes reject, now and then hang. */
export const handlerOutcome: fc.Arbitrary<HandlerOutcome> = fc.oneof(
  { arbitrary: fc.constant<HandlerOutcome>('resolves'), weight: 6 },
  { arbitrary: fc.constant<HandlerOutcome>('rejects'), weight: 2 },
  { arbitrary: fc.constant<HandlerOutcome>('hangs'), weight: 1 },
);

/** The `drainMs` of a drawn `close`: none, half the idle timeout, or twice it. */
export const drainMsOf = (idleTimeoutMs: number) => fc.constantFrom(0, idleTimeoutMs / 2, 2 * idleTimeoutMs);

// ── The scenario ────────────────────────────────────────────────────────────────────────────

/**
 * Every time a command runs at is a whole millisecond, and so is every drain deadline. A slot given
 * back at its cancel grace or request timeout must not fall on a drain deadline: the two timers
 * would be due together, and which the runtime created first (not a rule the model states) would
 * decide whether a queued request starts before its session or handle stops. Either order is
 * correct, so the drawn durations carry small binary fractions (exact in floating point) that no
 * chain of a few hundred grace and timeout hops can add up to a whole millisecond.
 */
const graceFraction = 1 / 1_024;

/** A drawn `cancelGraceMs`: `Infinity`, 0, or up to twice the idle timeout (plus the grace fraction). */
export const cancelGraceMsOf = (idleTimeoutMs: number) =>
  fc.oneof(
    fc.constant(Number.POSITIVE_INFINITY),
    fc.constant(0),
    fc.integer({ min: 0, max: 2 * idleTimeoutMs }).map((ms) => ms + graceFraction),
  );

/**
 * The scheduler's act: after each released task (a handler step, a delivery, a command), let the
 * runtime finish reacting before the next one, so that the model sees one stimulus at a time.
 */
const act = async (task: () => Promise<void>): Promise<void> => {
  await task();
  await settleReactions();
};

/** One run's draw: a configuration, an interleaving (fast-check's scheduler) and the commands. */
export function scheduledScenario<Config, Commands>(
  config: fc.Arbitrary<Config>,
  commands: fc.Arbitrary<Commands>,
) {
  return fc.record({ config, scheduler: fc.scheduler({ act }), commands });
}

// ── The run ─────────────────────────────────────────────────────────────────────────────────

/** What a property fills in: its model, its harness, and how the model takes in what the harness saw. */
export interface RunSides<Config, Model, Harness> {
  createModel(config: Config): Model;
  createHarness(config: Config, scheduler: fc.Scheduler): Harness;
  /** Takes in what the harness saw since last time (deliveries, handler returns…), in order. */
  catchUp(model: Model, harness: Harness): void;
  readonly transitions: Transitions<Model>;
}

type Phase = 'afterCommand' | 'atQuiescence' | 'atEnd';

function verify<Model, Harness extends RunHarness<Name>, Name extends string>(
  invariants: readonly RunInvariant<Model, Harness, Name>[],
  phase: Phase,
  state: Model,
  harness: Harness,
): void {
  for (const invariant of invariants) {
    assertNoViolations(invariant.name, harness);
    invariant[phase]?.(state, harness);
  }
}

/** Shuts the runtime down with the drain cut short, then lets every last reaction run. */
async function shutDown<
  Config extends { readonly idleTimeoutMs: number },
  Model extends RunModel<Config>,
  Harness extends RunHarness<string>,
>(
  sides: RunSides<Config, Model, Harness>,
  state: Model,
  harness: Harness,
  scheduler: fc.Scheduler,
): Promise<void> {
  sides.catchUp(state, harness);
  const drainMs = state.config.idleTimeoutMs / 2;
  sides.transitions.close(state, drainMs);
  harness.close(drainMs);
  await settleReactions();
  if (state.directory === 'draining' && state.drainDeadline !== undefined) {
    const ms = state.drainDeadline - state.now;
    sides.transitions.advance(state, ms);
    harness.clock.advance(ms);
  }
  await scheduler.waitIdle();
  await settleReactions();
  sides.catchUp(state, harness);
}

/**
 * The property: `invariants` hold under every drawn scenario and interleaving. The commands run in
 * the scheduler's order, each observed before and after; then, at quiescence, the last checks before
 * shutdown, and after it every check again and the end-of-run ones.
 */
export function scheduledRunProperty<
  Config extends { readonly idleTimeoutMs: number },
  Model extends RunModel<Config>,
  Harness extends RunHarness<Name>,
  Name extends string,
>(
  scenario: fc.Arbitrary<{
    readonly config: Config;
    readonly scheduler: fc.Scheduler;
    readonly commands: Iterable<fc.AsyncCommand<Model, RunReal<Model, Harness>>>;
  }>,
  sides: RunSides<Config, Model, Harness>,
  invariants: readonly RunInvariant<Model, Harness, Name>[],
) {
  return fc.asyncProperty(scenario, async ({ config, scheduler, commands }) => {
    const observe = async (state: Model, harness: Harness) => {
      await settleReactions();
      sides.catchUp(state, harness);
      verify(invariants, 'afterCommand', state, harness);
    };
    let run: { readonly model: Model; readonly real: RunReal<Model, Harness> } | undefined;
    const setup = () => {
      run = {
        model: sides.createModel(config),
        real: { harness: sides.createHarness(config, scheduler), observe },
      };
      return run;
    };
    await fc.scheduledModelRun(scheduler, setup, commands);
    if (run === undefined) throw new Error('the model run never started');
    const { model: state, real } = run;
    await observe(state, real.harness);
    verify(invariants, 'atQuiescence', state, real.harness);
    await shutDown(sides, state, real.harness, scheduler);
    verify(invariants, 'afterCommand', state, real.harness);
    verify(invariants, 'atEnd', state, real.harness);
  });
}
