/**
 * The Redis lease store against a real Redis: the shared LeaseStore contract, racing claimers on
 * separate connections (a fast-check property), the fencing counter, the script cache, batching,
 * and an unreachable or partitioned Redis (typed errors within the timeout, nothing hangs).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisLeaseStore,
  type Lease,
  type LeaseStore,
  LeaseStoreUnavailableError,
  type RedisCommandClient,
} from '../../src/cluster/index.js';
import { leaseStoreContract } from './leaseStoreContract.js';
import { connectRedis, deleteKeys, RedisProxy, sleep, type TestRedisClient, uniquePrefix } from './redis.js';

const keyPrefix = uniquePrefix('store');
let client: TestRedisClient;
let store: LeaseStore;
let smallBatchStore: LeaseStore;

beforeAll(async () => {
  client = await connectRedis();
  // Generous timeouts: these tests are about answers, the timeout tests below about time.
  store = createRedisLeaseStore(client, { keyPrefix, timeoutMs: 5_000 });
  smallBatchStore = createRedisLeaseStore(client, { keyPrefix, batchSize: 3, timeoutMs: 5_000 });
});

afterAll(async () => {
  if (client === undefined) return;
  await deleteKeys(client, keyPrefix);
  client.destroy();
});

leaseStoreContract('the Redis lease store', () => ({ store, smallBatchStore }));

describe('the Redis lease store', () => {
  it('keeps a lease as one string key "<token> <owner>" with a PX expiry under the key prefix', async () => {
    const lease = (await store.claim('layout', 'owner a', 10_000)) as Lease;
    expect(await client.get(`${keyPrefix}lease:layout`)).toBe(`${lease.fencingToken} owner a`);
    const ttl = await client.pTTL(`${keyPrefix}lease:layout`);
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(Number(await client.get(`${keyPrefix}fence`))).toBe(lease.fencingToken);
  });

  it('seeds the fencing counter from Redis TIME, so tokens keep growing after the counter is lost', async () => {
    const prefix = uniquePrefix('seed');
    const seeded = createRedisLeaseStore(client, { keyPrefix: prefix });
    try {
      const before = Date.now() * 1000;
      const first = (await seeded.claim('a', 'owner', 10_000)) as Lease;
      expect(first.fencingToken).toBeGreaterThanOrEqual(before - 5_000_000);
      expect(first.fencingToken).toBeLessThanOrEqual(Date.now() * 1000 + 5_000_000);
      // A Redis restarted without persistence has lost every key, the counter too.
      await deleteKeys(client, prefix);
      await sleep(2);
      const second = (await seeded.claim('a', 'other', 10_000)) as Lease;
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    } finally {
      await deleteKeys(client, prefix);
    }
  });

  it('loads its scripts again after Redis forgot them (SCRIPT FLUSH, a restart, a failover)', async () => {
    await client.scriptFlush();
    const lease = (await store.claim('flushed', 'owner', 10_000)) as Lease;
    await client.scriptFlush();
    expect(await store.renew(lease, 10_000)).toBe(true);
    await client.scriptFlush();
    expect(await store.release(lease)).toBe(true);
  });

  it('renews 2500 leases in 3 script calls (batches of 1000), sent together', async () => {
    const sent: string[] = [];
    const counting: RedisCommandClient = {
      get isReady() {
        return client.isReady;
      },
      sendCommand: (args, options) => {
        sent.push(args[0] as string);
        return client.sendCommand(args, options);
      },
    };
    const counted = createRedisLeaseStore(counting, { keyPrefix, timeoutMs: 5_000 });
    const leases: (Lease | undefined)[] = [];
    for (let start = 0; start < 2500; start += 250) {
      leases.push(
        ...(await Promise.all(
          Array.from({ length: 250 }, (_, index) =>
            store.claim(`bulk-${start + index}`, 'bulk-owner', 10_000),
          ),
        )),
      );
    }
    await store.renewMany(leases.slice(0, 1) as Lease[], 10_000); // the script is in Redis's cache
    sent.length = 0;
    const renewed = await counted.renewMany(leases as Lease[], 10_000);
    expect(renewed).toHaveLength(2500);
    expect(renewed.every((one) => one)).toBe(true);
    expect(sent).toEqual(['EVALSHA', 'EVALSHA', 'EVALSHA']);
  });

  it('gives each id to exactly one of N claimers racing on separate connections (property)', async () => {
    const connections = await Promise.all(Array.from({ length: 6 }, () => connectRedis()));
    const stores = connections.map((connection) =>
      createRedisLeaseStore(connection, { keyPrefix, timeoutMs: 5_000 }),
    );
    let round = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 6 }),
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 6, maxLength: 6 }),
          async (claimers, idCount, delays) => {
            round++;
            const ids = Array.from({ length: idCount }, (_, index) => `race-${round}-${index}`);
            const attempts = ids.flatMap((id) =>
              Array.from({ length: claimers }, (_, claimer) =>
                sleep(delays[claimer] ?? 0).then(() =>
                  (stores[claimer] as LeaseStore).claim(id, `claimer-${claimer}`, 10_000),
                ),
              ),
            );
            const results = await Promise.all(attempts);
            for (const [index, id] of ids.entries()) {
              const won = results
                .slice(index * claimers, (index + 1) * claimers)
                .filter((lease): lease is Lease => lease !== undefined);
              expect(won).toHaveLength(1);
              expect(await store.owner(id)).toEqual({
                ownerId: won[0]?.ownerId,
                fencingToken: won[0]?.fencingToken,
              });
            }
            const tokens = results.filter((lease) => lease !== undefined).map((lease) => lease.fencingToken);
            expect(new Set(tokens).size).toBe(tokens.length);
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      for (const connection of connections) connection.destroy();
    }
  });
});

describe('the Redis lease store when Redis cannot answer', () => {
  it('refuses at once, typed, on a client pointed at a closed port', async () => {
    const { createClient } = await import('redis');
    const closed = createClient({ url: 'redis://127.0.0.1:1', socket: { reconnectStrategy: () => 50 } });
    closed.on('error', () => {});
    const connecting = closed.connect().catch(() => undefined);
    try {
      const unreachable = createRedisLeaseStore(closed, { keyPrefix, timeoutMs: 300 });
      const started = performance.now();
      const error = await unreachable.claim('x', 'owner', 1000).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LeaseStoreUnavailableError);
      expect(error).toMatchObject({
        code: 'lease_store_unavailable',
        reason: 'not_connected',
        operation: 'claim',
        retryAfterSeconds: 1,
      });
      await expect(unreachable.owner('x')).rejects.toThrow(LeaseStoreUnavailableError);
      await expect(unreachable.renewMany([{ id: 'x', ownerId: 'o', fencingToken: 1 }], 1000)).rejects.toThrow(
        LeaseStoreUnavailableError,
      );
      expect(performance.now() - started).toBeLessThan(300);
    } finally {
      closed.destroy();
      await connecting;
    }
  });

  it('times out, typed, within its timeout when Redis stops answering; answers again after', async () => {
    const proxy = await RedisProxy.start();
    const partitioned = await connectRedis(proxy.url);
    try {
      const behind = createRedisLeaseStore(partitioned, { keyPrefix, timeoutMs: 250 });
      const lease = (await behind.claim('partition', 'owner', 10_000)) as Lease;
      proxy.freeze();
      for (const call of [
        () => behind.claim('partition-2', 'owner', 1000),
        () => behind.renew(lease, 10_000),
        () => behind.release(lease),
        () => behind.owner('partition'),
      ]) {
        const started = performance.now();
        const error = await call().catch((caught: unknown) => caught);
        const elapsed = performance.now() - started;
        expect(error).toBeInstanceOf(LeaseStoreUnavailableError);
        expect((error as LeaseStoreUnavailableError).reason).toBe('timeout');
        expect(elapsed).toBeGreaterThanOrEqual(240);
        expect(elapsed).toBeLessThan(1000);
      }
      proxy.thaw();
      // The commands that timed out were still delivered: a timed-out call may have taken effect.
      // The late claim is this owner's, so claiming again returns it; the late release was owner-checked.
      expect(await behind.owner('partition')).toBeUndefined();
      const late = await behind.owner('partition-2');
      expect(late?.ownerId).toBe('owner');
      expect(await behind.claim('partition-2', 'owner', 1000)).toEqual({ id: 'partition-2', ...late });
    } finally {
      partitioned.destroy();
      await proxy.close();
    }
  });

  it('refuses at once after the connection dropped, and never leaves a call pending', async () => {
    const proxy = await RedisProxy.start();
    const dropped = await connectRedis(proxy.url);
    try {
      const behind = createRedisLeaseStore(dropped, { keyPrefix, timeoutMs: 250 });
      const inFlight = [behind.claim('dropped-1', 'owner', 1000), behind.owner('dropped-2')];
      await proxy.close();
      const settled = await Promise.allSettled(inFlight);
      for (const outcome of settled) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(LeaseStoreUnavailableError);
      }
      await sleep(20);
      const error = await behind.claim('dropped-3', 'owner', 1000).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ reason: 'not_connected' });
    } finally {
      dropped.destroy();
    }
  });

  it('tells a client timeout from a failure, and settles even when the client never answers', async () => {
    class TimeoutError extends Error {} // node-redis's: its name stays `Error`
    const answering = (answer: () => Promise<unknown>): RedisCommandClient => ({
      isReady: true,
      sendCommand: answer,
    });
    const timedOut = createRedisLeaseStore(
      answering(() => Promise.reject(new TimeoutError())),
      { timeoutMs: 200 },
    );
    await expect(timedOut.owner('x')).rejects.toMatchObject({ reason: 'timeout' });
    const failing = createRedisLeaseStore(
      answering(() => Promise.reject(new Error('WRONGTYPE'))),
      { timeoutMs: 200 },
    );
    await expect(failing.owner('x')).rejects.toMatchObject({
      reason: 'failed',
      cause: { message: 'WRONGTYPE' },
    });
    const silent = createRedisLeaseStore(
      answering(() => new Promise(() => {})),
      { timeoutMs: 200 },
    );
    const started = performance.now();
    await expect(silent.claim('x', 'owner', 1000)).rejects.toMatchObject({ reason: 'timeout' });
    expect(performance.now() - started).toBeLessThan(1000);
    const garbled = createRedisLeaseStore(
      answering(() => Promise.resolve('OK')),
      { timeoutMs: 200 },
    );
    await expect(garbled.claim('x', 'owner', 1000)).rejects.toMatchObject({ reason: 'failed' });
  });

  it('refuses a value that is not a client', () => {
    expect(() => createRedisLeaseStore({} as RedisCommandClient)).toThrow(TypeError);
    expect(() => createRedisLeaseStore(client, { timeoutMs: 0 })).toThrow('Expected `timeoutMs`');
  });
});
