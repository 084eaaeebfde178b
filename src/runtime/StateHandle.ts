/**
 * A state handle: cross-request state that a client references by an explicit id on each call
 * (MCP 2026-07-28, SEP-2567: "state spanning requests MUST be referenced by an explicit identifier
 * the client passes on each request"; a tool-design pattern with no wire format of its own).
 *
 * Each handle is a keyed actor on the same core as a session (`KeyedActor`: mailbox, timer,
 * residency), with `handleMachine` as its lifecycle. What that gives the pattern:
 * - **one owner per id**: the handle lives in a `Directory`, minted insert-if-absent;
 * - **ordered calls**: the calls on one handle run one at a time, in arrival order, through its
 *   mailbox (FIFO), while calls on different handles run in parallel;
 * - **principal binding**: another principal's id is answered exactly as an unknown one;
 * - **expiry**: the handle's own idle timer (`idleTimeoutMs` of its kind) stops it;
 * - **limits**: live handles per kind and per principal, and a bounded mailbox.
 *
 * A call on a handle is an *ask*: the tool's work is a function that runs in one of the handle's
 * mailbox slots, with a context that is the calling request's (progress, logs, `ctx.request` and
 * cancellation go to and come from the caller) plus the handle itself.
 */
import type { Actor, AnyActorRef } from 'xstate';
import { createActor } from 'xstate';
import { KEYED_ACTOR_ID } from '../machines/directory.machine.js';
import type { HandleHost, HandleMachineContext, HandleMachineInput } from '../machines/handle.machine.js';
import { handleMachine } from '../machines/handle.machine.js';
import type { SessionStopReason } from '../machines/stopReason.js';
import { reasonOf, SessionRuntimeError } from '../protocol/errors.js';
import type { JsonRpcId, JsonRpcNotification, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { LoggingLevel } from '../protocol/logging.js';
import type { IncomingRequest } from '../protocol/messages.js';
import type {
  HandleAccess,
  HandleCallContext,
  HandleCallOutcome,
  HandleView,
  ReachableHandle,
} from './handleAccess.js';
import type { HandleStore } from './handleStore.js';
import { HandleStoreError } from './handleStore.js';
import type { LifecycleActor } from './KeyedActor.js';
import { KeyedActor } from './KeyedActor.js';
import type { MailboxEnvironment } from './Mailbox.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import { PendingRequest } from './PendingRequest.js';
import { persistedSnapshot } from './persistedSnapshot.js';
import { placementIdOf } from './placement.js';
import type {
  DispatchOptions,
  DispatchResult,
  HandlerContext,
  Principal,
  ProgressUpdate,
  SessionInfo,
} from './types.js';

/** The one method a handle's mailbox runs: the work of one call. @internal */
export const HANDLE_CALL_METHOD = 'handle/call';

/** @internal */
export interface HandleEnvironment extends MailboxEnvironment {
  /** The handle's kind (its name). */
  readonly kind: string;
  /** Where handles of the kind are persisted; `undefined`: in memory only. */
  readonly store: HandleStore | undefined;
}

/** The record a resting handle keeps of its lifecycle actor: nothing but the fact it was live. */
type HandleRecord = 'live';

/** @internal */
export class StateHandle
  extends KeyedActor<Actor<typeof handleMachine>, HandleRecord>
  implements HandleHost, HandleMachineInput, ReachableHandle
{
  /** The user's state (what the kind's `create` returned, or what handlers assigned since). */
  state: unknown;
  /** Ids of this handle's calls, unique while it lives. */
  private calls = 0;
  /** Asked to stop by a handler (`ctx.handle.close()`): stops once the mailbox empties. */
  private closeRequested = false;
  /** `ctx.handle`, made on the first call and shared by every call on this handle. */
  private viewOf: HandleView<unknown> | undefined;
  /**
   * With a store: whether the store may hold a record of this handle (a save was attempted, or the
   * handle was revived from one), so that its end deletes it.
   */
  persisted = false;
  /** With a store: the fencing token of the last save (or of the claim it was revived under). */
  fencingToken: number | undefined;

  constructor(
    key: string,
    owner: string | undefined,
    protected override readonly environment: HandleEnvironment,
    protected readonly parent: AnyActorRef,
  ) {
    super(key, owner, environment);
    this.awake = createActor(handleMachine, { parent, id: KEYED_ACTOR_ID, input: this });
  }

  get host(): HandleHost {
    return this;
  }

  get kind(): string {
    return this.environment.kind;
  }

  /** Not a session's actor: a handle's calls run with their caller's context (see {@link call}). */
  get sessionId(): string {
    return '';
  }

  get sharedContext(): unknown {
    return this.environment.options.context;
  }

  get lifecycle(): 'live' | 'stopping' | 'stopped' {
    const awake = this.awake;
    if (awake === undefined) return 'live';
    const snapshot = awake.getSnapshot();
    return snapshot.status === 'active' ? (snapshot.value as 'live' | 'stopping') : 'stopped';
  }

  /** Shutdown's fast path (see `KeyedActor.stopQuietly`): true if the handle stopped now. */
  stopNow(reason: SessionStopReason, retired: LifecycleActor[]): boolean {
    return this.stopQuietly(() => this.releaseAll(reason), retired);
  }

  info(): SessionInfo {
    return {
      sessionId: '',
      state: this.lifecycle === 'live' ? 'ready' : this.lifecycle,
      initialized: true,
      protocolVersion: undefined,
      clientInfo: undefined,
      clientCapabilities: undefined,
      createdAt: this.createdAt,
      lastActivity: this.lastActivity,
      queued: this.queue.length,
      inFlight: this.holders.length,
    };
  }

  /** Calls waiting on this handle and running on it now. */
  get load(): { readonly queued: number; readonly inFlight: number } {
    return { queued: this.queue.length, inFlight: this.holders.length };
  }

  /**
   * Runs `work` on this handle: after the calls accepted before it, never beside another call on
   * the same handle. `caller` is the request the work belongs to: its context is the work's
   * context (plus `handle`), and cancelling it cancels the work (removed from the queue, or its
   * signal aborted). Resolves with the work's outcome or the handle's refusal; never rejects.
   */
  call<T>(
    caller: HandlerContext<unknown>,
    work: (context: HandleCallContext<unknown>) => T | Promise<T>,
  ): Promise<HandleCallOutcome<Awaited<T>>> {
    const now = this.environment.options.clock.now();
    this.lastActivity = now;
    const lifecycle = this.lifecycle;
    if (lifecycle !== 'live' || this.closeRequested) {
      const error =
        lifecycle === 'stopping'
          ? new SessionRuntimeError('shutting_down', undefined, {
              retryAfterSeconds: this.environment.options.retryAfterSeconds,
            })
          : new SessionRuntimeError('session_closed', 'The handle was closed');
      return Promise.resolve({ ok: false, error, refused: true });
    }
    const { store } = this.environment;
    const run =
      store === undefined
        ? async (inner: PendingRequest): Promise<HandleCallOutcome<Awaited<T>>> => {
            try {
              return { ok: true, value: await work(new HandleCall(caller, inner, this)) };
            } catch (error) {
              return { ok: false, error, refused: false };
            }
          }
        : (inner: PendingRequest) => this.runAndSave(store, () => work(new HandleCall(caller, inner, this)));
    const message: IncomingRequest = {
      kind: 'request',
      id: ++this.calls,
      method: HANDLE_CALL_METHOD,
      params: { run },
    };
    // The caller's signal: a cancelled caller cancels its work here (queued: removed; running: aborted).
    const options: DispatchOptions = { signal: caller.signal };
    return this.accept(message, options, undefined, now).then((response) => outcomeOf(response));
  }

  /**
   * A call's work, then (still in the call's slot, so one handle's saves are ordered) the save of
   * the state it left. No save after work that threw (the next call that returns saves the state),
   * nor on a handle asked to close (its end deletes the record). Once this instance no longer
   * holds the handle's id (fencing: another owner may be serving it) nothing is saved and the call
   * fails as a failed save does. A failed save is the call's outcome: a {@link HandleStoreError}.
   */
  private async runAndSave<T>(
    store: HandleStore,
    work: () => T | Promise<T>,
  ): Promise<HandleCallOutcome<Awaited<T>>> {
    let value: Awaited<T>;
    try {
      value = await work();
    } catch (error) {
      return { ok: false, error, refused: false };
    }
    if (this.closeRequested || this.lifecycle === 'stopped') return { ok: true, value };
    const { placement } = this.environment.options;
    const placementId = placementIdOf({ kind: 'handle', id: this.key });
    if (placement !== undefined && !placement.holds(placementId)) {
      // Fencing: another instance may be serving the id now; what this call changed is not kept.
      const cause = new Error('This instance no longer holds the handle id');
      return {
        ok: false,
        error: new HandleStoreError('save', this.kind, this.key, { cause }),
        refused: false,
      };
    }
    const fencingToken = placement?.fencingToken?.(placementId);
    this.persisted = true;
    this.fencingToken = fencingToken;
    try {
      await store.save(this.key, { state: this.state, principal: this.owner, fencingToken });
    } catch (cause) {
      return {
        ok: false,
        error: new HandleStoreError('save', this.kind, this.key, { cause }),
        refused: false,
      };
    }
    return { ok: true, value };
  }

  /** What handlers see of this handle as `ctx.handle`. */
  get view(): HandleView<unknown> {
    this.viewOf ??= new HandleViewOf(this);
    return this.viewOf;
  }

  /** `ctx.handle.close()`: the handle stops once its mailbox is empty. */
  requestClose(): void {
    this.closeRequested = true;
    this.afterWork();
  }

  /** Stops the handle now: what is queued or running on it is answered `session_closed`. */
  remove(): void {
    if (this.live) this.actor.send({ type: 'remove' });
  }

  // ── What a handle's calls need of their owner (they run with their caller's context) ───────

  sendRequest(
    _from: PendingRequest,
    _method: string,
    _params: Readonly<Record<string, unknown>> | undefined,
    _options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    return Promise.reject(new SessionRuntimeError('client_unreachable'));
  }

  passesLogLevel(_level: LoggingLevel): boolean {
    return false;
  }

  protected afterWork(): void {
    if (!this.mailboxEmpty()) return;
    const lifecycle = this.lifecycle;
    if (lifecycle === 'stopping') this.actor.send({ type: 'drained' });
    else if (lifecycle === 'live' && this.closeRequested) this.actor.send({ type: 'remove' });
  }

  // ── HandleHost ────────────────────────────────────────────────────────────────────────────

  releaseAll(reason: SessionStopReason): void {
    this.stopTimer();
    if (this.mailboxEmpty()) return;
    const error =
      reason === 'closed'
        ? new SessionRuntimeError('shutting_down', undefined, {
            retryAfterSeconds: this.environment.options.retryAfterSeconds,
          })
        : new SessionRuntimeError('session_closed', 'The handle was closed');
    const running = this.failAll(error);
    // As for a session: abort only once the handle has left its directory.
    if (running.length > 0) {
      queueMicrotask(() => {
        for (const request of running) request.abort(error);
      });
    }
  }

  // ── Residency ─────────────────────────────────────────────────────────────────────────────

  protected recordOf(actor: Actor<typeof handleMachine>): HandleRecord | undefined {
    return actor.getSnapshot().value === 'live' ? 'live' : undefined;
  }

  protected revive(_record: HandleRecord): Actor<typeof handleMachine> {
    const snapshot = persistedSnapshot<'live', HandleMachineContext>('live', {
      key: this.key,
      owner: this.owner,
      host: new HandleHostView(this),
      stopReason: undefined,
    });
    return createActor(handleMachine, { parent: this.parent, id: KEYED_ACTOR_ID, snapshot, input: this });
  }
}

/**
 * The handle as the host of a revived actor. XState walks a restored snapshot's context through
 * every enumerable property to revive actor references; through the handle itself that walk would
 * cross the whole runtime (its options, the user's state, Node's list of every armed timer and so
 * every other handle), for each handle revived: closing N resting handles would take O(N²). The
 * revived context holds this view instead, whose one field is private and not enumerable (as
 * `SessionHostView` does for a session).
 */
class HandleHostView implements HandleHost {
  readonly #handle: HandleHost;

  constructor(handle: HandleHost) {
    this.#handle = handle;
  }

  isIdle(): boolean {
    return this.#handle.isIdle();
  }

  isIdleFor(thresholdMs: number): boolean {
    return this.#handle.isIdleFor(thresholdMs);
  }

  hasNoWork(): boolean {
    return this.#handle.hasNoWork();
  }

  rearmIdleTimer(): void {
    this.#handle.rearmIdleTimer();
  }

  releaseAll(reason: SessionStopReason): void {
    this.#handle.releaseAll(reason);
  }
}

/**
 * The runtime's state handles as a handler's context reaches them: `undefined` for a context the
 * runtime did not make (a test's fake), and inside a handle's own mailbox.
 */
export function handleAccessOf(context: HandlerContext<unknown>): HandleAccess | undefined {
  if (context instanceof PendingRequest) return context.owner.handles;
  if (context instanceof HandleCall) return context.handles;
  return undefined;
}

/** The outcome the handle's mailbox answered with, unboxed. */
function outcomeOf<T>(response: DispatchResult): HandleCallOutcome<T> {
  if (response === undefined) {
    return { ok: false, error: new SessionRuntimeError('request_cancelled'), refused: true };
  }
  if ('result' in response) return response.result as unknown as HandleCallOutcome<T>;
  return { ok: false, error: errorOf(response), refused: true };
}

/** A refusal or end the handle's mailbox answered with, as the runtime's own error again. */
function errorOf(response: Extract<JsonRpcResponse, { error: unknown }>): SessionRuntimeError {
  const { error } = response;
  const { reason: _reason, ...data } = (error.data ?? {}) as Record<string, unknown>;
  return new SessionRuntimeError(reasonOf(error) ?? 'internal_error', error.message, data);
}

/** `ctx.handle`: what a handler may see and do of its handle, and nothing else of the actor. */
class HandleViewOf implements HandleView<unknown> {
  constructor(private readonly actor: StateHandle) {}

  get id(): string {
    return this.actor.key;
  }
  get kind(): string {
    return this.actor.kind;
  }
  get state(): unknown {
    return this.actor.state;
  }
  set state(value: unknown) {
    this.actor.state = value;
  }
  get createdAt(): number {
    return this.actor.createdAt;
  }
  close(): void {
    this.actor.requestClose();
  }
}

/**
 * The context a handler runs with on a handle: everything of its calling request (identity,
 * progress, logs, `ctx.request`, `ctx.dispatch`), the handle, and a signal that aborts when either
 * the caller is cancelled or the handle ends the call (its deadline, its stop).
 */
class HandleCall implements HandleCallContext<unknown> {
  private combined: AbortSignal | undefined;
  readonly handle: HandleView<unknown>;

  constructor(
    private readonly caller: HandlerContext<unknown>,
    private readonly inner: PendingRequest,
    actor: StateHandle,
  ) {
    this.handle = actor.view;
  }

  get sessionId(): string {
    return this.caller.sessionId;
  }
  get requestId(): JsonRpcId {
    return this.caller.requestId;
  }
  get method(): string {
    return this.caller.method;
  }
  get session(): SessionInfo {
    return this.caller.session;
  }
  get context(): unknown {
    return this.caller.context;
  }
  get auth(): Principal | undefined {
    return this.caller.auth;
  }
  /** The runtime's handles, as the calling request reaches them. */
  get handles(): HandleAccess | undefined {
    return handleAccessOf(this.caller);
  }
  get signal(): AbortSignal {
    this.combined ??= AbortSignal.any([this.caller.signal, this.inner.signal]);
    return this.combined;
  }
  progress(update: ProgressUpdate): void {
    if (this.inner.active) this.caller.progress(update);
  }
  notify(notification: Omit<JsonRpcNotification, 'jsonrpc'>): void {
    if (this.inner.active) this.caller.notify(notification);
  }
  dispatch(sessionId: string, message: unknown, options?: DispatchOptions): Promise<DispatchResult> {
    return this.caller.dispatch(sessionId, message, options);
  }
  request(
    method: string,
    params?: Readonly<Record<string, unknown>>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>> {
    if (!this.inner.active) return Promise.reject(new SessionRuntimeError('request_cancelled'));
    return this.caller.request(method, params, options);
  }
  log(level: LoggingLevel, data: unknown, logger?: string): void {
    if (this.inner.active) this.caller.log(level, data, logger);
  }
  closeStream(): void {
    this.caller.closeStream();
  }
}
