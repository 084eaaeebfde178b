/**
 * mcp-session-runtime/cluster: several instances of one server behind one load balancer. An id (a
 * 2025-era session, a state handle, a task) is claimed by one instance at a time, with a lease
 * renewed while its actor lives and a fencing token that grows with every claim; the runtime asks
 * `createClusterPlacement` where an id runs and forwards to its owner's address. Notifications fan
 * out over a `NotificationBus` (Redis pub/sub, or memory), and `sharedRequestStateKeys` gives every
 * instance one `requestState` secret. `createRedisLeaseStore` and `createRedisNotificationBus` work
 * through node-redis clients the application connects; `MemoryLeaseStore` and
 * `MemoryNotificationBus` keep everything in one process. Only this entry point concerns Redis: the
 * others never import it. Every export is listed by name.
 */

export type { ClusterPlacement, ClusterPlacementOptions } from './ClusterPlacement.js';
export { createClusterPlacement } from './ClusterPlacement.js';
export type { LeaseKeeperOptions, LeaseLostReason } from './LeaseKeeper.js';
export { LeaseKeeper } from './LeaseKeeper.js';
export type { Lease, LeaseHolder, LeaseStore, LeaseStoreUnavailableReason } from './LeaseStore.js';
export { LeaseStoreUnavailableError } from './LeaseStore.js';
export { MemoryLeaseStore } from './MemoryLeaseStore.js';
export type { NotificationBus } from './NotificationBus.js';
export { MemoryNotificationBus } from './NotificationBus.js';
export type { RedisCommandClient, RedisLeaseStoreOptions } from './RedisLeaseStore.js';
export { createRedisLeaseStore } from './RedisLeaseStore.js';
export type { RedisNotificationBusOptions, RedisSubscriberClient } from './RedisNotificationBus.js';
export { createRedisNotificationBus } from './RedisNotificationBus.js';
export type { SharedRequestStateKeysOptions } from './sharedRequestStateKeys.js';
export { sharedRequestStateKeys } from './sharedRequestStateKeys.js';
