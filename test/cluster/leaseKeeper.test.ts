/**
 * The lease keeper on a manual clock over the in-memory store (the store expires leases on the same
 * clock): renewals batched per interval, the local deadline `sentAt + ttl - margin` passing before
 * the store's expiry, a loss noticed synchronously after a pause, late confirmations, claims that
 * fail typed, release and close. And the lease clock itself.
 */
import { describe, expect, it } from 'vitest';
import {
  type Lease,
  LeaseKeeper,
  type LeaseKeeperOptions,
  type LeaseLostReason,
  type LeaseStore,
  LeaseStoreUnavailableError,
  MemoryLeaseStore,
} from '../../src/cluster/index.js';
import { createLeaseClock } from '../../src/cluster/leaseClock.js';
import { type Clock, ManualClock } from '../../src/runtime/clock.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Advances the clock in small steps, letting the store's promises settle in between. */
async function advance(clock: ManualClock, ms: number, step = 50): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
  }
}

type Mode = 'up' | 'down' | 'slow';

/** A store over a memory store that counts calls and can fail or answer late (on the clock). */
class ControlledStore implements LeaseStore {
  mode: Mode = 'up';
  slowMs = 0;
  /** When set, a release takes effect in the store only this much later (a slow connection). */
  releaseDelayMs = 0;
  readonly calls = { claim: 0, renewMany: 0, release: 0, renewed: [] as number[] };

  constructor(
    readonly inner: MemoryLeaseStore,
    private readonly clock: ManualClock,
  ) {}

  claim(id: string, ownerId: string, ttlMs: number) {
    this.calls.claim++;
    return this.gate('claim', () => this.inner.claim(id, ownerId, ttlMs));
  }
  renew(lease: Lease, ttlMs: number) {
    return this.gate('renew', () => this.inner.renew(lease, ttlMs));
  }
  renewMany(leases: readonly Lease[], ttlMs: number) {
    this.calls.renewMany++;
    this.calls.renewed.push(leases.length);
    return this.gate('renewMany', () => this.inner.renewMany(leases, ttlMs));
  }
  release(lease: Lease) {
    this.calls.release++;
    if (this.releaseDelayMs > 0) {
      return new Promise<boolean>((resolve) =>
        this.clock.setTimeout(() => resolve(this.inner.release(lease)), this.releaseDelayMs),
      );
    }
    return this.gate('release', () => this.inner.release(lease));
  }
  owner(id: string) {
    return this.gate('owner', () => this.inner.owner(id));
  }

  private gate<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.mode === 'down')
      return Promise.reject(new LeaseStoreUnavailableError(operation, 'not_connected'));
    if (this.mode === 'slow') {
      // Runs in the store now, answers `slowMs` later: a slow network on the way back.
      const answer = run();
      return new Promise((resolve) => this.clock.setTimeout(() => resolve(answer), this.slowMs));
    }
    return run();
  }
}

function setup(options: Partial<LeaseKeeperOptions> = {}) {
  const clock = new ManualClock(1_000);
  const inner = new MemoryLeaseStore({ clock });
  const store = new ControlledStore(inner, clock);
  const lost: [string, LeaseLostReason][] = [];
  const keeper = new LeaseKeeper({
    store,
    ownerId: 'me',
    ttlMs: 3_000,
    renewIntervalMs: 1_000,
    safetyMarginMs: 300,
    clock,
    onLost: (lease, reason) => lost.push([lease.id, reason]),
    ...options,
  });
  return { clock, inner, store, keeper, lost };
}

describe('LeaseKeeper', () => {
  it('keeps 1000 leases held over ten ttls with one renewMany per interval for all of them', async () => {
    const { clock, store, keeper, lost } = setup();
    const ids = Array.from({ length: 1000 }, (_, index) => `s${index}`);
    await Promise.all(ids.map((id) => keeper.claim(id)));
    await advance(clock, 30_000, 100);
    expect(ids.every((id) => keeper.holds(id))).toBe(true);
    expect(lost).toEqual([]);
    expect(store.calls.renewMany).toBe(30);
    expect(new Set(store.calls.renewed)).toEqual(new Set([1000]));
    expect(await store.inner.owner('s999')).toMatchObject({ ownerId: 'me' });
  });

  it('renews in batches answered on their own: a failed batch costs only its own leases', async () => {
    const { clock, store, keeper, lost } = setup({ renewBatchSize: 400 });
    const ids = Array.from({ length: 1000 }, (_, index) => `s${index}`);
    await Promise.all(ids.map((id) => keeper.claim(id)));
    // Batches that contain s500 (the second one: s400..s799) fail; the others go through.
    const renewMany = store.renewMany.bind(store);
    const sizes: number[] = [];
    store.renewMany = (leases, ttlMs) => {
      sizes.push(leases.length);
      return leases.some((lease) => lease.id === 's500')
        ? Promise.reject(new LeaseStoreUnavailableError('renewMany', 'timeout'))
        : renewMany(leases, ttlMs);
    };
    await advance(clock, 3_000);
    expect(sizes.slice(0, 3)).toEqual([400, 400, 200]);
    expect(lost).toHaveLength(400);
    expect(
      lost.every(
        ([id, reason]) => reason === 'expired' && Number(id.slice(1)) >= 400 && Number(id.slice(1)) < 800,
      ),
    ).toBe(true);
    expect(keeper.holds('s0')).toBe(true);
    expect(keeper.holds('s999')).toBe(true);
    expect(keeper.size).toBe(600);
  });

  it('gives a lease up at sentAt + ttl - margin when renewals fail, before the store could hand it on', async () => {
    const { clock, inner, store, keeper, lost } = setup();
    const lease = (await keeper.claim('s')) as Lease;
    store.mode = 'down';
    await advance(clock, 2_650);
    expect(keeper.holds('s')).toBe(true);
    expect(keeper.remainingMs('s')).toBe(50);
    await advance(clock, 50);
    // The keeper's timer fired at the deadline: the owner was told, once.
    expect(lost).toEqual([['s', 'expired']]);
    expect(keeper.holds('s')).toBe(false);
    expect(keeper.lease('s')).toBeUndefined();
    // The store still holds it until the ttl: no other owner could have it while this one served.
    expect(await inner.claim('s', 'other', 3_000)).toBeUndefined();
    await advance(clock, 299, 299);
    expect(await inner.claim('s', 'other', 3_000)).toBeUndefined();
    await advance(clock, 1, 1);
    const next = (await inner.claim('s', 'other', 3_000)) as Lease;
    expect(next.fencingToken).toBeGreaterThan(lease.fencingToken);
    expect(lost).toEqual([['s', 'expired']]);
  });

  it('notices a loss at its first check after a pause, synchronously, before any timer has run', async () => {
    const clock = new ManualClock(1_000);
    let pausedFor = 0;
    // Time passes, timers do not fire: a stopped process or a long GC pause.
    const pausable: Clock = {
      now: () => clock.now() + pausedFor,
      setTimeout: (callback, delayMs) => clock.setTimeout(callback, delayMs),
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    const store = new MemoryLeaseStore({ clock: pausable });
    const lost: string[] = [];
    const keeper = new LeaseKeeper({
      store,
      ownerId: 'me',
      ttlMs: 3_000,
      clock: pausable,
      onLost: (lease) => lost.push(lease.id),
    });
    const lease = (await keeper.claim('s')) as Lease;
    pausedFor = 2_700;
    expect(keeper.holds('s')).toBe(false);
    expect(lost).toEqual(['s']);
    expect(keeper.holds('s')).toBe(false);
    expect(lost).toEqual(['s']);
    // The store's expiry is still ahead (3000 ms), but the owner already stopped.
    expect(await store.owner('s')).toBeUndefined(); // given back early on the way out
    pausedFor = 10_000;
    expect(await store.renew(lease, 3_000)).toBe(false);
  });

  it('drops a lease the store no longer holds for this owner at the next renewal (taken)', async () => {
    const { clock, inner, keeper, lost } = setup();
    const lease = (await keeper.claim('s')) as Lease;
    await keeper.claim('t');
    await inner.release(lease);
    await inner.claim('s', 'thief', 3_000);
    expect(keeper.holds('s')).toBe(true); // not known yet
    await advance(clock, 1_000);
    expect(lost).toEqual([['s', 'taken']]);
    expect(keeper.holds('s')).toBe(false);
    expect(keeper.holds('t')).toBe(true);
    expect((await inner.owner('s'))?.ownerId).toBe('thief');
  });

  it('counts a lease from when its claim or renewal was sent, not from when the answer came', async () => {
    const { clock, store, keeper, lost } = setup();
    store.mode = 'slow';
    store.slowMs = 900;
    const claim = keeper.claim('s'); // sent at 1000 ms, answered at 1900 ms
    await advance(clock, 900);
    await claim;
    expect(keeper.remainingMs('s')).toBe(1_800); // 1000 + 3000 - 300 - 1900
    await advance(clock, 1_000); // the renewal sent at 2000 ms is answered at 2900 ms
    expect(keeper.remainingMs('s')).toBe(1_800); // 2000 + 3000 - 300 - 2900
    await advance(clock, 20_000);
    expect(lost).toEqual([]);
    expect(keeper.holds('s')).toBe(true);
  });

  it('does not revive a lease whose renewal was confirmed after its deadline', async () => {
    const { clock, inner, store, keeper, lost } = setup();
    await keeper.claim('s');
    store.mode = 'slow';
    store.slowMs = 2_500; // the renewal sent at 1000 ms answers at 3500 ms, past the deadline (2700 ms)
    await advance(clock, 2_700);
    expect(lost).toEqual([['s', 'expired']]);
    store.mode = 'up';
    await advance(clock, 1_000);
    expect(lost).toEqual([['s', 'expired']]);
    expect(keeper.holds('s')).toBe(false);
    // It was given back in the store when it was lost, so another owner need not wait for the ttl.
    expect(await inner.owner('s')).toBeUndefined();
  });

  it('rejects a claim with the typed error when the store is unreachable, and holds nothing', async () => {
    const { store, keeper } = setup();
    store.mode = 'down';
    const error = await keeper.claim('s').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LeaseStoreUnavailableError);
    expect(error).toMatchObject({ reason: 'not_connected', operation: 'claim' });
    expect(keeper.size).toBe(0);
    expect(keeper.holds('s')).toBe(false);
  });

  it('refuses a claim whose answer came too late to use, and gives it back', async () => {
    const { clock, inner, store, keeper } = setup();
    store.mode = 'slow';
    store.slowMs = 2_700;
    const claim = keeper.claim('s').catch((caught: unknown) => caught);
    await advance(clock, 2_700);
    expect(await claim).toMatchObject({ reason: 'timeout' });
    store.mode = 'up';
    await flush();
    expect(keeper.holds('s')).toBe(false);
    expect(await inner.owner('s')).toBeUndefined();
  });

  it('answers undefined for an id another owner holds', async () => {
    const { inner, keeper } = setup();
    await inner.claim('s', 'other', 3_000);
    expect(await keeper.claim('s')).toBeUndefined();
    expect(keeper.holds('s')).toBe(false);
  });

  it('shares one store call among concurrent claims of one id, and answers a held id locally', async () => {
    const { store, keeper } = setup();
    const [first, second] = await Promise.all([keeper.claim('s'), keeper.claim('s')]);
    expect(first).toBe(second);
    expect(await keeper.claim('s')).toBe(first);
    expect(store.calls.claim).toBe(1);
  });

  it('releases at once locally and in the store; a release of nothing held answers false', async () => {
    const { inner, keeper, lost } = setup();
    await keeper.claim('s');
    const releasing = keeper.release('s');
    expect(keeper.holds('s')).toBe(false);
    expect(await releasing).toBe(true);
    expect(await inner.owner('s')).toBeUndefined();
    expect(await keeper.release('s')).toBe(false);
    expect(lost).toEqual([]);
  });

  it('claims an id again only after its release reached the store, so the release cannot delete the new lease', async () => {
    const { clock, inner, store, keeper } = setup();
    const first = (await keeper.claim('s')) as Lease;
    store.releaseDelayMs = 500;
    const released = keeper.release('s');
    const again = keeper.claim('s');
    await advance(clock, 500);
    expect(await released).toBe(true);
    const second = (await again) as Lease;
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    expect(await inner.owner('s')).toEqual({ ownerId: 'me', fencingToken: second.fencingToken });
    expect(keeper.holds('s')).toBe(true);
  });

  it('answers false, never rejects, for a release the store cannot take', async () => {
    const { store, keeper } = setup();
    await keeper.claim('s');
    store.mode = 'down';
    expect(await keeper.release('s')).toBe(false);
    expect(keeper.holds('s')).toBe(false);
  });

  it('releases everything on close, stops its timer, and refuses later claims as closed', async () => {
    const { clock, inner, keeper } = setup();
    await Promise.all(['a', 'b', 'c'].map((id) => keeper.claim(id)));
    await keeper.close();
    expect(inner.size).toBe(0);
    expect(keeper.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await expect(keeper.claim('d')).rejects.toMatchObject({ reason: 'closed' });
    await keeper.close();
  });

  it('keeps going when the owner callback throws', async () => {
    const { clock, store, keeper } = setup({
      onLost: () => {
        throw new Error('boom');
      },
    });
    await keeper.claim('a');
    await keeper.claim('b');
    store.mode = 'down';
    await advance(clock, 3_000);
    expect(keeper.size).toBe(0);
    store.mode = 'up';
    expect(await keeper.claim('c')).toBeDefined();
  });

  it('stops its timer when nothing is held', async () => {
    const { clock, keeper } = setup();
    await keeper.claim('s');
    await keeper.release('s');
    await advance(clock, 2_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses inconsistent options with a TypeError', () => {
    const store = new MemoryLeaseStore();
    expect(() => new LeaseKeeper({ store, ownerId: '' })).toThrow(TypeError);
    expect(() => new LeaseKeeper({ store: {} as LeaseStore, ownerId: 'me' })).toThrow('Expected `store`');
    expect(() => new LeaseKeeper({ store, ownerId: 'me', ttlMs: 3_000, renewIntervalMs: 2_800 })).toThrow(
      'to be below `ttlMs`',
    );
    expect(() => new LeaseKeeper({ store, ownerId: 'me', safetyMarginMs: -1 })).toThrow(TypeError);
    const keeper = new LeaseKeeper({ store, ownerId: 'me' });
    expect([keeper.ttlMs, keeper.renewIntervalMs, keeper.safetyMarginMs]).toEqual([15_000, 5_000, 1_500]);
  });
});

describe('the lease clock', () => {
  function sources() {
    const time = { monotonic: 0, wall: 1_700_000_000_000 };
    return { time, clock: createLeaseClock({ monotonic: () => time.monotonic, wall: () => time.wall }) };
  }

  it('advances with both clocks when they agree', () => {
    const { time, clock } = sources();
    expect(clock.now()).toBe(0);
    time.monotonic += 100;
    time.wall += 100;
    expect(clock.now()).toBe(100);
  });

  it('counts a suspend (the wall clock ran, the monotonic one stood still)', () => {
    const { time, clock } = sources();
    time.wall += 60_000;
    time.monotonic += 5;
    expect(clock.now()).toBe(60_000);
  });

  it('ignores a backward step of the wall clock and never decreases', () => {
    const { time, clock } = sources();
    time.monotonic += 100;
    time.wall -= 30_000;
    expect(clock.now()).toBe(100);
    time.monotonic += 50;
    time.wall += 50;
    expect(clock.now()).toBe(150);
  });
});
