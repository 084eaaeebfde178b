/**
 * The store hook of a kind of state handle: where the application keeps a handle's state so that
 * it outlives the process that served it (a restart, or in a cluster the next owner of its id).
 * Without a store a handle's state lives in memory only, and is lost with its owner.
 *
 * Fencing (Kleppmann, "How to do distributed locking"): in a cluster every save carries the
 * fencing token of this instance's lease on the handle's id, which grows with each new owner. A
 * store keeps the highest token it has seen per id and refuses a save or delete with a lower one,
 * so an instance that lost its lease (paused, partitioned) can never overwrite what the next owner
 * wrote. {@link MemoryHandleStore} does exactly that.
 */

/**
 * What a store keeps of one handle.
 *
 * @typeParam TState the handle's state, as its kind's `create` returns it.
 */
export interface StoredHandle<TState = unknown> {
  /** The handle's state, as handlers left it (the object itself: serialize it as you like). */
  readonly state: TState;
  /**
   * The principal the handle is bound to (the verified caller's id that opened it), `undefined`
   * for an unauthenticated one. A revived handle is bound to it again: another principal's call
   * is answered as for an unknown id (MCP 2026-07-28, SEP-2567).
   */
  readonly principal: string | undefined;
  /**
   * The fencing token of this instance's lease on the handle's id (in a cluster with a placement
   * that has fencing tokens), or `undefined`. A store keeps the highest per id and refuses a save
   * with a lower one.
   */
  readonly fencingToken: number | undefined;
}

/**
 * Where a kind of handle is persisted: `defineHandle({ store })`. Every method may reject; the
 * runtime never waits for one without bound but for the store's own promise, so give your store
 * client a timeout.
 *
 * - `save` runs after a handle is created (before the opening tool answers) and after each call on
 *   it that returned (before that call answers), inside the handle's one-call-at-a-time slot: the
 *   saves of one handle are ordered. A rejected save answers the call with a tool execution error
 *   (`isError`: the change may not be kept) and is reported as `handlerError`.
 * - `load` runs when a call names an id of the kind that is not live here (and, in a cluster, that
 *   no instance owns): a record bound to the caller's principal revives the handle under that id.
 *   A rejection answers the call with a tool execution error and is reported as `handleStoreError`.
 * - `delete` runs when the handle ends for good: `ctx.handle.close()`, its idle timeout, a failed
 *   creation, `runtime.sweepIdle`. Not when the runtime closes (the handle survives a restart) nor
 *   when a cluster instance loses the id's lease (the next owner revives it). A rejection is
 *   reported as `handleStoreError`, and the record stays (a store should expire records itself).
 *
 * @typeParam TState the handle's state.
 */
export interface HandleStore<TState = unknown> {
  /** The record of handle `id`, or `undefined` if there is none. */
  load(id: string): Promise<StoredHandle<TState> | undefined>;
  /** Keeps `record` as handle `id`'s; rejects if refused (e.g. a fencing token lower than one seen). */
  save(id: string, record: StoredHandle<TState>): Promise<void>;
  /**
   * Forgets handle `id`. `fencingToken` as for `save`: a store refuses a delete with a token lower
   * than one it has seen.
   */
  delete(id: string, fencingToken: number | undefined): Promise<void>;
}

/** Which operation of a {@link HandleStore} failed. */
export type HandleStoreOperation = 'load' | 'save' | 'delete';

/**
 * A {@link HandleStore} operation failed (what the store rejected with is `cause`): the error of
 * `handlerError` for a failed save, of `handleStoreError` for a failed load or delete.
 */
export class HandleStoreError extends Error {
  override readonly name = 'HandleStoreError';
  constructor(
    readonly operation: HandleStoreOperation,
    /** The handle's kind. */
    readonly kind: string,
    readonly handleId: string,
    options: { readonly cause: unknown },
  ) {
    super(`Could not ${operation} the \`${kind}\` handle`, options);
  }
}

/**
 * What {@link MemoryHandleStore} rejects a save or delete with when its fencing token is lower
 * than the highest it has seen for the id: the writer lost its lease and another owner took over.
 */
export class StaleFencingTokenError extends Error {
  override readonly name = 'StaleFencingTokenError';
  constructor(
    readonly handleId: string,
    readonly fencingToken: number,
    readonly highest: number,
  ) {
    super(`Fencing token ${fencingToken} is lower than ${highest}, the highest seen for this handle`);
  }
}

/**
 * A {@link HandleStore} in this process's memory, fenced: it keeps the highest fencing token per id
 * (also after a delete) and refuses a save or delete with a lower one (`StaleFencingTokenError`).
 * For tests, and for one process whose handles should survive a restart of its runtime (not of
 * the process). States are kept by reference: a handler that mutates the state mutates the record.
 *
 * @example
 * ```ts
 * const cart = defineHandle({ name: 'cart', create: () => ({ items: [] }), store: new MemoryHandleStore() });
 * ```
 */
export class MemoryHandleStore<TState = unknown> implements HandleStore<TState> {
  private readonly records = new Map<string, StoredHandle<TState>>();
  private readonly highest = new Map<string, number>();

  load(id: string): Promise<StoredHandle<TState> | undefined> {
    return Promise.resolve(this.records.get(id));
  }

  save(id: string, record: StoredHandle<TState>): Promise<void> {
    try {
      this.fence(id, record.fencingToken);
    } catch (error) {
      return Promise.reject(error);
    }
    this.records.set(id, record);
    return Promise.resolve();
  }

  delete(id: string, fencingToken: number | undefined): Promise<void> {
    try {
      this.fence(id, fencingToken);
    } catch (error) {
      return Promise.reject(error);
    }
    this.records.delete(id);
    return Promise.resolve();
  }

  /** Records held now. */
  get size(): number {
    return this.records.size;
  }

  /** Throws `StaleFencingTokenError` for a token below the highest seen for `id`; keeps the highest. */
  private fence(id: string, fencingToken: number | undefined): void {
    if (fencingToken === undefined) return;
    const highest = this.highest.get(id);
    if (highest !== undefined && fencingToken < highest) {
      throw new StaleFencingTokenError(id, fencingToken, highest);
    }
    this.highest.set(id, fencingToken);
  }
}
