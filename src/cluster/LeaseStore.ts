/**
 * The lease layer of the cluster directory: who owns an id (a 2025-era session, a state handle, a
 * task) across instances. An instance *claims* an id before it starts the id's actor, *renews* the
 * claim while the actor lives, and *releases* it when the actor stops. Every claim carries a
 * *fencing token*, strictly increasing per id, so that a resource written on the id's behalf can
 * refuse a writer whose token is older than one it has already seen (an owner that was paused past
 * its lease and woke up).
 *
 * `LeaseStore` is the interface the rest of the cluster layer uses; `createRedisLeaseStore` (node-redis)
 * and `MemoryLeaseStore` (one process, tests) implement it, and another client can too.
 */
import { describeOptionValue } from '../runtime/optionsError.js';

/** A claim held by one owner: what {@link LeaseStore.renew} and {@link LeaseStore.release} check. */
export interface Lease {
  /** The claimed id (a session id, a handle id, a task id). */
  readonly id: string;
  /** Who holds it: one instance, one incarnation (a restarted process takes a new owner id). */
  readonly ownerId: string;
  /**
   * Strictly greater than the token of every earlier claim of the same id, by any owner. A positive
   * safe integer.
   */
  readonly fencingToken: number;
}

/** Who holds an id, as {@link LeaseStore.owner} reads it. */
export interface LeaseHolder {
  readonly ownerId: string;
  readonly fencingToken: number;
}

/**
 * Claims with a lease, in one shared place. Every method settles: with its answer, or with a
 * {@link LeaseStoreUnavailableError} when the store cannot answer in time. Times are milliseconds
 * of the store's clock; the store, not the caller, expires a lease.
 */
export interface LeaseStore {
  /**
   * Claims `id` for `ownerId` for `ttlMs`, in one atomic step: insert-if-absent with a fresh fencing
   * token. Resolves `undefined` when another owner holds it. A claim by the owner that already holds
   * `id` returns its current lease (same token) and restarts its ttl, so a claim whose answer was lost
   * can be retried.
   */
  claim(id: string, ownerId: string, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Extends `lease` to `ttlMs` from now if it is still held by the same owner with the same token;
   * `false` once it was lost (expired, released, or claimed by another owner since).
   */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  /**
   * {@link renew} for many leases in few round trips (the answers in the order of `leases`). A
   * failure rejects the whole call: the caller cannot know which of the renewals took effect.
   */
  renewMany(leases: readonly Lease[], ttlMs: number): Promise<boolean[]>;
  /** Deletes `lease` if it is still held by the same owner with the same token; `false` otherwise. */
  release(lease: Lease): Promise<boolean>;
  /** Who holds `id` now, or `undefined`. */
  owner(id: string): Promise<LeaseHolder | undefined>;
}

/** Why a {@link LeaseStoreUnavailableError} was thrown. */
export type LeaseStoreUnavailableReason =
  /** The client had no open, ready connection: refused at once, nothing was sent. */
  | 'not_connected'
  /** The store did not answer within the call's timeout; the call may or may not have taken effect. */
  | 'timeout'
  /** The client or the store reported an error. */
  | 'failed'
  /** The `LeaseKeeper` was closed: the instance is shutting down and claims nothing more. */
  | 'closed';

const reasonText: Record<LeaseStoreUnavailableReason, string> = {
  not_connected: 'not connected',
  timeout: 'timed out',
  failed: 'failed',
  closed: 'closed',
};

/**
 * The lease store could not answer: Redis unreachable, slow, or failing. A claim that fails so must
 * not start the id's actor; a request that needed it is answered "unavailable, retry later" (HTTP
 * 503 with `Retry-After: retryAfterSeconds`).
 */
export class LeaseStoreUnavailableError extends Error {
  override readonly name = 'LeaseStoreUnavailableError';
  readonly code = 'lease_store_unavailable';
  readonly reason: LeaseStoreUnavailableReason;
  /** What was being done: `claim`, `renew`, `renewMany`, `release` or `owner`. */
  readonly operation: string;
  /** Seconds after which a retry may succeed (1). */
  readonly retryAfterSeconds: number;

  constructor(
    operation: string,
    reason: LeaseStoreUnavailableReason,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(
      `Lease store unavailable (${operation}: ${reasonText[reason]})`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.operation = operation;
    this.reason = reason;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}

/** Throws the house-style `TypeError` unless `value` is a non-empty string. @internal */
export function assertText(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${describeOptionValue(value)}`);
  }
}

/** Throws the house-style `TypeError` unless `value` is a positive safe integer (milliseconds). @internal */
export function assertPositiveMs(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(
      `Expected \`${name}\` to be a positive integer (ms), got ${describeOptionValue(value)}`,
    );
  }
}

/** Throws unless `lease` looks like a {@link Lease}. @internal */
export function assertLease(name: string, lease: unknown): asserts lease is Lease {
  const candidate = lease as Partial<Lease> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.id !== 'string' ||
    candidate.id.length === 0 ||
    typeof candidate.ownerId !== 'string' ||
    candidate.ownerId.length === 0 ||
    !Number.isSafeInteger(candidate.fencingToken) ||
    (candidate.fencingToken as number) <= 0
  ) {
    throw new TypeError(
      `Expected \`${name}\` to be a lease ({ id, ownerId, fencingToken }), got ${describeOptionValue(lease)}`,
    );
  }
}
