/**
 * The runtime's {@link Placement} on leases: an id is run by the instance that holds its lease in a
 * {@link LeaseStore} (Redis, or memory), kept by a {@link LeaseKeeper}; notifications go to the
 * other instances over a {@link NotificationBus}.
 *
 * A lease's owner id is `"<instanceId> <address>"`, so that the one `GET` that reads an id's owner
 * also says where to forward to. The lease store keeps `"<fencingToken> <ownerId>"` and splits it
 * at its first space, so an owner id may hold spaces; an instance id may not (it is split off at the
 * first space here), and an address cannot (it is a URL).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { ClusterNotification, Location, Placement } from '../runtime/placement.js';
import { PlacementUnavailableError } from '../runtime/placement.js';
import { LeaseKeeper } from './LeaseKeeper.js';
import type { LeaseStore } from './LeaseStore.js';
import { assertText, LeaseStoreUnavailableError } from './LeaseStore.js';
import type { NotificationBus } from './NotificationBus.js';

/** Options of {@link createClusterPlacement}. */
export interface ClusterPlacementOptions {
  /** Where leases are held: `createRedisLeaseStore(client)`, or a `MemoryLeaseStore` in one process. */
  readonly store: LeaseStore;
  /**
   * This instance's base URL that other instances forward requests to (`http:` or `https:`), e.g.
   * `http://10.0.0.5:3000`: an address they can reach, not the load balancer's.
   */
  readonly address: string;
  /**
   * This instance's id in the cluster, without whitespace; give every process start a new one.
   * @default a random UUID, new for each placement
   */
  readonly instanceId?: string;
  /** Lease time to live in ms. @default 15_000 */
  readonly ttlMs?: number;
  /** How often held leases are renewed, in ms. @default ttlMs / 3 */
  readonly renewIntervalMs?: number;
  /** How long before the store's expiry a lease counts as lost here, in ms. @default ttlMs / 10 */
  readonly safetyMarginMs?: number;
  /** Most leases renewed by one store call. @default 1000 */
  readonly renewBatchSize?: number;
  /** Carries notifications to the other instances; without one, `publish` sends nothing. */
  readonly bus?: NotificationBus;
  /**
   * A secret every instance shares, at least 32 bytes (a string counts as its UTF-8 bytes), e.g.
   * `(await sharedRequestStateKeys(client, { name: 'forwarding-key' }))[0]`. With it, a forwarded
   * request carries a signed hop and its owner does not rate-limit it again by the forwarding
   * instance's address (see `Placement.forwardingKey`). @default none
   */
  readonly forwardingKey?: string | Uint8Array | undefined;
  /** The clock lease deadlines are read on. @default the lease clock (see `leaseClock.ts`) */
  readonly clock?: Clock;
  /**
   * Told of what is not thrown: a release the store could not take (the lease then ends at its
   * ttl), a notification that could not be published, a malformed or unusable message from the bus,
   * a failed subscription, an exception of the runtime's listeners.
   */
  readonly onError?: (error: unknown) => void;
}

/** A {@link Placement} that holds leases until it is closed. */
export interface ClusterPlacement extends Placement {
  /** Settles once the subscription to the bus is in place (at once without a bus). Never rejects. */
  readonly ready: Promise<void>;
  /** How many ids this instance holds now. */
  readonly size: number;
  /** The fencing token of this instance's lease on `id` (see `LeaseKeeper.lease`), or `undefined` if not held. */
  fencingToken(id: string): number | undefined;
  /**
   * Releases every lease (best effort), stops renewing and unsubscribes from the bus; the connections
   * stay open. Later claims reject with {@link PlacementUnavailableError}. Never rejects.
   */
  close(): Promise<void>;
}

/**
 * A {@link Placement} on a lease store. Redis operations per call (with `createRedisLeaseStore`):
 * `claim` one script call, `release` one, `locate` none when held here and one `GET` otherwise,
 * `publish` one `PUBLISH`; renewals one script call per 1000 held ids every `renewIntervalMs`.
 *
 * @example
 * ```ts
 * const client = await createClient({ url }).on('error', log).connect();
 * const subscriber = await client.duplicate().on('error', log).connect();
 * const placement = createClusterPlacement({
 *   store: createRedisLeaseStore(client, { keyPrefix: 'my-server:' }),
 *   bus: createRedisNotificationBus({ publisher: client, subscriber, keyPrefix: 'my-server:' }),
 *   address: `http://${podIp}:3000`,
 * });
 * const runtime = createSessionRuntime({ placement, requestStateKeys: await sharedRequestStateKeys(client) });
 * ```
 * @throws TypeError for a missing store, an address that is not an http(s) URL, an instance id with
 * whitespace, or inconsistent times.
 */
export function createClusterPlacement(options: ClusterPlacementOptions): ClusterPlacement {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected `options` to be an object');
  }
  const address = checkedAddress(options.address);
  const instanceId = options.instanceId ?? randomUUID();
  assertText('instanceId', instanceId);
  if (/\s/.test(instanceId)) {
    throw new TypeError(`Expected \`instanceId\` to hold no whitespace, got ${JSON.stringify(instanceId)}`);
  }
  return new LeasePlacement(options, instanceId, address);
}

/** The wire form of a published notification. */
interface Envelope {
  readonly origin: string;
  readonly notification: ClusterNotification;
}

const lists: ReadonlySet<unknown> = new Set(['tools', 'prompts', 'resources']);

class LeasePlacement implements ClusterPlacement {
  readonly instanceId: string;
  readonly address: string;
  readonly forwardingKey: Uint8Array | undefined;
  readonly ready: Promise<void>;
  private readonly ownerId: string;
  private readonly store: LeaseStore;
  private readonly keeper: LeaseKeeper;
  private readonly bus: NotificationBus | undefined;
  private readonly reportError: ((error: unknown) => void) | undefined;
  private readonly claiming = new Map<string, Promise<boolean>>();
  private lostListener: ((id: string) => void) | undefined;
  private notificationListener: ((notification: ClusterNotification) => void) | undefined;
  /** Set by {@link close}: the one promise every call of it answers. */
  private closing: Promise<void> | undefined;

  constructor(options: ClusterPlacementOptions, instanceId: string, address: string) {
    this.instanceId = instanceId;
    this.address = address;
    this.ownerId = `${instanceId} ${address}`;
    this.forwardingKey = checkedForwardingKey(options.forwardingKey);
    this.store = options.store;
    this.reportError = options.onError;
    this.keeper = new LeaseKeeper({
      store: reportingReleases(options.store, (error) => this.report(error)),
      ownerId: this.ownerId,
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.renewIntervalMs === undefined ? {} : { renewIntervalMs: options.renewIntervalMs }),
      ...(options.safetyMarginMs === undefined ? {} : { safetyMarginMs: options.safetyMarginMs }),
      ...(options.renewBatchSize === undefined ? {} : { renewBatchSize: options.renewBatchSize }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      onLost: (lease) => this.lost(lease.id),
    });
    this.bus = options.bus;
    this.ready =
      this.bus === undefined
        ? Promise.resolve()
        : Promise.resolve()
            .then(() => this.bus?.subscribe((message) => this.receive(message)))
            .catch((error: unknown) => this.report(error));
  }

  get size(): number {
    return this.keeper.size;
  }

  claim(id: string): Promise<boolean> {
    const pending = this.claiming.get(id);
    if (pending !== undefined) return pending;
    const claim = this.keeper.claim(id).then(
      (lease) => lease !== undefined,
      (error: unknown) => {
        throw unavailable('claim', error);
      },
    );
    const tracked = claim.finally(() => {
      if (this.claiming.get(id) === tracked) this.claiming.delete(id);
    });
    this.claiming.set(id, tracked);
    return tracked;
  }

  holds(id: string): boolean {
    return this.keeper.holds(id);
  }

  fencingToken(id: string): number | undefined {
    return this.keeper.lease(id)?.fencingToken;
  }

  release(id: string): void {
    // The keeper's release never rejects; the store's failure reaches `onError` on its way.
    void this.keeper.release(id);
  }

  async locate(id: string): Promise<Location> {
    // A claim of ours on its way: the id is local if it succeeds (its lease is in the store already).
    await this.claiming.get(id)?.catch(() => undefined);
    if (this.keeper.holds(id)) return { kind: 'local' };
    let holder: Awaited<ReturnType<LeaseStore['owner']>>;
    try {
      holder = await this.store.owner(id);
    } catch (error) {
      throw unavailable('locate', error);
    }
    // Our own lease that the keeper no longer holds (lost here, given back in a moment): nobody serves it.
    if (holder === undefined || holder.ownerId === this.ownerId) return { kind: 'none' };
    const space = holder.ownerId.indexOf(' ');
    if (space <= 0) {
      throw unavailable(
        'locate',
        new Error(
          `The owner of ${JSON.stringify(id)} is not a placement ("<instanceId> <address>"): is the key prefix shared with another application?`,
        ),
      );
    }
    return {
      kind: 'remote',
      instanceId: holder.ownerId.slice(0, space),
      address: holder.ownerId.slice(space + 1),
    };
  }

  onLost(listener: (id: string) => void): () => void {
    this.lostListener = listener;
    return () => {
      if (this.lostListener === listener) this.lostListener = undefined;
    };
  }

  publish(notification: ClusterNotification): void {
    if (this.bus === undefined || this.closing !== undefined) return;
    try {
      const envelope: Envelope = { origin: this.instanceId, notification };
      this.bus.publish(JSON.stringify(envelope));
    } catch (error) {
      this.report(error);
    }
  }

  onNotification(listener: (notification: ClusterNotification) => void): () => void {
    this.notificationListener = listener;
    return () => {
      if (this.notificationListener === listener) this.notificationListener = undefined;
    };
  }

  close(): Promise<void> {
    this.closing ??= Promise.allSettled([
      Promise.resolve()
        .then(() => this.bus?.close())
        .catch((error: unknown) => this.report(error)),
      this.keeper.close(),
    ]).then(() => undefined);
    return this.closing;
  }

  private lost(id: string): void {
    try {
      this.lostListener?.(id);
    } catch (error) {
      this.report(error);
    }
  }

  private receive(message: string): void {
    if (this.closing !== undefined) return;
    const envelope = parseEnvelope(message);
    if (envelope === undefined) {
      this.report(new Error(`Ignored a malformed cluster notification: ${String(message).slice(0, 200)}`));
      return;
    }
    if (envelope.origin === this.instanceId) return;
    try {
      this.notificationListener?.(envelope.notification);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.reportError?.(error);
    } catch {
      // The reporter's own failure is not the placement's to throw.
    }
  }
}

/** The notification a bus message carries, or `undefined` when it is not one this version knows. */
function parseEnvelope(message: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  const { origin, notification } = (value ?? {}) as { origin?: unknown; notification?: unknown };
  if (typeof origin !== 'string' || origin.length === 0) return undefined;
  const body = (notification ?? {}) as {
    type?: unknown;
    uri?: unknown;
    list?: unknown;
    taskId?: unknown;
    principal?: unknown;
    task?: unknown;
  };
  if (body.type === 'resourceUpdated' && typeof body.uri === 'string') {
    return { origin, notification: { type: 'resourceUpdated', uri: body.uri } };
  }
  if (body.type === 'listChanged' && lists.has(body.list)) {
    return {
      origin,
      notification: { type: 'listChanged', list: body.list as 'tools' | 'prompts' | 'resources' },
    };
  }
  if (
    body.type === 'taskStatus' &&
    typeof body.taskId === 'string' &&
    body.taskId.length > 0 &&
    (body.principal === undefined || typeof body.principal === 'string') &&
    isRecord(body.task)
  ) {
    // JSON has no `undefined`: an unauthenticated owner's message carries no `principal`.
    const { taskId, principal, task } = body;
    return { origin, notification: { type: 'taskStatus', taskId, principal, task } };
  }
  return undefined;
}

/** Whether `value` is a JSON object (not `null`, not an array). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `store`, with the failures of `release` told to `report` (the keeper swallows them). */
function reportingReleases(store: LeaseStore, report: (error: unknown) => void): LeaseStore {
  const candidate = store as Partial<LeaseStore> | undefined;
  if (typeof candidate?.release !== 'function' || typeof candidate.owner !== 'function') {
    throw new TypeError('Expected `store` to be a LeaseStore');
  }
  return {
    claim: (id, ownerId, ttlMs) => store.claim(id, ownerId, ttlMs),
    renew: (lease, ttlMs) => store.renew(lease, ttlMs),
    renewMany: (leases, ttlMs) => store.renewMany(leases, ttlMs),
    owner: (id) => store.owner(id),
    release: (lease) =>
      store.release(lease).catch((error: unknown) => {
        report(error);
        throw error;
      }),
  };
}

function unavailable(operation: 'claim' | 'locate', error: unknown): PlacementUnavailableError {
  const retryAfterSeconds =
    error instanceof LeaseStoreUnavailableError ? Math.max(1, error.retryAfterSeconds) : 1;
  const why = error instanceof Error ? error.message : String(error);
  return new PlacementUnavailableError(
    `Cluster placement unavailable (${operation}): ${why}`,
    retryAfterSeconds,
    {
      cause: error,
    },
  );
}

/** The forwarding key's bytes (a copy), once it is known to be at least 32 bytes. */
function checkedForwardingKey(key: unknown): Uint8Array | undefined {
  if (key === undefined) return undefined;
  const bytes =
    typeof key === 'string'
      ? new TextEncoder().encode(key)
      : key instanceof Uint8Array
        ? Uint8Array.from(key)
        : undefined;
  if (bytes === undefined || bytes.length < 32) {
    throw new TypeError('Expected `forwardingKey` to be a string or Uint8Array of at least 32 bytes');
  }
  return bytes;
}

/** The address as given, once it is known to be an http(s) URL without whitespace. */
function checkedAddress(address: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof address === 'string' && !/\s/.test(address) ? new URL(address) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(
      `Expected \`address\` to be an http(s) URL (this instance's base URL), got ${JSON.stringify(address)}`,
    );
  }
  return address as string;
}
