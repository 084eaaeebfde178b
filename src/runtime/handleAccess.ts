/**
 * The types of state handles that the rest of the runtime and the features see: what a handler
 * gets as `ctx.handle`, how a call on a handle ends, and the registry's interface. Apart from the
 * actor (`StateHandle.ts`) so that the mailbox, which every actor extends, can name the registry
 * without an import cycle.
 */
import type { HandleStore, HandleStoreError } from './handleStore.js';
import type { HandlerContext } from './types.js';

/**
 * What a handler sees of the handle it runs on (`ctx.handle`).
 *
 * @typeParam TState the handle's state, as its kind's `create` returns it.
 */
export interface HandleView<TState = unknown> {
  /** The handle id the client passes: `<kind>_` then 144 random bits in base64url (unguessable). */
  readonly id: string;
  /** The handle's kind (`defineHandle({ name })`). */
  readonly kind: string;
  /** The handle's state: mutate it in place or assign a new value. Only calls on this handle see it. */
  state: TState;
  /** Clock time the handle was created (ms). */
  readonly createdAt: number;
  /**
   * Ends the handle once the calls on it are done: later calls with its id are answered as for an
   * unknown handle.
   */
  close(): void;
}

/** What a handler runs with on a handle: the calling request's context plus `handle`. */
export type HandleCallContext<TContext = unknown, TState = unknown> = HandlerContext<TContext> & {
  readonly handle: HandleView<TState>;
};

/**
 * How a call on a handle ended: the work's own outcome (`ok`, or `ok: false` with what it threw),
 * or the handle's refusal or end (`refused`) as a `SessionRuntimeError`: `mailbox_full`,
 * `request_timeout`, `shutting_down`, `session_closed` (the handle stopped before or while the work
 * ran), `request_cancelled` (the caller was cancelled).
 */
export type HandleCallOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown; readonly refused: boolean };

/** One kind of state handle, as the runtime serves it (validated, defaults applied). */
export interface HandleKindConfig {
  /** The kind's name: 1 to 32 of `a–z 0–9 _ -`; the prefix of its ids. */
  readonly name: string;
  /** ms without a call after which a handle of this kind stops. */
  readonly idleTimeoutMs: number;
  /** Live handles of this kind at most. */
  readonly maxHandles: number;
  /** Live handles of this kind per principal at most (`Infinity`: no limit). */
  readonly maxPerPrincipal: number;
  /** Calls that may wait on one handle behind the running one. */
  readonly mailboxCapacity: number;
  /** Where handles of this kind are persisted (see `HandleStore`); `undefined`: in memory only. */
  readonly store?: HandleStore | undefined;
}

/**
 * Why a handle could not be created: a limit (`overloaded`: the kind's `maxHandles`;
 * `too_many_per_principal`), or the runtime is closing. Spelt out rather than derived from the
 * directory's type, so that the public declarations never reach XState's.
 */
export type HandleRefusal = 'overloaded' | 'too_many_per_principal' | 'shutting_down';

/** A live handle, as the features reach it. */
export interface ReachableHandle {
  readonly key: string;
  /**
   * Runs `work` on the handle after the calls accepted before it, never beside another call on the
   * same handle; resolves with its outcome, never rejects. See `StateHandle.call`.
   */
  call<T>(
    caller: HandlerContext<unknown>,
    work: (context: HandleCallContext<unknown>) => T | Promise<T>,
  ): Promise<HandleCallOutcome<Awaited<T>>>;
  /** Stops the handle now; calls pending on it are answered `session_closed`. */
  remove(): void;
}

/** The runtime's state handles, as the features use them. */
export interface HandleAccess {
  /** The settings of kind `name`. */
  config(name: string): HandleKindConfig;
  /**
   * A new handle of kind `name` bound to `owner`, or why not. In a cluster its id is claimed first
   * (`placement.claim`); a refused claim is `overloaded`, and the promise rejects with a
   * `SessionRuntimeError` `cluster_unavailable` (`data.retryAfterSeconds`) when the placement's
   * store cannot answer. Without a placement it settles in the step it is called in.
   */
  open(name: string, owner: string | undefined): Promise<ReachableHandle | HandleRefusal>;
  /** The live handle `id` of kind `name` if `owner` may reach it; another principal's is `undefined`. */
  reach(name: string, id: string, owner: string | undefined): ReachableHandle | undefined;
  /**
   * Handle `id` of kind `name` revived from its kind's store for `owner` (see `HandleStore`), for
   * an id {@link reach} did not find: `undefined` when the kind has no store, the store has no
   * record of it or the record is another principal's; `'held_elsewhere'` when the record is
   * `owner`'s but (in a cluster) another instance holds the id (its owner may have just died and its
   * lease not yet lapsed: a retry may revive it); a refusal as {@link open}'s; the
   * {@link HandleStoreError} of a failed load. Concurrent
   * revivals of one id load it once and create one handle. Rejects only as {@link open} does
   * (`cluster_unavailable`).
   */
  revive(
    name: string,
    id: string,
    owner: string | undefined,
  ): Promise<ReachableHandle | HandleRefusal | HandleStoreError | 'held_elsewhere' | undefined>;
}
