/**
 * The in-memory lease store: the shared LeaseStore contract, and expiry on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLeaseStore } from '../../src/cluster/index.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { leaseStoreContract } from './leaseStoreContract.js';

const shared = new MemoryLeaseStore();
leaseStoreContract('MemoryLeaseStore', () => ({ store: shared, smallBatchStore: shared }));

describe('MemoryLeaseStore', () => {
  it('expires a lease on its clock, exactly at the ttl', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore({ clock });
    const lease = await store.claim('s', 'a', 1000);
    clock.advance(999);
    expect(await store.claim('s', 'b', 1000)).toBeUndefined();
    expect(store.size).toBe(1);
    clock.advance(1);
    expect(store.size).toBe(0);
    expect(await store.renew(lease as NonNullable<typeof lease>, 1000)).toBe(false);
    expect((await store.claim('s', 'b', 1000))?.fencingToken).toBe(2);
  });
});
