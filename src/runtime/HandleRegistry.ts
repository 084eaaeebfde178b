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
import type { MailboxEnvironment } from './Mailbox.js';
import { MetricsRecorder } from './metrics.js';
import { PlacementUnavailableError } from './placement.js';
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
}

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
            stopped: (handleId, _owner, reason) => {
              stopped[reason]++;
              events.safeEmit('handleStopped', { kind: config.name, handleId, reason });
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
    return directory.claimed(id, create).then((outcome) => {
      if (outcome === 'claim_refused') {
        this.rejections.reject('claim_refused');
        return 'overloaded';
      }
      if (outcome instanceof PlacementUnavailableError) {
        this.rejections.reject('cluster_unavailable');
        throw new SessionRuntimeError('cluster_unavailable', undefined, {
          retryAfterSeconds: outcome.retryAfterSeconds,
        });
      }
      return outcome;
    });
  }

  /** A fresh id of kind `name`: no live handle has it. */
  private mint(name: string, directory: Directory<StateHandle>): string {
    // A collision of 144 random bits is not going to happen; insert-if-absent makes sure a live
    // handle would never be handed to a second creator even if it did.
    for (;;) {
      const id = `${name}_${randomBytes(18).toString('base64url')}`;
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
    const closed = [...this.kinds.values()].map(
      (kind) =>
        new Promise<void>((resolve) => {
          const actor = kind.directory.actor;
          if (actor.getSnapshot().status === 'done') return resolve();
          const subscription = actor.subscribe({
            complete: () => {
              subscription.unsubscribe();
              resolve();
            },
          });
        }),
    );
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
