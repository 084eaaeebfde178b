/**
 * The state handles of one runtime: one {@link Directory} of {@link StateHandle} actors per kind,
 * each with the kind's own limits and idle timeout. Handles are minted here (an unguessable id,
 * insert-if-absent) and reached here (bound to the principal that created them).
 */
import { randomBytes } from 'node:crypto';
import type { SessionStopReason } from '../machines/stopReason.js';
import { SessionRuntimeError } from '../protocol/errors.js';
import type { RuntimeConfig } from './config.js';
import { Directory } from './Directory.js';
import type { RuntimeEventEmitter } from './events.js';
import type { HandleAccess, HandleKindConfig, HandleRefusal } from './handleAccess.js';
import type { StoredHandle } from './handleStore.js';
import { HandleStoreError } from './handleStore.js';
import type { MailboxEnvironment } from './Mailbox.js';
import { MetricsRecorder } from './metrics.js';
import { PlacementUnavailableError, placementIdOf } from './placement.js';
import { HANDLE_ID_RANDOM_BYTES } from './RecentEvents.js';
import type { HandleEnvironment } from './StateHandle.js';
import { HANDLE_CALL_METHOD, StateHandle } from './StateHandle.js';
import type { SnapshotEntry } from './snapshot.js';
import type { RequestHandler } from './types.js';

/** Counts of one kind of handle, for {@link HandleRegistry.metrics}. */
export interface HandleKindMetrics {
  /** Live handles now. */
  readonly live: number;
  readonly started: number;
  readonly stopped: Readonly<Record<SessionStopReason, number>>;
  /** Creations refused by a limit (`overloaded`, `too_many_per_principal`). */
  readonly refused: number;
}

interface Kind {
  readonly config: HandleKindConfig;
  readonly directory: Directory<StateHandle>;
  readonly environment: HandleEnvironment;
  started: number;
  refused: number;
  readonly stopped: Record<SessionStopReason, number>;
  /** With a store: loads in flight, by id (concurrent revivals of one id share one). */
  readonly loading: Map<string, Promise<StoredHandle | HandleStoreError | undefined>>;
  /** With a store: deletes in flight, by id (a revival waits for them: an ended handle stays ended). */
  readonly deleting: Map<string, Promise<void>>;
}

/** Ends that are for good: the record of the handle is deleted (not `closed`, nor `lease_lost`). */
const endsForGood: ReadonlySet<SessionStopReason> = new Set(['idle', 'removed', 'swept']);

/** Runs the work of one handle call (see `StateHandle.call`). */
const runCall: RequestHandler<unknown> = (params, context) =>
  (params.run as (context: unknown) => unknown)(context);

/** @internal */
export class HandleRegistry implements HandleAccess {
  private readonly kinds = new Map<string, Kind>();
  private readonly placement: RuntimeConfig['placement'];

  /**
   * @param kinds the kinds of handle served.
   * @param options the runtime's settings (`placement`: handle ids are claimed and released on it).
   * @param events the runtime's events.
   * @param dispatch how a handler reaches a session.
   * @param rejections the runtime's counters: a refused or unavailable claim counts as rejected
   *   (`claim_refused`, `cluster_unavailable`).
   */
  constructor(
    kinds: readonly HandleKindConfig[],
    options: RuntimeConfig,
    events: RuntimeEventEmitter,
    dispatch: MailboxEnvironment['dispatch'],
    private readonly rejections: MetricsRecorder = new MetricsRecorder(),
  ) {
    const { placement } = options;
    this.placement = placement;
    const handlers = new Map([[HANDLE_CALL_METHOD, runCall]]);
    for (const config of kinds) {
      const environment: HandleEnvironment = {
        kind: config.name,
        store: config.store,
        options: {
          ...options,
          idleTimeoutMs: config.idleTimeoutMs,
          mailboxCapacity: config.mailboxCapacity,
          // One call at a time per handle: the FIFO that protects its state.
          maxConcurrentRequests: 1,
        },
        handlers,
        // A handle call is part of its caller's request, which the runtime's metrics count already.
        metrics: new MetricsRecorder(),
        events,
        dispatch,
      };
      const stopped: Record<SessionStopReason, number> = {
        idle: 0,
        removed: 0,
        swept: 0,
        closed: 0,
        lease_lost: 0,
      };
      const kind: Kind = {
        config,
        environment,
        started: 0,
        refused: 0,
        stopped,
        loading: new Map(),
        deleting: new Map(),
        directory: new Directory<StateHandle>(
          {
            maxEntries: config.maxHandles,
            maxPerPrincipal: config.maxPerPrincipal,
            // Unauthenticated callers share one count, as `HandleDefinition.maxPerPrincipal` says.
            anonymousIsOnePrincipal: true,
            create: (key, owner, parent) => new StateHandle(key, owner, environment, parent),
            started: (handleId) => {
              kind.started++;
              events.safeEmit('handleStarted', { kind: config.name, handleId });
            },
            stopped: (handleId, _owner, reason, entry) => {
              stopped[reason]++;
              events.safeEmit('handleStopped', { kind: config.name, handleId, reason });
              if (entry?.persisted === true && endsForGood.has(reason)) this.forgetStored(kind, entry);
            },
            refused: (_key, reason, limit) => {
              kind.refused++;
              events.safeEmit('handleRefused', { kind: config.name, reason, limit });
            },
            inspect: options.inspect,
          },
          placement === undefined ? undefined : { placement, kind: 'handle' },
        ),
      };
      this.kinds.set(config.name, kind);
    }
  }

  /** Live handles whose lifecycle actor rests, over every kind (for the gauges, at collection time). */
  resting(): number {
    let resting = 0;
    for (const kind of this.kinds.values()) {
      for (const handle of kind.directory.values()) if (handle.isResting) resting++;
    }
    return resting;
  }

  /** The kind named `name`; a `TypeError` for a kind the runtime was not given (a bug of ours). */
  private kind(name: string): Kind {
    const kind = this.kinds.get(name);
    if (kind === undefined) throw new TypeError(`Unknown handle kind \`${name}\``);
    return kind;
  }

  /** The settings of kind `name`. */
  config(name: string): HandleKindConfig {
    return this.kind(name).config;
  }

  /**
   * A new handle of kind `name` bound to `owner`, with an unguessable id: `<name>_` and 144 random
   * bits in base64url (visible ASCII, so it may travel in an `Mcp-Param-*` header as is). Or the
   * refusal when a limit is reached or the runtime is closing. In a cluster the id is claimed
   * before the handle starts: another instance holding it is `overloaded` (144 random bits do not
   * collide: such a placement is broken), an unavailable placement rejects with
   * `cluster_unavailable`.
   */
  open(name: string, owner: string | undefined): Promise<StateHandle | HandleRefusal> {
    const { directory } = this.kind(name);
    const id = this.mint(name, directory);
    const create = (): StateHandle | HandleRefusal => {
      const handle = directory.getOrCreate(id, true, owner);
      // `not_found`: the fresh id was taken while its claim was on its way (it is not going to be).
      return handle === 'not_found' ? 'overloaded' : handle;
    };
    if (this.placement === undefined) return Promise.resolve(create());
    // Held elsewhere: a fresh id of 144 random bits is not, so only a broken placement refuses it.
    return this.underClaim(directory, id, create, 'overloaded');
  }

  /**
   * `create`'s value, run once this instance holds `id` (`Directory.claimed`); `refused` when
   * another instance holds it. A placement that cannot answer rejects with `cluster_unavailable`.
   * Both are counted as refusals.
   */
  private async underClaim<T, R>(
    directory: Directory<StateHandle>,
    id: string,
    create: () => T,
    refused: R,
  ): Promise<T | R> {
    const outcome = await directory.claimed(id, create);
    if (outcome === 'claim_refused') {
      this.rejections.reject('claim_refused');
      return refused;
    }
    if (outcome instanceof PlacementUnavailableError) {
      this.rejections.reject('cluster_unavailable');
      throw new SessionRuntimeError('cluster_unavailable', undefined, {
        retryAfterSeconds: outcome.retryAfterSeconds,
      });
    }
    return outcome;
  }

  /** A fresh id of kind `name`: no live handle has it. */
  private mint(name: string, directory: Directory<StateHandle>): string {
    // A collision of 144 random bits is not going to happen; insert-if-absent makes sure a live
    // handle would never be handed to a second creator even if it did.
    for (;;) {
      const id = `${name}_${randomBytes(HANDLE_ID_RANDOM_BYTES).toString('base64url')}`;
      if (directory.get(id) === undefined) return id;
    }
  }

  /** Whether a handle `id` of any kind is live here (one this instance no longer holds stops now). */
  has(id: string): boolean {
    for (const kind of this.kinds.values()) if (kind.directory.get(id) !== undefined) return true;
    return false;
  }

  /** The placement told us it lost `id`: the handle of that id, of whichever kind, stops now. */
  lost(id: string): void {
    for (const kind of this.kinds.values()) kind.directory.lost(id);
  }

  /** The live handle `id` of kind `name` if `owner` may reach it; another principal's is "unknown". */
  reach(name: string, id: string, owner: string | undefined): StateHandle | undefined {
    return this.kind(name).directory.reach(id, owner);
  }

  /**
   * Handle `id` of kind `name` revived from the kind's store for `owner`: loaded (one load per id
   * at a time, after any delete of it in flight), bound to `owner` (another principal's record is
   * `undefined`, as an unknown id), claimed in a cluster (held elsewhere: `'held_elsewhere'`), created
   * insert-if-absent with the loaded state. See `HandleAccess.revive`.
   */
  async revive(
    name: string,
    id: string,
    owner: string | undefined,
  ): Promise<StateHandle | HandleRefusal | HandleStoreError | 'held_elsewhere' | undefined> {
    const kind = this.kind(name);
    const { store } = kind.config;
    if (store === undefined) return undefined;
    let loading = kind.loading.get(id);
    if (loading === undefined) {
      const pending = (kind.deleting.get(id) ?? Promise.resolve())
        .then(() => store.load(id))
        .catch((cause: unknown) => new HandleStoreError('load', name, id, { cause }))
        .finally(() => kind.loading.delete(id));
      kind.loading.set(id, pending);
      loading = pending;
    }
    const record = await loading;
    if (record instanceof HandleStoreError) {
      kind.environment.events.safeEmit('handleStoreError', {
        kind: name,
        handleId: id,
        operation: 'load',
        error: record,
      });
      return record;
    }
    if (record === undefined || record.principal !== owner) return undefined;
    const { directory } = kind;
    const create = (): StateHandle | HandleRefusal | undefined => {
      const live = directory.get(id);
      if (live !== undefined) return live.owner === owner ? live : undefined;
      const handle = directory.getOrCreate(id, true, owner);
      if (handle === 'not_found') return undefined;
      if (typeof handle === 'string') return handle;
      handle.state = record.state;
      handle.persisted = true;
      handle.fencingToken = this.placement?.fencingToken?.(placementIdOf({ kind: 'handle', id }));
      return handle;
    };
    if (this.placement === undefined) return create();
    return this.underClaim(directory, id, create, 'held_elsewhere' as const);
  }

  /** Deletes the record of `handle`, which ended for good; a failure is `handleStoreError`. */
  private forgetStored(kind: Kind, handle: StateHandle): void {
    const { store } = kind.config;
    if (store === undefined) return;
    const id = handle.key;
    const deleting: Promise<void> = Promise.resolve()
      .then(() => store.delete(id, handle.fencingToken))
      .catch((cause: unknown) => {
        const error = new HandleStoreError('delete', kind.config.name, id, { cause });
        kind.environment.events.safeEmit('handleStoreError', {
          kind: kind.config.name,
          handleId: id,
          operation: 'delete',
          error,
        });
      })
      .finally(() => {
        if (kind.deleting.get(id) === deleting) kind.deleting.delete(id);
      });
    kind.deleting.set(id, deleting);
  }

  /** Live handles of kind `name`. */
  size(name: string): number {
    return this.kind(name).directory.size;
  }

  /**
   * Calls `visit` with every live handle and its kind's name (for `runtime.snapshot()`), typed by
   * what the snapshot reads (as `Tasks.values`, to keep XState's types out of the declarations).
   */
  forEach(visit: (kind: string, handle: SnapshotEntry & { readonly lifecycle: string }) => void): void {
    for (const [name, kind] of this.kinds) for (const handle of kind.directory.values()) visit(name, handle);
  }

  /** The name of every kind served. */
  kindNames(): IterableIterator<string> {
    return this.kinds.keys();
  }

  /** Counts per kind. */
  metrics(): Readonly<Record<string, HandleKindMetrics>> {
    const out: Record<string, HandleKindMetrics> = {};
    for (const [name, kind] of this.kinds) {
      out[name] = {
        live: kind.directory.size,
        started: kind.started,
        stopped: { ...kind.stopped },
        refused: kind.refused,
      };
    }
    return out;
  }

  /** Stops every handle idle for at least `thresholdMs`; returns how many stopped. */
  sweepIdle(thresholdMs: number): number {
    let stopped = 0;
    for (const kind of this.kinds.values()) {
      for (const handle of [...kind.directory.values()]) {
        handle.sweep(thresholdMs);
        if (!handle.live) stopped++;
      }
    }
    return stopped;
  }

  /**
   * Starts shutdown: no new handles, running and queued calls may finish. Resolves once every
   * handle stopped; {@link expire} cuts the drain short.
   */
  close(): Promise<void> {
    const closed = [...this.kinds.values()].map((kind) => kind.directory.emptied());
    for (const kind of this.kinds.values()) kind.directory.close();
    return Promise.all(closed).then(() => undefined);
  }

  /** The drain is over: every handle still live stops now, its pending calls answered. */
  expire(): void {
    for (const kind of this.kinds.values()) {
      for (const handle of [...kind.directory.values()]) handle.actor.send({ type: 'drainExpired' });
    }
  }
}
