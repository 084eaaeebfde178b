/**
 * The leases of one instance's live actors: claimed when an actor starts, renewed together while
 * they live, released when they stop, and given up *locally* before the store may give them to
 * another instance.
 *
 * Each lease has a local deadline, `sentAt + ttlMs - safetyMarginMs`, where `sentAt` is the lease
 * clock's reading just before the claim or the last confirmed renewal was sent. The store's expiry
 * of the same lease started no earlier than `sentAt` (Redis ran the command after it was sent), so
 * as long as the lease clock does not run slower than the store's clock by more than the margin, the
 * deadline passes before the store's expiry and so before any other owner's claim can succeed.
 * {@link LeaseKeeper.holds} reads the clock on every call, so a process that wakes from a pause
 * (SIGSTOP, a long GC, a suspended VM) refuses at its first check, before any timer has run.
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Lease, LeaseStore } from './LeaseStore.js';
import { assertPositiveMs, assertText, LeaseStoreUnavailableError } from './LeaseStore.js';
import { leaseClock } from './leaseClock.js';

/**
 * Why a lease was lost:
 * - `expired`: its local deadline passed without a confirmed renewal (the store was unreachable,
 *   slow, or this process was paused);
 * - `taken`: the store answered that it is no longer this owner's (it expired there, or another
 *   owner claimed it since).
 */
export type LeaseLostReason = 'expired' | 'taken';

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** Where leases are held (`createRedisLeaseStore(client)`, or a `MemoryLeaseStore`). */
  readonly store: LeaseStore;
  /** This instance's owner id; give every process start a new one (e.g. host, pid and a random part). */
  readonly ownerId: string;
  /** Lease time to live in the store, in ms (default 15000). */
  readonly ttlMs?: number;
  /** How often held leases are renewed, in ms (default `ttlMs / 3`, rounded down). */
  readonly renewIntervalMs?: number;
  /**
   * How long before the store's expiry a lease counts as lost locally, in ms (default `ttlMs / 10`,
   * rounded up). It absorbs the difference in rate between this process's clock and the store's,
   * and a step of the store's clock. `renewIntervalMs + safetyMarginMs` must be below `ttlMs`.
   */
  readonly safetyMarginMs?: number;
  /**
   * Most leases in one `renewMany` call of a renewal round (default 1000). Batches are sent a few at
   * a time and answered on their own, so one failed batch costs only its own leases' renewal.
   */
  readonly renewBatchSize?: number;
  /** The clock deadlines are read on (default: the lease clock, see `leaseClock.ts`). */
  readonly clock?: Clock;
  /**
   * Called once for each lease lost while held (not for one released): the actor of `lease.id` must
   * stop serving it. Called synchronously from {@link LeaseKeeper.holds} when that is where the loss
   * is noticed, otherwise from the keeper's timer. An exception it throws is ignored.
   */
  readonly onLost?: (lease: Lease, reason: LeaseLostReason) => void;
}

/** Renewal batches in flight at once (see `LeaseKeeper.renew`). */
const RENEW_WINDOW = 4;

interface Held {
  readonly lease: Lease;
  /** Lease-clock reading past which the lease counts as lost. */
  deadline: number;
}

/**
 * Holds the leases of this instance's live actors. `claim` before starting an actor, `holds` before
 * acting for an id (and refuse if it answers `false`), `release` when the actor stops, `close` at
 * shutdown. Every interval, the held leases are renewed together: one `renewMany` per
 * `renewBatchSize` leases, a few batches in flight at a time.
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper({ store, ownerId, onLost: (lease) => stopActor(lease.id) });
 * const lease = await keeper.claim(sessionId); // undefined: another instance owns it
 * if (keeper.holds(sessionId)) serve(request, lease.fencingToken);
 * ```
 */
export class LeaseKeeper {
  readonly ownerId: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly safetyMarginMs: number;
  readonly renewBatchSize: number;
  private readonly store: LeaseStore;
  private readonly clock: Clock;
  private readonly onLost: ((lease: Lease, reason: LeaseLostReason) => void) | undefined;
  private readonly held = new Map<string, Held>();
  private readonly claiming = new Map<string, Promise<Lease | undefined>>();
  /**
   * Releases on their way to the store. A claim of the same id waits for them: with the same owner
   * id, a claim that overtook a release (another connection, a retry) would re-arm the old lease
   * and the late release would then delete it under the new holder.
   */
  private readonly releasing = new Map<string, Promise<boolean>>();
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private nextRenewalAt = Number.POSITIVE_INFINITY;
  private renewing = false;
  private closed = false;

  /** @throws TypeError for a missing store or owner id, or inconsistent times. */
  constructor(options: LeaseKeeperOptions) {
    if (typeof options?.store?.renewMany !== 'function') {
      throw new TypeError('Expected `store` to be a LeaseStore');
    }
    assertText('ownerId', options.ownerId);
    this.store = options.store;
    this.ownerId = options.ownerId;
    this.ttlMs = options.ttlMs ?? 15_000;
    assertPositiveMs('ttlMs', this.ttlMs);
    this.renewIntervalMs = options.renewIntervalMs ?? Math.max(1, Math.floor(this.ttlMs / 3));
    assertPositiveMs('renewIntervalMs', this.renewIntervalMs);
    this.safetyMarginMs = options.safetyMarginMs ?? Math.ceil(this.ttlMs / 10);
    if (!Number.isSafeInteger(this.safetyMarginMs) || this.safetyMarginMs < 0) {
      throw new TypeError(
        `Expected \`safetyMarginMs\` to be an integer >= 0 (ms), got ${this.safetyMarginMs}`,
      );
    }
    if (this.renewIntervalMs + this.safetyMarginMs >= this.ttlMs) {
      throw new TypeError(
        `Expected \`renewIntervalMs\` + \`safetyMarginMs\` (${this.renewIntervalMs} + ${this.safetyMarginMs}) to be below \`ttlMs\` (${this.ttlMs})`,
      );
    }
    this.renewBatchSize = options.renewBatchSize ?? 1000;
    if (!Number.isSafeInteger(this.renewBatchSize) || this.renewBatchSize <= 0) {
      throw new TypeError(`Expected \`renewBatchSize\` to be a positive integer, got ${this.renewBatchSize}`);
    }
    this.clock = options.clock ?? leaseClock;
    this.onLost = options.onLost;
  }

  /** How many leases are held (some may be past their deadline until the next check). */
  get size(): number {
    return this.held.size;
  }

  /**
   * Claims `id` for this owner and keeps it renewed. Resolves the lease, the one already held, or
   * `undefined` when another owner holds `id`. Concurrent claims of one id share one store call.
   *
   * @throws LeaseStoreUnavailableError when the store cannot answer in time (the actor must not
   * start), or when the keeper is closed (reason `closed`).
   */
  claim(id: string): Promise<Lease | undefined> {
    if (this.closed) return Promise.reject(new LeaseStoreUnavailableError('claim', 'closed'));
    const held = this.current(id);
    if (held !== undefined) return Promise.resolve(held);
    const pending = this.claiming.get(id);
    if (pending !== undefined) return pending;
    const claim = this.claimFromStore(id).finally(() => this.claiming.delete(id));
    this.claiming.set(id, claim);
    return claim;
  }

  /**
   * Whether this owner still holds `id`, read synchronously against the clock: `false` once the
   * local deadline has passed (then the lease is dropped and `onLost` called) or the store said it
   * was lost.
   */
  holds(id: string): boolean {
    return this.current(id) !== undefined;
  }

  /** The lease held for `id` (with its fencing token), checked as {@link holds} checks. */
  lease(id: string): Lease | undefined {
    return this.current(id);
  }

  /** Milliseconds until the local deadline of `id`'s lease; 0 when it is not held. */
  remainingMs(id: string): number {
    const held = this.held.get(id);
    if (held === undefined || this.current(id) === undefined) return 0;
    return Math.max(0, held.deadline - this.clock.now());
  }

  /**
   * Stops holding `id` (at once, locally) and deletes its lease in the store. Resolves `true` when
   * the store deleted it, `false` when it was not held, already lost, or the store could not be
   * reached (the lease then ends at its ttl). Never rejects.
   */
  async release(id: string): Promise<boolean> {
    const held = this.held.get(id);
    if (held === undefined) return false;
    this.held.delete(id);
    return this.giveBack(held.lease);
  }

  /**
   * Stops renewing and releases every held lease (best effort: one unreachable store lets them end
   * at their ttl). Later claims reject with reason `closed`. Never rejects.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    const leases = [...this.held.values()].map((held) => held.lease);
    this.held.clear();
    await Promise.allSettled(leases.map((lease) => this.store.release(lease)));
  }

  private async claimFromStore(id: string): Promise<Lease | undefined> {
    const releasing = this.releasing.get(id);
    if (releasing !== undefined) await releasing;
    const sentAt = this.clock.now();
    const lease = await this.store.claim(id, this.ownerId, this.ttlMs);
    if (lease === undefined) return undefined;
    const deadline = sentAt + this.ttlMs - this.safetyMarginMs;
    if (this.closed || this.clock.now() >= deadline) {
      // Too late to use (the answer took most of the ttl) or nobody to keep it: give it back.
      void this.giveBack(lease);
      throw new LeaseStoreUnavailableError('claim', this.closed ? 'closed' : 'timeout');
    }
    this.held.set(id, { lease, deadline });
    if (this.nextRenewalAt === Number.POSITIVE_INFINITY) this.nextRenewalAt = sentAt + this.renewIntervalMs;
    this.arm(Math.min(this.nextRenewalAt, deadline));
    return lease;
  }

  /** Releases `lease` in the store; a claim of its id waits until this settles. Never rejects. */
  private giveBack(lease: Lease): Promise<boolean> {
    const release = this.store.release(lease).catch(() => false);
    const tracked = release.finally(() => {
      if (this.releasing.get(lease.id) === tracked) this.releasing.delete(lease.id);
    });
    this.releasing.set(lease.id, tracked);
    return tracked;
  }

  /** The lease of `id` if it is held and its deadline has not passed; loses it otherwise. */
  private current(id: string): Lease | undefined {
    const held = this.held.get(id);
    if (held === undefined) return undefined;
    if (this.clock.now() >= held.deadline) {
      this.lose(held, 'expired');
      return undefined;
    }
    return held.lease;
  }

  private lose(held: Held, reason: LeaseLostReason): void {
    if (this.held.get(held.lease.id) !== held) return;
    this.held.delete(held.lease.id);
    // Past its local deadline the lease may still be ours in the store: give it back early.
    if (reason === 'expired') void this.giveBack(held.lease);
    try {
      this.onLost?.(held.lease, reason);
    } catch {
      // The owner's callback must not stop the keeper.
    }
  }

  /** The timer: drops leases past their deadline, and sends the renewals when they are due. */
  private tick(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.clock.now();
    const live: Held[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const held of [...this.held.values()]) {
      if (now >= held.deadline) this.lose(held, 'expired');
      else {
        live.push(held);
        if (held.deadline < earliest) earliest = held.deadline;
      }
    }
    if (live.length === 0) {
      this.nextRenewalAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (now >= this.nextRenewalAt) {
      this.nextRenewalAt = now + this.renewIntervalMs;
      // One round at a time: a round still waiting for the store keeps its deadlines.
      if (!this.renewing) this.renew(live);
    }
    this.arm(Math.min(this.nextRenewalAt, earliest));
  }

  /**
   * One renewal round: the live leases in batches of `renewBatchSize`, at most
   * {@link RENEW_WINDOW} batches in flight, each batch's answer applied on its own and counted from
   * when that batch was sent. A small window keeps the connection busy without queueing so many
   * batches that the last ones time out waiting behind the first.
   */
  private renew(live: readonly Held[]): void {
    this.renewing = true;
    let next = 0;
    const sendNext = (): Promise<void> => {
      if (next >= live.length || this.closed) return Promise.resolve();
      const batch = live.slice(next, next + this.renewBatchSize);
      next += batch.length;
      const sentAt = this.clock.now();
      return this.store
        .renewMany(
          batch.map((held) => held.lease),
          this.ttlMs,
        )
        .then(
          (renewed) => this.confirm(batch, renewed, sentAt),
          () => {
            // Unreachable or slow: this batch's deadlines stand, the next round tries again.
          },
        )
        .then(sendNext);
    };
    void Promise.all(Array.from({ length: RENEW_WINDOW }, sendNext)).finally(() => {
      this.renewing = false;
    });
  }

  /** Applies one batch's answers: renewed leases move their deadline, the others are lost. */
  private confirm(batch: readonly Held[], renewed: readonly boolean[], sentAt: number): void {
    const now = this.clock.now();
    const deadline = sentAt + this.ttlMs - this.safetyMarginMs;
    batch.forEach((held, index) => {
      if (this.held.get(held.lease.id) !== held) return;
      if (renewed[index] !== true) this.lose(held, 'taken');
      else if (now >= held.deadline) this.lose(held, 'expired');
      else held.deadline = Math.max(held.deadline, deadline);
    });
  }

  /**
   * Makes the timer fire no later than `due` (a lease-clock reading). Callers pass the earliest time
   * they know of; renewals only move deadlines later, so a timer set earlier is never too late.
   */
  private arm(due: number): void {
    if (this.closed || this.held.size === 0) {
      this.disarm();
      return;
    }
    if (due >= this.timerAt) return;
    this.disarm();
    this.timerAt = due;
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(0, due - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}
