/**
 * mcp-session-runtime/cluster: the lease layer of the cluster directory. An id (a 2025-era session,
 * a state handle, a task) is claimed by one instance at a time, with a lease renewed while its actor
 * lives and a fencing token that grows with every claim. `createRedisLeaseStore` keeps the leases in
 * Redis through a node-redis client the application connects; `MemoryLeaseStore` keeps them in one
 * process. Only this entry point concerns Redis: the others never import it. Every export is listed
 * by name.
 */

export type { LeaseKeeperOptions, LeaseLostReason } from './LeaseKeeper.js';
export { LeaseKeeper } from './LeaseKeeper.js';
export type { Lease, LeaseHolder, LeaseStore, LeaseStoreUnavailableReason } from './LeaseStore.js';
export { LeaseStoreUnavailableError } from './LeaseStore.js';
export { MemoryLeaseStore } from './MemoryLeaseStore.js';
export type { RedisCommandClient, RedisLeaseStoreOptions } from './RedisLeaseStore.js';
export { createRedisLeaseStore } from './RedisLeaseStore.js';
