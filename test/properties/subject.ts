/**
 * What the race properties drive: the slice of `SessionRuntime` they need, so that the same
 * properties run against the real runtime and against the deliberately broken ones in
 * `test/fixtures/`.
 */
import type { Scheduler } from 'fast-check';
import type {
  Clock,
  DispatchResult,
  RequestHandler,
  RuntimeEventEmitter,
  RuntimeMetrics,
  SessionInfo,
  SpawnPolicy,
  ToolDefinition,
} from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';

/** The counters the model predicts (everything but the mailbox-wait statistics). */
export type CountersUnderTest = Pick<
  RuntimeMetrics,
  | 'sessions'
  | 'sessionsStarted'
  | 'sessionsStopped'
  | 'queued'
  | 'inFlight'
  | 'accepted'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'rejected'
>;

/** A `SessionRuntime`, as far as the properties use it. */
export interface RuntimeUnderTest {
  dispatch(sessionId: string, message: unknown): Promise<DispatchResult>;
  info(sessionId: string): Pick<SessionInfo, 'state' | 'queued' | 'inFlight'> | undefined;
  remove(sessionId: string): boolean;
  readonly size: number;
  sweepIdle(thresholdMs: number): number;
  metrics(): CountersUnderTest;
  readonly events: Pick<RuntimeEventEmitter, 'on'>;
  close(options?: { readonly drainMs?: number }): Promise<void>;
}

/** What a factory is given: the runtime's options, and the scheduler a broken fixture may await on. */
export interface SubjectOptions {
  readonly clock: Clock;
  readonly handlers: Readonly<Record<string, RequestHandler>>;
  /** The `peek` tool, declared `interleave: true`: its calls start at once beside the ordered ones. */
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  readonly tools: readonly ToolDefinition<any>[];
  readonly idleTimeoutMs: number;
  readonly maxConcurrentRequests: number;
  readonly mailboxCapacity: number;
  readonly maxSessions: number;
  readonly spawnPolicy: SpawnPolicy;
  readonly cancelGraceMs: number;
  readonly requestTimeoutMs: number;
  /** Only fixtures use it: their injected `await`s go through it, so fast-check orders them too. */
  readonly scheduler: Scheduler;
}

export type RuntimeFactory = (options: SubjectOptions) => RuntimeUnderTest;

/** The runtime under test: `createSessionRuntime` from the public door. */
export const realRuntime: RuntimeFactory = ({ scheduler: _scheduler, ...options }) =>
  createSessionRuntime(options);
