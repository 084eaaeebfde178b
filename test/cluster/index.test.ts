/**
 * The public door of `mcp-session-runtime/cluster`: an export added by accident fails here.
 */
import { expect, it } from 'vitest';
import * as cluster from '../../src/cluster/index.js';

it('exports exactly the cluster API', () => {
  expect(Object.keys(cluster).sort()).toEqual([
    'LeaseKeeper',
    'LeaseStoreUnavailableError',
    'MemoryLeaseStore',
    'MemoryNotificationBus',
    'createClusterPlacement',
    'createRedisLeaseStore',
    'createRedisNotificationBus',
    'sharedRequestStateKeys',
  ]);
});
