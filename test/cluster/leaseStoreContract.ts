/**
 * The contract every LeaseStore keeps, as one suite: the Redis store and the in-memory store both run
 * it (`redisLeaseStore.test.ts`, `memoryLeaseStore.test.ts`). Times are real and short (ttls under
 * two seconds, with margins for a loaded machine), the same for both.
 */
import { describe, expect, it } from 'vitest';
import type { Lease, LeaseStore } from '../../src/cluster/index.js';

export interface ContractSubject {
  /** A store; one subject's stores share one backend, as instances share one Redis. */
  readonly store: LeaseStore;
  /** A store over the same backend whose `renewMany` sends batches of at most 3 leases. */
  readonly smallBatchStore: LeaseStore;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** An id no other test of the run uses. */
const freshId = (label: string) => `${label}-${++counter}-${Math.random().toString(36).slice(2)}`;

export function leaseStoreContract(name: string, subject: () => ContractSubject): void {
  describe(`${name}: the LeaseStore contract`, () => {
    it('claims a free id with a positive fencing token, and names the holder', async () => {
      const { store } = subject();
      const id = freshId('free');
      const lease = await store.claim(id, 'owner-a', 5_000);
      expect(lease).toEqual({ id, ownerId: 'owner-a', fencingToken: expect.any(Number) });
      expect(Number.isSafeInteger(lease?.fencingToken)).toBe(true);
      expect(lease?.fencingToken).toBeGreaterThan(0);
      expect(await store.owner(id)).toEqual({ ownerId: 'owner-a', fencingToken: lease?.fencingToken });
      expect(await store.owner(freshId('never'))).toBeUndefined();
    });

    it('refuses a claim while another owner holds the id, and leaves the holder as it was', async () => {
      const { store } = subject();
      const id = freshId('held');
      const lease = await store.claim(id, 'owner-a', 5_000);
      expect(await store.claim(id, 'owner-b', 5_000)).toBeUndefined();
      expect(await store.owner(id)).toEqual({ ownerId: 'owner-a', fencingToken: lease?.fencingToken });
    });

    it('answers a repeated claim by the holder with the same lease and restarts its ttl', async () => {
      const { store } = subject();
      const id = freshId('again');
      const first = await store.claim(id, 'owner-a', 1_000);
      await sleep(600);
      expect(await store.claim(id, 'owner-a', 1_000)).toEqual(first);
      await sleep(600); // past the first ttl, within the second
      expect(await store.owner(id)).toEqual({ ownerId: 'owner-a', fencingToken: first?.fencingToken });
    });

    it('renews only the lease as held: same owner and same token', async () => {
      const { store } = subject();
      const id = freshId('renew');
      const lease = (await store.claim(id, 'owner-a', 5_000)) as Lease;
      expect(await store.renew(lease, 5_000)).toBe(true);
      expect(await store.renew({ ...lease, ownerId: 'owner-b' }, 5_000)).toBe(false);
      expect(await store.renew({ ...lease, fencingToken: lease.fencingToken + 1 }, 5_000)).toBe(false);
      expect(await store.renew({ ...lease, id: freshId('other') }, 5_000)).toBe(false);
      expect(await store.owner(id)).toEqual({ ownerId: 'owner-a', fencingToken: lease.fencingToken });
    });

    it('keeps a renewed lease past its first ttl', async () => {
      const { store } = subject();
      const id = freshId('extend');
      const lease = (await store.claim(id, 'owner-a', 600)) as Lease;
      await sleep(300);
      expect(await store.renew(lease, 1_500)).toBe(true);
      await sleep(500); // past the first ttl, within the renewed one
      expect((await store.owner(id))?.ownerId).toBe('owner-a');
      expect(await store.claim(id, 'owner-b', 5_000)).toBeUndefined();
    });

    it('releases only the lease as held, after which another owner may claim', async () => {
      const { store } = subject();
      const id = freshId('release');
      const lease = (await store.claim(id, 'owner-a', 5_000)) as Lease;
      expect(await store.release({ ...lease, ownerId: 'owner-b' })).toBe(false);
      expect(await store.release({ ...lease, fencingToken: lease.fencingToken - 1 })).toBe(false);
      expect(await store.owner(id)).toBeDefined();
      expect(await store.release(lease)).toBe(true);
      expect(await store.owner(id)).toBeUndefined();
      expect(await store.release(lease)).toBe(false);
      const next = (await store.claim(id, 'owner-b', 5_000)) as Lease;
      expect(next.ownerId).toBe('owner-b');
      // The old lease can touch neither the new one's ttl nor its existence.
      expect(await store.release(lease)).toBe(false);
      expect(await store.renew(lease, 5_000)).toBe(false);
      expect(await store.owner(id)).toEqual({ ownerId: 'owner-b', fencingToken: next.fencingToken });
    });

    it('lets the lease expire at its ttl; then another owner claims and the old lease is dead', async () => {
      const { store } = subject();
      const id = freshId('expire');
      const lease = (await store.claim(id, 'owner-a', 300)) as Lease;
      expect(await store.claim(id, 'owner-b', 5_000)).toBeUndefined();
      await sleep(400);
      expect(await store.owner(id)).toBeUndefined();
      const next = (await store.claim(id, 'owner-b', 5_000)) as Lease;
      expect(next.fencingToken).toBeGreaterThan(lease.fencingToken);
      expect(await store.renew(lease, 5_000)).toBe(false);
      expect(await store.release(lease)).toBe(false);
      expect((await store.owner(id))?.ownerId).toBe('owner-b');
    });

    it('hands out strictly increasing fencing tokens across owners, releases and expiries', async () => {
      const { store } = subject();
      const id = freshId('fence');
      const tokens: number[] = [];
      for (const [index, owner] of ['a', 'b', 'c', 'a', 'b'].entries()) {
        const lease = (await store.claim(id, owner, index % 2 === 0 ? 5_000 : 60)) as Lease;
        tokens.push(lease.fencingToken);
        if (index % 2 === 0) expect(await store.release(lease)).toBe(true);
        else await sleep(120);
        // Another id's claim in between moves no token of this id backwards.
        tokens.push(((await store.claim(freshId('between'), owner, 5_000)) as Lease).fencingToken);
      }
      for (let index = 1; index < tokens.length; index++) {
        expect(tokens[index]).toBeGreaterThan(tokens[index - 1] as number);
      }
    });

    it('renews many leases in the order given, across batches, each checked on its own', async () => {
      const { smallBatchStore: store } = subject();
      const leases: Lease[] = [];
      for (let index = 0; index < 8; index++) {
        leases.push((await store.claim(freshId('many'), `owner-${index % 2}`, 5_000)) as Lease);
      }
      const [released, , stolen] = leases.slice(1) as [Lease, Lease, Lease];
      await store.release(released);
      const wrong: Lease = { ...stolen, fencingToken: stolen.fencingToken + 1000 };
      const asked = leases.map((lease) => (lease === stolen ? wrong : lease));
      expect(await store.renewMany(asked, 5_000)).toEqual([true, false, true, false, true, true, true, true]);
      expect(await store.renewMany([], 5_000)).toEqual([]);
    });

    it('keeps ids and owners with spaces, colons and non-ASCII apart', async () => {
      const { store } = subject();
      const id = `${freshId('odd')} with: spaces ü`;
      const lease = (await store.claim(id, 'owner 1: ü', 5_000)) as Lease;
      expect(await store.owner(id)).toEqual({ ownerId: 'owner 1: ü', fencingToken: lease.fencingToken });
      expect(await store.claim(id, 'owner 1', 5_000)).toBeUndefined();
      expect(await store.renew(lease, 5_000)).toBe(true);
      expect(await store.release(lease)).toBe(true);
    });

    it('rejects malformed arguments with a TypeError before touching the store', async () => {
      const { store } = subject();
      await expect(store.claim('', 'owner-a', 1000)).rejects.toThrow(TypeError);
      await expect(store.claim('id', '', 1000)).rejects.toThrow(TypeError);
      await expect(store.claim('id', 'owner-a', 0)).rejects.toThrow(
        'Expected `ttlMs` to be a positive integer',
      );
      await expect(store.claim('id', 'owner-a', 1.5)).rejects.toThrow(TypeError);
      await expect(store.renew({ id: 'id', ownerId: 'a', fencingToken: 0 }, 1000)).rejects.toThrow(TypeError);
      await expect(store.release({ id: 'id', ownerId: 'a' } as Lease)).rejects.toThrow(TypeError);
      expect(await store.owner('id')).toBeUndefined();
    });
  });
}
