/**
 * What the keyed-actor core reads of its configuration: limits, timers and the clock, already
 * validated and with every default applied. The composition root (`src/server/options.ts`) checks
 * the user's options and hands the runtime an object of this shape; the runtime never sees the
 * tools, resources or prompts those options also carry.
 */
import type { Clock } from './clock.js';
import type { Placement } from './placement.js';
import type { InspectionObserver } from './telemetry/inspect.js';

/** Which messages may create a session for an id the directory does not know. */
export type SpawnPolicy = 'initialize' | 'any';

/** The runtime's settings; see `SessionRuntimeOptions` for each one's meaning and default. */
export interface RuntimeConfig {
  /** The value every handler receives as `ctx.context`. */
  readonly context: unknown;
  /** Requests a session may queue behind its running ones. */
  readonly mailboxCapacity: number;
  /** Handlers of one session that may run at once. */
  readonly maxConcurrentRequests: number;
  /** Live sessions in the runtime. */
  readonly maxSessions: number;
  /** Live sessions per principal; `Infinity` for no limit. */
  readonly maxSessionsPerPrincipal: number;
  /** ms without traffic or work after which a session stops. */
  readonly idleTimeoutMs: number;
  /** ms without traffic after which a quiet session puts its lifecycle actor away. */
  readonly restAfterMs: number;
  /** ms a handler may run; `Infinity` when disabled. */
  readonly requestTimeoutMs: number;
  /** ms a cancelled handler keeps its slot while it winds down. */
  readonly cancelGraceMs: number;
  readonly spawnPolicy: SpawnPolicy;
  /** Seconds a refused client is told to wait (`data.retryAfterSeconds`). */
  readonly retryAfterSeconds: number;
  /** Whether `logging/setLevel` is served. */
  readonly logging: boolean;
  /** ms a server→client request waits for the client's answer. */
  readonly clientRequestTimeoutMs: number;
  /** SEP-2549 cache hints by method (`server/discover`, the four list methods, `resources/read`). */
  readonly cacheHints: Readonly<
    Record<string, { readonly ttlMs: number; readonly cacheScope: 'public' | 'private' }>
  >;
  /** 2026-07-28 requests (no session) the runtime serves at once; one more is refused `overloaded`. */
  readonly maxStatelessRequests: number;
  /** 2026-07-28 `subscriptions/listen` streams one principal may hold at once. */
  readonly maxSubscriptionsPerPrincipal: number;
  /** Keys of the `requestState` codec (multi-round-trip requests), ≥ 32 bytes each; the first seals. */
  readonly requestStateKeys: readonly (string | Uint8Array)[];
  readonly clock: Clock;
  /** Where the actors run in a cluster; `undefined` (or absent) for a cluster of one. */
  readonly placement?: Placement | undefined;
  /** Receives the inspection events of every actor (XState's `inspect`); absent: none. */
  readonly inspect?: InspectionObserver | undefined;
}
