/**
 * Fencing against a real Redis: an owner that stops (a blocked event loop in this process, or a
 * child process sent SIGSTOP) past its lease learns it lost the lease before another owner's claim
 * can succeed, acts on nothing after, and can neither renew nor release; its late write is refused
 * by its fencing token. And a keeper behind a partition gives its leases up at their deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisLeaseStore,
  type Lease,
  LeaseKeeper,
  type LeaseLostReason,
  type LeaseStore,
  LeaseStoreUnavailableError,
} from '../../src/cluster/index.js';
import { FENCED_WRITE } from './fixtures/fencedWrite.js';
import {
  connectRedis,
  deleteKeys,
  RedisProxy,
  redisUrl,
  sleep,
  type TestRedisClient,
  uniquePrefix,
} from './redis.js';

const keyPrefix = uniquePrefix('fencing');
let client: TestRedisClient;
let store: LeaseStore;

beforeAll(async () => {
  client = await connectRedis();
  store = createRedisLeaseStore(client, { keyPrefix, timeoutMs: 5_000 });
});

afterAll(async () => {
  if (client === undefined) return;
  await deleteKeys(client, keyPrefix);
  client.destroy();
});

describe('an owner paused past its lease', () => {
  it('(blocked event loop) finds the lease lost at its first check; another owner then claims it', async () => {
    const lost: [string, LeaseLostReason][] = [];
    const keeper = new LeaseKeeper({
      store,
      ownerId: 'paused',
      ttlMs: 1_500,
      renewIntervalMs: 500,
      safetyMarginMs: 150,
      onLost: (lease, reason) => lost.push([lease.id, reason]),
    });
    const other = await connectRedis();
    try {
      const lease = (await keeper.claim('blocked')) as Lease;
      await sleep(700); // a renewal goes through
      expect(keeper.holds('blocked')).toBe(true);
      // A 1700 ms stop of the whole thread: no timer, no renewal, no answer is read.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_700);
      expect(keeper.holds('blocked')).toBe(false);
      expect(lost).toEqual([['blocked', 'expired']]);
      const next = (await createRedisLeaseStore(other, { keyPrefix }).claim(
        'blocked',
        'next',
        5_000,
      )) as Lease;
      expect(next.fencingToken).toBeGreaterThan(lease.fencingToken);
      expect(await store.renew(lease, 1_500)).toBe(false);
      expect(await store.release(lease)).toBe(false);
      expect(await store.owner('blocked')).toEqual({ ownerId: 'next', fencingToken: next.fencingToken });
    } finally {
      await keeper.close();
      other.destroy();
    }
  });

  it('(SIGSTOP) acts on nothing after the new owner could claim, and its late write is fenced off', async () => {
    const ttlMs = 1_000;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/fixtures/leaseHolder.ts'], {
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        KEY_PREFIX: keyPrefix,
        LEASE_ID: 'stopped',
        TTL_MS: String(ttlMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = collectLines(child);
      await lines.waitFor((line) => line.startsWith('claimed '));
      await sleep(500); // renewals go through while it runs
      child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      // Claim it as soon as the store lets anyone: poll every 10 ms.
      let claimedSentAt = 0;
      let mine: Lease | undefined;
      while (mine === undefined) {
        claimedSentAt = Date.now();
        mine = await store.claim('stopped', 'successor', 10_000);
        if (mine === undefined) await sleep(10);
      }
      expect(claimedSentAt - stoppedAt).toBeLessThan(ttlMs + 500);
      expect(
        await client.eval(FENCED_WRITE, {
          keys: [`${keyPrefix}resource`],
          arguments: [String(mine.fencingToken), 'successor'],
        }),
      ).toBe(1);
      child.kill('SIGCONT');
      await lines.waitFor((line) => line.startsWith('after '));
      const samples = lines.all
        .filter((line) => line.startsWith('sample '))
        .map((line) => {
          const [, before, holds, deadline, after] = line.split(' ');
          return {
            before: Number(before),
            holds: holds === 'true',
            deadline: Number(deadline),
            after: Number(after),
          };
        });
      // Samples whose check ran wholly before the stop or wholly after the resume (not across it).
      const whole = samples.filter((sample) => sample.after - sample.before < 100);
      const held = whole.filter((sample) => sample.holds);
      expect(held.length).toBeGreaterThan(10);
      // Whenever it believed it held the lease, its local deadline was before the successor's claim.
      for (const sample of held) {
        expect(sample.after).toBeLessThan(claimedSentAt);
        expect(sample.deadline).toBeLessThan(claimedSentAt);
      }
      // After the resume its very first check said "lost".
      expect(samples.at(-1)?.holds).toBe(false);
      expect(lines.all).toContain('lost expired');
      // It can neither renew nor release the successor's lease, and its late write is refused.
      expect(lines.all.at(-1)).toBe('after false false 0');
      expect(await store.owner('stopped')).toEqual({ ownerId: 'successor', fencingToken: mine.fencingToken });
      expect(await client.hGet(`${keyPrefix}resource`, 'value')).toBe('successor');
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }, 20_000);
});

describe('a keeper cut off from Redis', () => {
  it('gives its leases up at their deadline, before Redis lets them go, and fails claims typed', async () => {
    const proxy = await RedisProxy.start();
    const behind = await connectRedis(proxy.url);
    const lost: string[] = [];
    const keeper = new LeaseKeeper({
      store: createRedisLeaseStore(behind, { keyPrefix, timeoutMs: 200 }),
      ownerId: 'partitioned',
      ttlMs: 900,
      renewIntervalMs: 300,
      safetyMarginMs: 100,
      onLost: (lease) => lost.push(`${lease.id} ${Date.now()}`),
    });
    try {
      const ids = Array.from({ length: 50 }, (_, index) => `cut-${index}`);
      await Promise.all(ids.map((id) => keeper.claim(id)));
      proxy.freeze();
      const frozenAt = Date.now();
      const error = await keeper.claim('cut-new').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LeaseStoreUnavailableError);
      expect(Date.now() - frozenAt).toBeLessThan(600);
      // Poll Redis directly: the leases are there until every one of them was given up locally.
      while (lost.length < ids.length) {
        const owners = await Promise.all(ids.map((id) => store.owner(id)));
        const gone = ids.filter((_, index) => owners[index] === undefined);
        const given = new Set(lost.map((entry) => entry.split(' ')[0]));
        expect(gone.filter((id) => !given.has(id))).toEqual([]);
        expect(Date.now() - frozenAt).toBeLessThan(2_000);
        await sleep(20);
      }
      expect(ids.every((id) => !keeper.holds(id))).toBe(true);
    } finally {
      await keeper.close();
      behind.destroy();
      await proxy.close();
    }
  });
});

/** The child's stdout as lines, with a wait for the first line that matches. */
function collectLines(child: ChildProcess) {
  const all: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: () => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    all.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  return {
    all,
    waitFor(test: (line: string) => boolean): Promise<void> {
      if (all.some(test)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        child.once('exit', (code) => reject(new Error(`child exited (${code}) before the line came`)));
      });
    },
  };
}
