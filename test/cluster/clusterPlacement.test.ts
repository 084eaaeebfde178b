/**
 * The cluster placement over both lease stores: claim, holds, release and locate (local, remote
 * with the owner's instance id and address, none), one winner among placements racing for an id,
 * ids lost when taken or expired, a store that cannot answer (typed refusals, releases that never
 * throw), close. The memory store runs on a manual clock; the Redis store on real time with short
 * ttls, and behind a proxy that freezes for a partition.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ClusterPlacement,
  type ClusterPlacementOptions,
  createClusterPlacement,
  createRedisLeaseStore,
  type Lease,
  type LeaseStore,
  LeaseStoreUnavailableError,
  MemoryLeaseStore,
} from '../../src/cluster/index.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { PlacementUnavailableError } from '../../src/runtime/placement.js';
import { connectRedis, deleteKeys, RedisProxy, sleep, type TestRedisClient, uniquePrefix } from './redis.js';

const keyPrefix = uniquePrefix('placement');
let client: TestRedisClient;

beforeAll(async () => {
  client = await connectRedis();
});

afterAll(async () => {
  if (client === undefined) return;
  await deleteKeys(client, keyPrefix);
  client.destroy();
});

const opened: ClusterPlacement[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((placement) => placement.close()));
});

/** A store that can be made to refuse every call, as an unreachable Redis does. */
class SwitchableStore implements LeaseStore {
  down = false;
  constructor(private readonly inner: LeaseStore) {}
  claim(id: string, ownerId: string, ttlMs: number) {
    return this.gate('claim', () => this.inner.claim(id, ownerId, ttlMs));
  }
  renew(lease: Lease, ttlMs: number) {
    return this.gate('renew', () => this.inner.renew(lease, ttlMs));
  }
  renewMany(leases: readonly Lease[], ttlMs: number) {
    return this.gate('renewMany', () => this.inner.renewMany(leases, ttlMs));
  }
  release(lease: Lease) {
    return this.gate('release', () => this.inner.release(lease));
  }
  owner(id: string) {
    return this.gate('owner', () => this.inner.owner(id));
  }
  private gate<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return this.down ? Promise.reject(new LeaseStoreUnavailableError(operation, 'not_connected')) : run();
  }
}

interface Harness {
  /** A store shared by every placement of one test. */
  store(): LeaseStore;
  /** Options every placement of the harness takes (times, clock). */
  readonly times: Partial<ClusterPlacementOptions>;
  /** Lets `ms` pass (on the manual clock, or really). */
  pass(ms: number): Promise<void>;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function memoryHarness(): Harness {
  const clock = new ManualClock(1_000);
  const store = new MemoryLeaseStore({ clock });
  return {
    store: () => store,
    times: { ttlMs: 3_000, renewIntervalMs: 1_000, safetyMarginMs: 300, clock },
    async pass(ms) {
      for (let done = 0; done < ms; done += 50) {
        clock.advance(Math.min(50, ms - done));
        await flush();
      }
    },
  };
}

function redisHarness(): Harness {
  return {
    store: () => createRedisLeaseStore(client, { keyPrefix, timeoutMs: 2_000 }),
    // Short, but with room for a loaded machine: a renewal may take up to 390 ms to be confirmed.
    times: { ttlMs: 600, renewIntervalMs: 150, safetyMarginMs: 60 },
    pass: (ms) => sleep(ms),
  };
}

function place(options: ClusterPlacementOptions): ClusterPlacement {
  const placement = createClusterPlacement(options);
  opened.push(placement);
  return placement;
}

describe.each([
  ['a memory store', memoryHarness],
  ['Redis', redisHarness],
])('the cluster placement on %s', (_, makeHarness) => {
  function pair() {
    const harness = makeHarness();
    const store = harness.store();
    const lostByA: string[] = [];
    const a = place({ store, address: 'http://10.0.0.1:3000', instanceId: 'a', ...harness.times });
    const b = place({ store, address: 'https://b.internal:8443/mcp', instanceId: 'b', ...harness.times });
    a.onLost((id) => lostByA.push(id));
    return { harness, store, a, b, lostByA };
  }

  it('locates a claimed id here on its owner, and at the owner (instance id and address) elsewhere', async () => {
    const { a, b } = pair();
    const id = `session:${randomUUID()}`;
    expect(await a.claim(id)).toBe(true);
    expect(a.holds(id)).toBe(true);
    expect(await a.locate(id)).toEqual({ kind: 'local' });
    expect(await b.claim(id)).toBe(false);
    expect(b.holds(id)).toBe(false);
    expect(await b.locate(id)).toEqual({ kind: 'remote', instanceId: 'a', address: 'http://10.0.0.1:3000' });
    // Claiming an id already held is true, and concurrent claims agree.
    expect(await Promise.all([a.claim(id), a.claim(id)])).toEqual([true, true]);
    expect(a.size).toBe(1);
  });

  it('names the fencing token of a held id, growing with each new holder, and none for an id not held', async () => {
    const { a, b } = pair();
    const id = `handle:${randomUUID()}`;
    expect(a.fencingToken(id)).toBeUndefined();
    expect(await a.claim(id)).toBe(true);
    const first = a.fencingToken(id);
    expect(typeof first).toBe('number');
    expect(b.fencingToken(id)).toBeUndefined();
    a.release(id);
    expect(a.fencingToken(id)).toBeUndefined();
    // The release reaches the store on its way (on Redis, a round trip).
    while ((await b.locate(id)).kind !== 'none') await flush();
    expect(await b.claim(id)).toBe(true);
    expect(b.fencingToken(id)).toBeGreaterThan(first as number);
  });

  it('locates nobody for an unknown id, and for a released one', async () => {
    const { a, b } = pair();
    const id = `handle:${randomUUID()}`;
    expect(await a.locate(id)).toEqual({ kind: 'none' });
    await a.claim(id);
    a.release(id);
    expect(a.holds(id)).toBe(false);
    await vi.waitFor(async () => expect(await b.locate(id)).toEqual({ kind: 'none' }), { timeout: 2_000 });
    expect(await a.locate(id)).toEqual({ kind: 'none' });
    expect(await b.claim(id)).toBe(true);
    expect(await a.locate(id)).toEqual({
      kind: 'remote',
      instanceId: 'b',
      address: 'https://b.internal:8443/mcp',
    });
  });

  it('gives an id to exactly one of two placements claiming it at once', async () => {
    const { a, b } = pair();
    const ids = Array.from({ length: 20 }, () => `task:${randomUUID()}`);
    const results = await Promise.all(ids.map((id) => Promise.all([a.claim(id), b.claim(id)])));
    for (const [index, [byA, byB]] of results.entries()) {
      expect(byA !== byB).toBe(true);
      const id = ids[index] as string;
      expect(a.holds(id)).toBe(byA);
      expect(b.holds(id)).toBe(byB);
    }
  });

  it('keeps an id held across many ttls while its lease is renewed', async () => {
    const { harness, a, b, lostByA } = pair();
    const id = `session:${randomUUID()}`;
    await a.claim(id);
    await harness.pass((harness.times.ttlMs as number) * 3);
    expect(a.holds(id)).toBe(true);
    expect(await b.claim(id)).toBe(false);
    expect(lostByA).toEqual([]);
  });

  it('tells the runtime of an id taken by another instance at its next renewal', async () => {
    const { harness, store, a, b, lostByA } = pair();
    const id = `session:${randomUUID()}`;
    await a.claim(id);
    // The lease vanishes under A (an operator deleted it, Redis lost it) and B claims the id.
    const holder = await store.owner(id);
    expect(await store.release({ id, ...(holder as { ownerId: string; fencingToken: number }) })).toBe(true);
    expect(await b.claim(id)).toBe(true);
    expect(a.holds(id)).toBe(true); // not known yet
    await harness.pass((harness.times.renewIntervalMs as number) * 2);
    await vi.waitFor(() => expect(lostByA).toEqual([id]), { timeout: 2_000, interval: 5 });
    expect(a.holds(id)).toBe(false);
    expect(await a.locate(id)).toEqual({
      kind: 'remote',
      instanceId: 'b',
      address: 'https://b.internal:8443/mcp',
    });
  });

  it('refuses a claim after close, and close releases every id it held', async () => {
    const { a, b } = pair();
    const ids = [`session:${randomUUID()}`, `task:${randomUUID()}`];
    for (const id of ids) await a.claim(id);
    await a.close();
    expect(a.holds(ids[0] as string)).toBe(false);
    for (const id of ids) expect(await b.claim(id)).toBe(true);
    const error = await a.claim(`session:${randomUUID()}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlacementUnavailableError);
    await a.close(); // twice is harmless
  });
});

describe('the cluster placement when its lease is lost', () => {
  it('tells the runtime at the local deadline when the store stops answering, before the store lets go', async () => {
    const clock = new ManualClock(1_000);
    const memory = new MemoryLeaseStore({ clock });
    const store = new SwitchableStore(memory);
    const lost: string[] = [];
    const times = { ttlMs: 3_000, renewIntervalMs: 1_000, safetyMarginMs: 300, clock };
    const a = place({ store, address: 'http://a:1', instanceId: 'a', ...times });
    const b = place({ store: memory, address: 'http://b:1', instanceId: 'b', ...times });
    a.onLost((id) => lost.push(id));
    await a.claim('session:1');
    store.down = true;
    clock.advance(2_699);
    await flush();
    expect(a.holds('session:1')).toBe(true);
    expect(lost).toEqual([]);
    clock.advance(1);
    expect(lost).toEqual(['session:1']);
    expect(a.holds('session:1')).toBe(false);
    // The store still has A's lease for 300 ms: B is sent to A, which no longer serves it.
    expect(await b.locate('session:1')).toEqual({ kind: 'remote', instanceId: 'a', address: 'http://a:1' });
    expect(await b.claim('session:1')).toBe(false);
    clock.advance(300);
    expect(await b.locate('session:1')).toEqual({ kind: 'none' });
    expect(await b.claim('session:1')).toBe(true);
  });

  it('tells a lost id to no listener once its unsubscribe is called; a replaced one’s unsubscribe leaves the new one', async () => {
    const clock = new ManualClock(1_000);
    const memory = new MemoryLeaseStore({ clock });
    const store = new SwitchableStore(memory);
    const times = { ttlMs: 3_000, renewIntervalMs: 1_000, safetyMarginMs: 300, clock };
    const a = place({ store, address: 'http://a:1', instanceId: 'a', ...times });
    const unsubscribed: string[] = [];
    const stop = a.onLost((id) => unsubscribed.push(id));
    if (stop === undefined) throw new Error('Expected onLost to return an unsubscribe function');
    stop();
    await a.claim('session:1');
    store.down = true;
    clock.advance(2_700);
    expect(a.holds('session:1')).toBe(false);
    expect(unsubscribed).toEqual([]);
    store.down = false;
    const later: string[] = [];
    const stopReplaced = a.onLost(() => {});
    a.onLost((id) => later.push(id));
    stopReplaced?.();
    await a.claim('session:2');
    store.down = true;
    clock.advance(2_700);
    expect(later).toEqual(['session:2']);
  });

  it('on Redis: loses the id when Redis stops answering, and another instance claims it after the ttl', async () => {
    const proxy = await RedisProxy.start();
    const partitioned = await connectRedis(proxy.url);
    try {
      const lost: string[] = [];
      const times = { ttlMs: 300, renewIntervalMs: 100, safetyMarginMs: 30 };
      const a = place({
        store: createRedisLeaseStore(partitioned, { keyPrefix, timeoutMs: 50 }),
        address: 'http://a:1',
        instanceId: 'a',
        ...times,
      });
      const b = place({
        store: createRedisLeaseStore(client, { keyPrefix, timeoutMs: 2_000 }),
        address: 'http://b:1',
        ...times,
      });
      a.onLost((id) => lost.push(id));
      const id = `session:${randomUUID()}`;
      expect(await a.claim(id)).toBe(true);
      proxy.freeze();
      await vi.waitFor(() => expect(lost).toEqual([id]), { timeout: 2_000, interval: 10 });
      expect(a.holds(id)).toBe(false);
      await vi.waitFor(async () => expect(await b.claim(id)).toBe(true), { timeout: 2_000, interval: 20 });
      expect(await b.locate(id)).toEqual({ kind: 'local' });
    } finally {
      proxy.thaw();
      partitioned.destroy();
      await proxy.close();
    }
  });
});

describe('the cluster placement when the store cannot answer', () => {
  it('refuses claim and locate with PlacementUnavailableError (retry after 1 s, the store error as cause)', async () => {
    const store = new SwitchableStore(new MemoryLeaseStore());
    store.down = true;
    const placement = place({ store, address: 'http://a:1' });
    for (const attempt of [placement.claim('session:x'), placement.locate('session:x')]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PlacementUnavailableError);
      expect(error).toMatchObject({ code: 'cluster_unavailable', retryAfterSeconds: 1 });
      expect((error as Error).cause).toBeInstanceOf(LeaseStoreUnavailableError);
    }
    expect(placement.holds('session:x')).toBe(false);
  });

  it('on Redis: refuses claim and locate at once when the client is closed', async () => {
    const closed = await connectRedis();
    closed.destroy();
    const placement = place({ store: createRedisLeaseStore(closed, { keyPrefix }), address: 'http://a:1' });
    for (const attempt of [placement.claim('session:y'), placement.locate('session:y')]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PlacementUnavailableError);
      expect(error).toMatchObject({ retryAfterSeconds: 1 });
      expect((error as Error).cause).toMatchObject({ reason: 'not_connected' });
    }
  });

  it('never throws from release when the store fails; it reports the failure and stops holding the id', async () => {
    const store = new SwitchableStore(new MemoryLeaseStore());
    const errors: unknown[] = [];
    const placement = place({ store, address: 'http://a:1', onError: (error) => errors.push(error) });
    expect(await placement.claim('session:z')).toBe(true);
    store.down = true;
    expect(() => placement.release('session:z')).not.toThrow();
    expect(placement.holds('session:z')).toBe(false);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toBeInstanceOf(LeaseStoreUnavailableError);
    // An id never held, and one released twice, are no-ops.
    expect(() => placement.release('session:never')).not.toThrow();
    expect(() => placement.release('session:z')).not.toThrow();
  });

  it('refuses to locate through a lease whose owner is not a placement (a shared key prefix)', async () => {
    const store = new MemoryLeaseStore();
    await store.claim('session:foreign', 'plain-owner', 10_000);
    const placement = place({ store, address: 'http://a:1' });
    await expect(placement.locate('session:foreign')).rejects.toBeInstanceOf(PlacementUnavailableError);
  });
});

describe('the cluster placement options', () => {
  it('encodes its lease owner as "<instanceId> <address>", read back with one GET', async () => {
    const placement = place({
      store: createRedisLeaseStore(client, { keyPrefix }),
      address: 'http://10.1.2.3:3000',
      instanceId: 'host-1:42:abc',
    });
    const id = `session:${randomUUID()}`;
    await placement.claim(id);
    expect(await client.get(`${keyPrefix}lease:${id}`)).toMatch(
      /^\d+ host-1:42:abc http:\/\/10\.1\.2\.3:3000$/,
    );
  });

  it('gives every placement a fresh instance id by default', () => {
    const store = new MemoryLeaseStore();
    const one = place({ store, address: 'http://a:1' });
    const two = place({ store, address: 'http://a:1' });
    expect(one.instanceId).toMatch(/^\S+$/);
    expect(one.instanceId).not.toBe(two.instanceId);
    expect(one.address).toBe('http://a:1');
  });

  it('refuses an address that is not an http(s) URL, an instance id with whitespace, and a missing store', () => {
    const store = new MemoryLeaseStore();
    for (const address of ['10.0.0.1:3000', 'ftp://a', 'http://a b', ' http://a', '', undefined]) {
      expect(() => createClusterPlacement({ store, address } as ClusterPlacementOptions)).toThrow(
        /Expected `address` to be an http\(s\) URL/,
      );
    }
    for (const instanceId of ['a b', 'a\tb', '']) {
      expect(() => createClusterPlacement({ store, address: 'http://a', instanceId })).toThrow(
        /`instanceId`/,
      );
    }
    expect(() => createClusterPlacement({ address: 'http://a' } as ClusterPlacementOptions)).toThrow(
      /Expected `store` to be a LeaseStore/,
    );
    expect(() =>
      createClusterPlacement({ store, address: 'http://a', ttlMs: 300, renewIntervalMs: 300 }),
    ).toThrow(TypeError);
  });

  it('takes a forwarding key of at least 32 bytes, as a string or a copy of the bytes', () => {
    const store = new MemoryLeaseStore();
    expect(createClusterPlacement({ store, address: 'http://a' }).forwardingKey).toBeUndefined();
    const bytes = new Uint8Array(32).fill(7);
    const placement = createClusterPlacement({ store, address: 'http://a', forwardingKey: bytes });
    bytes.fill(0);
    expect([...(placement.forwardingKey ?? [])]).toEqual(new Array(32).fill(7));
    expect(
      createClusterPlacement({ store, address: 'http://a', forwardingKey: 'k'.repeat(32) }).forwardingKey,
    ).toHaveLength(32);
    for (const forwardingKey of ['k'.repeat(31), new Uint8Array(31), 42]) {
      expect(() =>
        createClusterPlacement({ store, address: 'http://a', forwardingKey } as ClusterPlacementOptions),
      ).toThrow(/`forwardingKey`/);
    }
  });
});

describe('placements racing on Redis', () => {
  it('gives every id to exactly one of N placements claiming it at once on separate connections (property)', async () => {
    const connections = await Promise.all(Array.from({ length: 5 }, () => connectRedis()));
    let round = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 5 }),
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
          async (count, idCount, delays) => {
            round++;
            const placements = connections.slice(0, count).map((connection, index) =>
              createClusterPlacement({
                store: createRedisLeaseStore(connection, { keyPrefix, timeoutMs: 5_000 }),
                address: `http://10.0.0.${index}:3000`,
                instanceId: `racer-${round}-${index}`,
              }),
            );
            try {
              const ids = Array.from({ length: idCount }, (_, index) => `race-${round}-${index}`);
              const results = await Promise.all(
                ids.map((id) =>
                  Promise.all(
                    placements.map((placement, index) =>
                      sleep(delays[index] ?? 0).then(() => placement.claim(id)),
                    ),
                  ),
                ),
              );
              for (const [index, id] of ids.entries()) {
                const winners = (results[index] as boolean[]).flatMap((won, racer) => (won ? [racer] : []));
                expect(winners).toHaveLength(1);
                const winner = winners[0] as number;
                expect(await (placements[(winner + 1) % count] as ClusterPlacement).locate(id)).toEqual({
                  kind: 'remote',
                  instanceId: `racer-${round}-${winner}`,
                  address: `http://10.0.0.${winner}:3000`,
                });
              }
            } finally {
              await Promise.all(placements.map((placement) => placement.close()));
            }
          },
        ),
        { numRuns: 30 },
      );
    } finally {
      for (const connection of connections) connection.destroy();
    }
  });
});
