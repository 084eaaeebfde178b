/**
 * A {@link LeaseStore} in one process's memory: the same contract as the Redis store (the shared
 * contract tests run against both), for tests and for a single instance that wants the cluster API
 * without Redis. Leases expire on the given clock; nothing is shared between processes.
 */
import type { Clock } from '../runtime/clock.js';
import type { Lease, LeaseHolder, LeaseStore } from './LeaseStore.js';
import { assertLease, assertPositiveMs, assertText } from './LeaseStore.js';
import { leaseClock } from './leaseClock.js';

interface Held {
  readonly ownerId: string;
  readonly fencingToken: number;
  expiresAt: number;
}

/** An in-memory {@link LeaseStore}. Every method answers asynchronously, as a remote store would. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly clock: Clock;
  private readonly leases = new Map<string, Held>();
  private lastToken = 0;

  /** @param options.clock what leases expire on (default: the lease clock, monotonic). */
  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? leaseClock;
  }

  async claim(id: string, ownerId: string, ttlMs: number): Promise<Lease | undefined> {
    assertText('id', id);
    assertText('ownerId', ownerId);
    assertPositiveMs('ttlMs', ttlMs);
    const now = this.clock.now();
    const held = this.live(id, now);
    if (held !== undefined) {
      if (held.ownerId !== ownerId) return undefined;
      held.expiresAt = now + ttlMs;
      return { id, ownerId, fencingToken: held.fencingToken };
    }
    const fencingToken = ++this.lastToken;
    this.leases.set(id, { ownerId, fencingToken, expiresAt: now + ttlMs });
    return { id, ownerId, fencingToken };
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    assertLease('lease', lease);
    assertPositiveMs('ttlMs', ttlMs);
    return this.renewOne(lease, ttlMs, this.clock.now());
  }

  async renewMany(leases: readonly Lease[], ttlMs: number): Promise<boolean[]> {
    for (const lease of leases) assertLease('lease', lease);
    assertPositiveMs('ttlMs', ttlMs);
    const now = this.clock.now();
    return leases.map((lease) => this.renewOne(lease, ttlMs, now));
  }

  async release(lease: Lease): Promise<boolean> {
    assertLease('lease', lease);
    if (!this.isHeldBy(lease, this.clock.now())) return false;
    this.leases.delete(lease.id);
    return true;
  }

  async owner(id: string): Promise<LeaseHolder | undefined> {
    assertText('id', id);
    const held = this.live(id, this.clock.now());
    return held === undefined ? undefined : { ownerId: held.ownerId, fencingToken: held.fencingToken };
  }

  /** How many leases are held now (expired ones are dropped on the way). */
  get size(): number {
    const now = this.clock.now();
    for (const id of [...this.leases.keys()]) this.live(id, now);
    return this.leases.size;
  }

  private renewOne(lease: Lease, ttlMs: number, now: number): boolean {
    if (!this.isHeldBy(lease, now)) return false;
    (this.leases.get(lease.id) as Held).expiresAt = now + ttlMs;
    return true;
  }

  private isHeldBy(lease: Lease, now: number): boolean {
    const held = this.live(lease.id, now);
    return held !== undefined && held.ownerId === lease.ownerId && held.fencingToken === lease.fencingToken;
  }

  /** The unexpired lease of `id`; an expired one is deleted, as Redis does. */
  private live(id: string, now: number): Held | undefined {
    const held = this.leases.get(id);
    if (held === undefined) return undefined;
    if (now >= held.expiresAt) {
      this.leases.delete(id);
      return undefined;
    }
    return held;
  }
}
