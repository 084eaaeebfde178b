/**
 * Options of `serveStdio`: one typed object, validated once with zod, with documented defaults (as
 * the runtime's and the HTTP transport's options).
 */
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import type { Clock } from '../runtime/clock.js';
import { assertOptionsObject, optionsTypeError } from '../runtime/optionsError.js';

/**
 * Options of `serveStdio`.
 *
 * @example
 * ```ts
 * serveStdio(runtime, { log: (message) => logger.warn(message), drainTimeoutMs: 10_000 });
 * ```
 */
export interface StdioServerOptions {
  /** Where messages come from, one JSON-RPC message a line. @default process.stdin */
  readonly input?: Readable;
  /** Where messages go, one a line. Nothing else is ever written to it. @default process.stdout */
  readonly output?: Writable;
  /** Receives diagnostics. Never write them to `output`. @default a line on process.stderr */
  readonly log?: (message: string) => void;
  /** The id of the one session this process serves. @default crypto.randomUUID() */
  readonly sessionId?: string;
  /**
   * Milliseconds that requests already read may go on after input ends (the client closed stdin, or
   * `close()` was called). Past it the session is ended: what still runs or waits is answered with
   * `-32010 Session closed` and its handlers are aborted. `0` ends the session at once; `Infinity`
   * waits for every handler, however long.
   * @default 5_000 (as `runtime.close`)
   */
  readonly drainTimeoutMs?: number;
  /**
   * Time source of the drain deadline; a `ManualClock` in tests.
   * @default the process clock, whose timer keeps the process alive until the deadline
   */
  readonly clock?: Clock;
}

/** Options with every default applied. @internal */
export interface ResolvedStdioOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly log: (message: string) => void;
  readonly sessionId: string;
  readonly drainTimeoutMs: number;
  readonly clock: Clock;
}

/** Longest delay a Node timer takes; a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Node timers that hold the process open, unlike the runtime's `systemClock`: after input ends
 * nothing else may keep a stdio server alive, and a handler that never settles must still be
 * answered at the deadline instead of the process exiting with its answer unwritten.
 */
const processClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const writeToStderr = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

const hasMethods = (value: unknown, methods: readonly string[]): boolean =>
  typeof value === 'object' &&
  value !== null &&
  methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');

/** One row per option of `StdioServerOptions`; an unknown key is refused, naming the closest. */
const optionsSchema = z.strictObject({
  input: z
    .custom<Readable>((value) => hasMethods(value, ['on', 'pause']), 'Expected a readable stream')
    .optional(),
  output: z
    .custom<Writable>((value) => hasMethods(value, ['on', 'write']), 'Expected a writable stream')
    .optional(),
  log: z.function().optional(),
  sessionId: z.string().min(1).optional(),
  drainTimeoutMs: z
    .number()
    .min(0)
    .max(MAX_TIMER_MS)
    .or(z.custom<number>((value) => value === Number.POSITIVE_INFINITY))
    .optional(),
  clock: z
    .custom<Clock>(
      (value) => hasMethods(value, ['now', 'setTimeout', 'clearTimeout']),
      'Expected a clock with now, setTimeout and clearTimeout',
    )
    .optional(),
});

/** Validates options once; a bad one throws `TypeError("Expected `x` to be …, got …")`. @internal */
export function resolveStdioOptions(options: StdioServerOptions): ResolvedStdioOptions {
  assertOptionsObject(options);
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw optionsTypeError(parsed.error, options, optionsSchema);
  return {
    input: options.input ?? process.stdin,
    output: options.output ?? process.stdout,
    log: options.log ?? writeToStderr,
    sessionId: options.sessionId ?? randomUUID(),
    drainTimeoutMs: options.drainTimeoutMs ?? 5_000,
    clock: options.clock ?? processClock,
  };
}
