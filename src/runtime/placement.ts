/**
 * Placement: which instance of a cluster runs the actor of an id (a 2025-era session, a state
 * handle, a task). The runtime's side of the contract; `mcp-session-runtime/cluster` implements it
 * on Redis leases (`createClusterPlacement`), and a runtime without one is a cluster of one.
 *
 * The model is Orleans' grain directory and Akka's shard regions, kept small: an instance
 * **claims** an id before it starts the id's actor, **holds** it while the actor lives, and
 * **releases** it when the actor stops. An id is never moved: an actor whose owner died or lost
 * its claim is gone, and its id answers "not found" (a 2025 client re-initializes, as the
 * specification says). A request for an id owned elsewhere is **forwarded** to the owner's
 * `address` by the transport (the HTTP transport proxies the request), so a client never sees
 * which instance it reached. Requests without an id (2026-07-28 ordinary requests) never ask the
 * placement anything.
 *
 * Placement ids are namespaced by the runtime (`session:<id>`, `handle:<id>`, `task:<id>`), so
 * that the kinds never collide in a shared store.
 */

/** Where the actor of an id runs, as far as the placement knows. */
export type Location =
  /** This instance runs it (or is about to: its claim is held). */
  | { readonly kind: 'local' }
  /** Another instance runs it: forward the request to `address`. */
  | { readonly kind: 'remote'; readonly instanceId: string; readonly address: string }
  /** Nobody holds it: the id is unknown, expired, or its owner's claim lapsed. */
  | { readonly kind: 'none' };

/**
 * Notifications every instance must deliver to its own subscribers (fan-out): the runtime
 * publishes them through {@link Placement.publish} and delivers what {@link Placement.subscribe}
 * hands it (those of other instances).
 */
export type ClusterNotification =
  /** `runtime.notifyResourceUpdated(uri)` on some instance. */
  | { readonly type: 'resourceUpdated'; readonly uri: string }
  /** `runtime.notifyListChanged(list)` on some instance. */
  | { readonly type: 'listChanged'; readonly list: 'tools' | 'prompts' | 'resources' }
  /**
   * A task's status changed on the instance that runs it (tasks extension, SEP-2663, "Task Status
   * Notifications"): every instance tells the `subscriptions/listen` streams of `principal` (the
   * task's owner; `undefined` for an unauthenticated caller) that asked for `taskId`, and no other.
   * `task` is the params of the `notifications/tasks` they get: the task as `tasks/get` answers it
   * now (JSON: `taskId`, `status`, timestamps, and its `result`, `error` or `inputRequests`).
   */
  | {
      readonly type: 'taskStatus';
      readonly taskId: string;
      readonly principal: string | undefined;
      readonly task: Readonly<Record<string, unknown>>;
    };

/**
 * The one error a placement rejects with when its store cannot answer (unreachable, slow, failing,
 * closed). The runtime answers it with `cluster_unavailable` (JSON-RPC -32024; HTTP 503 with
 * `Retry-After: retryAfterSeconds`); nothing waits for the store to come back.
 */
export class PlacementUnavailableError extends Error {
  readonly code = 'cluster_unavailable' as const;
  /**
   * @param message what failed, for logs (never sent to clients).
   * @param retryAfterSeconds seconds after which a retry may succeed (≥ 1).
   */
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PlacementUnavailableError';
  }
}

/** Where the actors of a cluster run: the runtime's option `placement`. */
export interface Placement {
  /** This instance's id in the cluster (unique per process start). */
  readonly instanceId: string;
  /** This instance's base URL that other instances forward requests to, e.g. `http://10.0.0.5:3000`. */
  readonly address: string;
  /**
   * A secret every instance of the cluster shares (at least 32 bytes), or `undefined`. With it, the
   * HTTP transport signs each hop it forwards (who forwarded it, for which client address, when) and
   * an owner that verifies the signature trusts the hop: it does not rate-limit the request again (the
   * instance the client reached did), and counts failed authentications by the client's address.
   * Without it, an owner limits forwarded requests by the forwarding instance's address, so the
   * clients one instance forwards share one bucket there.
   */
  readonly forwardingKey?: Uint8Array | undefined;
  /**
   * Claims `id` for this instance before its actor starts: true if this instance holds it now
   * (claiming an id it holds already is true), false if another instance holds it.
   * Rejects with {@link PlacementUnavailableError} only. The runtime has at most one claim of an id
   * in flight, and releases a claim at once if the actor could not be created after all (a limit
   * was reached, or the runtime is closing).
   */
  claim(id: string): Promise<boolean>;
  /**
   * Whether this instance holds `id` now: synchronous, read against the clock on every call, so a
   * process that wakes from a pause past its claim's deadline answers false before it acts. The
   * runtime reads it before every message it hands to a live actor, and right after a claim
   * resolved true: it must be cheap (no I/O).
   */
  holds(id: string): boolean;
  /**
   * The fencing token of this instance's claim on `id` (a number that grows with every new holder
   * of the id), or `undefined` if it holds none or the placement has no tokens. The runtime passes
   * it with every write to a handle's store (`HandleStore.save`), so that a store can refuse the
   * writes of an instance that lost the id to a later one. Synchronous and cheap, as {@link holds}.
   */
  fencingToken?(id: string): number | undefined;
  /** Gives `id` back once its actor stopped. Never throws; a failure only lets the claim lapse. */
  release(id: string): void;
  /**
   * Where `id`'s actor runs. Rejects with {@link PlacementUnavailableError} only.
   */
  locate(id: string): Promise<Location>;
  /**
   * Registers the runtime's listener for ids this instance lost (its claim lapsed or was taken):
   * the runtime stops their actors at once. One listener; a second replaces the first. Returns a
   * function that unregisters `listener` (and leaves a later one in place), which the runtime calls
   * once its `close()` has completed (it should not throw: a throw is reported as the runtime's
   * `listenerError`); a placement that returns nothing keeps the listener.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: placements written before the unsubscribe return nothing
  onLost(listener: (id: string) => void): (() => void) | void;
  /** Sends a notification to every other instance's runtime (never back to this one: the runtime delivers its own at once). Never throws. */
  publish(notification: ClusterNotification): void;
  /**
   * Registers the runtime's listener for published notifications. One listener; a second replaces
   * the first. Returns a function that unregisters `listener`, as {@link Placement.onLost} does.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: placements written before the unsubscribe return nothing
  onNotification(listener: (notification: ClusterNotification) => void): (() => void) | void;
}

/**
 * The id a request is addressed to, for routing in a cluster: a 2025-era session (its
 * `Mcp-Session-Id`), a state handle (the handle id argument of a `tools/call` of a tool that takes
 * one) or a task (the `taskId` of `tasks/get|update|cancel`, mirrored in `Mcp-Name`).
 */
export interface ActorKey {
  readonly kind: 'session' | 'handle' | 'task';
  readonly id: string;
}

/** The placement id of an actor key: the kinds never collide in a shared store. */
export function placementIdOf(key: ActorKey): string {
  return `${key.kind}:${key.id}`;
}
