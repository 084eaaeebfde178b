/**
 * The runtime side of one session: its mailbox (the fast path for ordinary messages), its idle timer
 * and its lifecycle actor. The actor decides lifecycle (machines/session.machine.ts); this class
 * carries messages, and sends the actor an event only when the lifecycle changes.
 */
import type { Actor, AnyActorRef } from 'xstate';
import { createActor } from 'xstate';
import type {
  SessionHost,
  SessionMachineContext,
  SessionMachineInput,
  SessionStopReason,
} from '../machines/session.machine.js';
import { sessionMachine } from '../machines/session.machine.js';
import {
  describeClientValue,
  errorResponse,
  HandlerFailure,
  jsonRpcErrorOf,
  SessionRuntimeError,
} from '../protocol/errors.js';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { ServerIdentity } from '../protocol/lifecycle.js';
import { answerInitialize } from '../protocol/lifecycle.js';
import type { LoggingLevel } from '../protocol/logging.js';
import { isLoggingLevel, passesLevel } from '../protocol/logging.js';
import type { IncomingNotification, IncomingRequest, IncomingResponse } from '../protocol/messages.js';
import { progressTokenOf } from '../protocol/messages.js';
import { checkRequestParams } from '../protocol/params.js';
import type { RuntimeConfig } from './config.js';
import type { RuntimeEventEmitter } from './events.js';
import { targetOf } from './events.js';
import type { MetricsRecorder } from './metrics.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import { OutboundRequests } from './OutboundRequests.js';
import type { RequestOwner } from './PendingRequest.js';
import { PendingRequest } from './PendingRequest.js';
import type { Subscriptions } from './Subscriptions.js';
import type { DispatchOptions, DispatchResult, RequestHandler, SessionInfo, SessionState } from './types.js';
import { wouldDeadlock } from './waitFor.js';

/** What every session of one runtime shares. @internal */
export interface SessionEnvironment {
  readonly options: RuntimeConfig;
  readonly handlers: ReadonlyMap<string, RequestHandler<unknown>>;
  readonly server: ServerIdentity;
  readonly metrics: MetricsRecorder;
  readonly events: RuntimeEventEmitter;
  /** Resource subscriptions of all sessions; `undefined` when the server has no resources. */
  readonly subscriptions: Subscriptions | undefined;
  /** The runtime's dispatch, with the handler that sent the message when one did (`ctx.dispatch`). */
  readonly dispatch: (
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ) => Promise<DispatchResult>;
}

/** The client capability each server-initiated method needs (MCP, "Client Features"). */
const requiredClientCapability: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

const settledUndefined: Promise<DispatchResult> = Promise.resolve(undefined);

/**
 * The queue and the slot holders of every session that has never had work: most sessions sit idle
 * between short bursts, and two empty arrays each are 64 bytes of a budget of 2 KiB. Shared, so it
 * must stay empty: every push goes to a session's own array, allocated first (`enqueue`, `run`),
 * and nothing else grows an array. Not frozen: a frozen array sends `for…of` and `indexOf` off
 * V8's fast paths and cost the trivial 100 × 4 benchmark about 10 % CPU per message.
 */
const NO_REQUESTS: PendingRequest[] = [];

/**
 * Removes `request` from `requests` in place, keeping the order. Not `splice`: it allocates an
 * array of what it removed, and emptying a one-element array that way lets V8 drop its backing
 * store, so the next `push` allocates a new one. `pop` keeps the store. The holder leaving its slot
 * is on every request's path, and at 10,000 sessions those were a sixth of the bytes a message
 * allocates, most of them old-to-new pointers for the scavenger to chase.
 */
function removeFrom(requests: PendingRequest[], request: PendingRequest): void {
  const index = requests.indexOf(request);
  if (index < 0) return;
  const last = requests.length - 1;
  for (let at = index; at < last; at++) requests[at] = requests[at + 1] as PendingRequest;
  requests.pop();
}

/** The capabilities of a client that declared none, shared instead of one empty object per session. */
const NO_CAPABILITIES: Readonly<Record<string, unknown>> = Object.freeze({});

function isEmptyObject(value: Readonly<Record<string, unknown>>): boolean {
  for (const _ in value) return false;
  return true;
}

/** What the runtime reads of a session's machine context, awake or resting. */
type SessionFacts = Pick<
  SessionMachineContext,
  'protocolVersion' | 'clientInfo' | 'clientCapabilities' | 'logLevel'
>;

/** The states a session may rest in: live, and with no drain under way. */
type RestingState = 'awaitingInitialize' | 'initialized' | 'ready';

/** What a resting session keeps of its actor's snapshot: enough to revive the actor as it was. */
interface RestingRecord extends SessionFacts {
  readonly value: RestingState;
}

function isRestingState(value: unknown): value is RestingState {
  return value === 'awaitingInitialize' || value === 'initialized' || value === 'ready';
}

/**
 * The session as the host of a revived actor. XState walks a restored snapshot's context through
 * every enumerable property to revive actor references; through the session itself that walk
 * would cross the whole runtime (options, requests, and Node's list of every idle timer), so the
 * revived context holds this view, whose one field is private and not enumerable.
 */
class SessionHostView implements SessionHost {
  readonly #session: Session;

  constructor(session: Session) {
    this.#session = session;
  }

  isIdle(): boolean {
    return this.#session.isIdle();
  }

  isIdleFor(thresholdMs: number): boolean {
    return this.#session.isIdleFor(thresholdMs);
  }

  hasNoWork(): boolean {
    return this.#session.hasNoWork();
  }

  rearmIdleTimer(): void {
    this.#session.rearmIdleTimer();
  }

  beginDrain(): void {
    this.#session.beginDrain();
  }

  releaseAll(reason: SessionStopReason): void {
    this.#session.releaseAll(reason);
  }
}

/**
 * One session. Its lifecycle actor is put away while the session rests (live, no work, no traffic
 * for `restAfterMs`): the session keeps a {@link RestingRecord} instead (an idle actor is most of a
 * session's heap) and revives the actor from it, in the same synchronous step, when the next
 * lifecycle event comes. Ordinary requests never need the actor, so they never revive it.
 *
 * @internal
 */
export class Session implements SessionHost, SessionMachineInput, RequestOwner {
  /** The lifecycle actor while awake (and after it stopped); `undefined` while resting. */
  private awake: Actor<typeof sessionMachine> | undefined;
  /** The resting record while resting; `undefined` while awake. */
  private resting: RestingRecord | undefined;
  readonly createdAt: number;
  lastActivity: number;
  /** Waiting requests, oldest first; {@link NO_REQUESTS} until the first one. */
  private queue: PendingRequest[] = NO_REQUESTS;
  /**
   * Requests whose handler holds a concurrency slot (a cancelled one keeps it until it returns, its
   * cancel grace ends or its request times out);
   * {@link NO_REQUESTS} until the first one. Small (at most `maxConcurrentRequests`), so lookups
   * scan it and the queue instead of keeping an id index whose churn cost more than the scans.
   */
  private holders: PendingRequest[] = NO_REQUESTS;
  /** Requests this session's handlers sent the client and await; created on first use. */
  private outbound: OutboundRequests | undefined;
  /** Where messages that belong to no request go (the standalone SSE stream, a stdio pipe). */
  private outlet: ((message: JsonRpcMessage) => void) | undefined;
  /** URIs this session subscribed to; created on first subscription. */
  private subscribed: Set<string> | undefined;
  private idleTimer: unknown;
  /**
   * When the idle timer falls due, in ms after {@link Session.createdAt}, or -1 when none is armed
   * (not `Infinity`: a small integer is stored in the object, any other number in a box of its own).
   */
  private timerDueAfterMs = -1;
  /** The idle timer's callback: a bound method is 48 bytes where an arrow property and its context are 96. */
  private readonly onIdleTimer: () => void = this.idleTimerFired.bind(this);

  constructor(
    readonly sessionId: string,
    /** The principal this session is bound to; only it may reach the session. */
    readonly owner: string | undefined,
    private readonly environment: SessionEnvironment,
    private readonly parent: AnyActorRef,
  ) {
    const now = environment.options.clock.now();
    this.createdAt = now;
    this.lastActivity = now;
    // One actor id for every session: XState memoises transition candidates per event type on the
    // parent's state nodes, so a per-session id (`xstate.done.actor.x:123`) would grow that cache
    // forever. The stopped session's id travels in the done event's output instead.
    // The session is its own machine input (`sessionId`, `owner`, `host`): the actor keeps its input
    // for life, and a separate object would be 48 more bytes per session.
    this.awake = createActor(sessionMachine, { parent, id: 'session', input: this });
  }

  /** The lifecycle actor, revived first if the session rests: every event for it goes through here. */
  get actor(): Actor<typeof sessionMachine> {
    return this.awake ?? this.wake();
  }

  /** True while the actor is put away. */
  get isResting(): boolean {
    return this.resting !== undefined;
  }

  /** Not stopped. A resting session is live: only its actor is put away. */
  get live(): boolean {
    return this.awake === undefined || this.awake.getSnapshot().status === 'active';
  }

  /** The machine's host, for {@link SessionMachineInput}: this session. */
  get host(): SessionHost {
    return this;
  }

  /** Starts the lifecycle actor and the idle timer. */
  start(): void {
    this.actor.start();
    this.armIdleTimer();
  }

  get sharedContext(): unknown {
    return this.environment.options.context;
  }

  get state(): SessionState {
    if (this.resting !== undefined) return this.resting.value;
    const snapshot = (this.awake as Actor<typeof sessionMachine>).getSnapshot();
    return snapshot.status === 'active' ? (snapshot.value as SessionState) : 'stopped';
  }

  /** The handshake and settings, from the resting record or the actor's context; never revives. */
  private get facts(): SessionFacts {
    return this.resting ?? (this.awake as Actor<typeof sessionMachine>).getSnapshot().context;
  }

  info(): SessionInfo {
    const context = this.facts;
    return {
      sessionId: this.sessionId,
      state: this.state,
      initialized: context.protocolVersion !== undefined,
      protocolVersion: context.protocolVersion,
      clientInfo: context.clientInfo as SessionInfo['clientInfo'],
      clientCapabilities: context.clientCapabilities,
      createdAt: this.createdAt,
      lastActivity: this.lastActivity,
      queued: this.queue.length,
      inFlight: this.holders.length,
    };
  }

  // ── Messages ──────────────────────────────────────────────────────────────────────────────

  request(
    message: IncomingRequest,
    options: DispatchOptions | undefined,
    caller?: PendingRequest,
  ): Promise<DispatchResult> {
    // The one clock read of an accepted request's arrival: its mailbox wait is measured from it.
    const now = this.environment.options.clock.now();
    this.lastActivity = now;
    const state = this.state;
    // A session stopped while this message was on its way (e.g. by a `sessionStarted` listener).
    if (state === 'stopped') return this.refuse(message.id, 'session_closed');
    // MCP: a request id must not be reused within a session while its request is in flight; a
    // duplicate would make cancellation and the answer ambiguous. Checked before the requests that
    // are answered out of band (`ping`, `initialize`, settings) as well as the queued ones.
    if (this.find(message.id) !== undefined) {
      this.environment.metrics.reject('invalid_request');
      return Promise.resolve(errorResponse(message.id, 'invalid_request', 'Request id already in use'));
    }
    // Out of band: `ping` at any time, `initialize` as the first message.
    if (message.method === 'ping') {
      return Promise.resolve(this.invalidParams(message) ?? { jsonrpc: '2.0', id: message.id, result: {} });
    }
    if (message.method === 'initialize') return Promise.resolve(this.initialize(message, state));
    if (state !== 'awaitingInitialize') {
      // Session settings, answered out of band: they change what this session receives, not data.
      if (message.method === 'logging/setLevel' && this.environment.options.logging) {
        return Promise.resolve(this.invalidParams(message) ?? this.setLogLevel(message));
      }
      if (message.method === 'resources/subscribe' || message.method === 'resources/unsubscribe') {
        if (this.environment.subscriptions !== undefined) {
          return Promise.resolve(this.invalidParams(message) ?? this.subscription(message));
        }
      }
    }
    switch (state) {
      case 'awaitingInitialize':
        return this.refuse(message.id, 'not_initialized');
      case 'stopping':
        return this.refuse(message.id, 'shutting_down');
      default:
        // Re-entering a session already waiting on this call chain (A → B → A) is refused outright;
        // a request that must queue behind handlers waiting on its sender would deadlock.
        if (caller?.isOnCallChain(this.sessionId) || (caller !== undefined && this.wouldDeadlock(caller))) {
          return this.refuse(message.id, 'call_cycle');
        }
        return this.enqueue(message, options, caller, now);
    }
  }

  notification(message: IncomingNotification): Promise<DispatchResult> {
    this.lastActivity = this.environment.options.clock.now();
    switch (message.method) {
      case 'notifications/initialized':
        this.actor.send({ type: 'initialized' });
        break;
      case 'notifications/cancelled': {
        const requestId = message.params.requestId;
        if (typeof requestId === 'string' || typeof requestId === 'number') this.cancel(requestId);
        break;
      }
      // Any other notification has no handler in the runtime; MCP peers ignore unknown notifications.
    }
    return settledUndefined;
  }

  /**
   * Cancels an accepted request: a queued one leaves the mailbox; a running one is aborted, answered
   * with nothing, and keeps its slot until its handler returns or `cancelGraceMs` passes, whichever
   * comes first (then its slot is given back and whatever it returns later is dropped), so that a
   * handler that ignores its signal cannot hold the session.
   */
  cancel(requestId: JsonRpcId): void {
    const request = this.find(requestId);
    if (request === undefined || request.phase === 'settled') return;
    const { metrics, options } = this.environment;
    const running = request.phase === 'running';
    if (running) {
      request.abort(new SessionRuntimeError('request_cancelled'));
    } else {
      this.queue.splice(this.queue.indexOf(request), 1);
      metrics.queued--;
    }
    metrics.cancelled++;
    request.settle(undefined);
    // An abort listener may have let the handler return already (it settles on a later microtask).
    if (running && request.holdsSlot) {
      const graceMs = options.cancelGraceMs;
      if (graceMs <= 0) {
        this.abandon(request);
        return;
      }
      if (graceMs !== Number.POSITIVE_INFINITY) {
        request.graceTimer = options.clock.setTimeout(() => this.graceExpired(request), graceMs);
      }
    }
    this.afterWork();
  }

  /** A client's answer to a request one of our handlers sent it: straight to the waiting handler. */
  response(message: IncomingResponse): void {
    this.lastActivity = this.environment.options.clock.now();
    if (this.outbound?.answer(message)) this.afterWork();
  }

  /** Attaches the session's listener for messages that belong to no request; returns a detach function. */
  attach(listener: (message: JsonRpcMessage) => void): () => void {
    this.outlet = listener;
    return () => {
      if (this.outlet === listener) this.outlet = undefined;
    };
  }

  /** Sends a message that belongs to no request to the attached listener; false if none is attached. */
  send(message: JsonRpcMessage): boolean {
    const outlet = this.outlet;
    if (outlet === undefined) return false;
    try {
      outlet(message);
    } catch (error) {
      this.reportNotificationError(error);
    }
    return true;
  }

  sendRequest(
    from: PendingRequest,
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    const { options: runtimeOptions } = this.environment;
    if (!from.active) return Promise.reject(new SessionRuntimeError('request_cancelled'));
    const needed = Object.hasOwn(requiredClientCapability, method)
      ? requiredClientCapability[method]
      : undefined;
    const declared = this.facts.clientCapabilities;
    if (needed !== undefined && (declared === undefined || declared[needed] === undefined)) {
      return Promise.reject(
        new SessionRuntimeError(
          'client_capability_missing',
          `The client did not declare the ${needed} capability`,
        ),
      );
    }
    const sink =
      from.requestSink ??
      (this.outlet === undefined ? undefined : (message: JsonRpcMessage) => this.send(message));
    if (sink === undefined) return Promise.reject(new SessionRuntimeError('client_unreachable'));
    this.outbound ??= new OutboundRequests(runtimeOptions.clock, runtimeOptions.clientRequestTimeoutMs);
    // A cancelled, timed-out or removed caller cancels what its handler is waiting for.
    const signal =
      options?.signal === undefined ? from.signal : AbortSignal.any([options.signal, from.signal]);
    return this.outbound.send(sink as (message: JsonRpcMessage) => void, method, params, {
      ...options,
      signal,
    });
  }

  passesLogLevel(level: LoggingLevel): boolean {
    const minimum = this.facts.logLevel;
    return passesLevel(level, minimum as LoggingLevel | undefined);
  }

  /** The -32602 answer when the params break the method's official schema (counted as refused). */
  private invalidParams(message: IncomingRequest): JsonRpcResponse | undefined {
    const invalid = checkRequestParams(message.id, message.method, message.params);
    if (invalid !== undefined) this.environment.metrics.reject('invalid_params');
    return invalid;
  }

  private subscription(message: IncomingRequest): JsonRpcResponse {
    const uri = message.params.uri;
    const subscriptions = this.environment.subscriptions as Subscriptions;
    if (typeof uri !== 'string') {
      this.environment.metrics.reject('invalid_params');
      return errorResponse(message.id, 'invalid_params', 'Expected `uri` to be a string');
    }
    if (message.method === 'resources/subscribe') {
      this.subscribed ??= new Set();
      this.subscribed.add(uri);
      subscriptions.subscribe(uri, this);
    } else {
      this.subscribed?.delete(uri);
      subscriptions.unsubscribe(uri, this);
    }
    return { jsonrpc: '2.0', id: message.id, result: {} };
  }

  private setLogLevel(message: IncomingRequest): JsonRpcResponse {
    const level = message.params.level;
    if (!isLoggingLevel(level)) {
      this.environment.metrics.reject('invalid_params');
      return errorResponse(
        message.id,
        'invalid_params',
        `Unknown logging level: ${describeClientValue(level)}`,
      );
    }
    this.actor.send({ type: 'setLogLevel', level });
    return { jsonrpc: '2.0', id: message.id, result: {} };
  }

  private initialize(message: IncomingRequest, state: SessionState): JsonRpcResponse {
    if (state !== 'awaitingInitialize') {
      this.environment.metrics.reject('already_initialized');
      return errorResponse(message.id, 'already_initialized');
    }
    const handshake = answerInitialize(message.id, message.params, this.environment.server);
    if ('error' in handshake) {
      this.environment.metrics.reject('invalid_params');
      // Under the 'initialize' policy this message created the session, and nothing else can reach
      // it: stop it now rather than leave it waiting for the idle timeout.
      if (this.environment.options.spawnPolicy === 'initialize') this.actor.send({ type: 'remove' });
      return handshake;
    }
    this.actor.send({
      type: 'initialize',
      protocolVersion: handshake.protocolVersion,
      clientInfo: handshake.clientInfo,
      clientCapabilities: isEmptyObject(handshake.clientCapabilities)
        ? NO_CAPABILITIES
        : handshake.clientCapabilities,
    });
    return { jsonrpc: '2.0', id: message.id, result: handshake.result };
  }

  private refuse(
    id: JsonRpcId,
    reason: 'not_initialized' | 'shutting_down' | 'session_closed' | 'call_cycle',
  ) {
    this.environment.metrics.reject(reason);
    return Promise.resolve(
      errorResponse(
        id,
        reason,
        undefined,
        reason === 'shutting_down' ? { retryAfterSeconds: this.environment.options.retryAfterSeconds } : {},
      ),
    );
  }

  /** The accepted request with this id, queued or holding a slot. */
  private find(requestId: JsonRpcId): PendingRequest | undefined {
    for (const request of this.holders) if (request.requestId === requestId) return request;
    for (const request of this.queue) if (request.requestId === requestId) return request;
    return undefined;
  }

  private wouldDeadlock(caller: PendingRequest): boolean {
    const mustWait =
      this.holders.length >= this.environment.options.maxConcurrentRequests || this.queue.length > 0;
    return mustWait && wouldDeadlock(caller, this.slotHolders());
  }

  *slotHolders(): Iterable<PendingRequest> {
    yield* this.holders;
  }

  private enqueue(
    message: IncomingRequest,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
    now: number,
  ): Promise<DispatchResult> {
    const { metrics, options: runtimeOptions, handlers, events } = this.environment;
    if (!handlers.has(message.method)) {
      metrics.reject('method_not_found');
      return Promise.resolve(
        errorResponse(message.id, 'method_not_found', `Method not found: ${message.method}`),
      );
    }
    const invalid = this.invalidParams(message);
    if (invalid !== undefined) return Promise.resolve(invalid);
    if (this.queue.length >= runtimeOptions.mailboxCapacity) {
      metrics.reject('mailbox_full');
      events.safeEmit('overload', {
        sessionId: this.sessionId,
        reason: 'mailbox_full',
        limit: runtimeOptions.mailboxCapacity,
      });
      return Promise.resolve(
        errorResponse(message.id, 'mailbox_full', undefined, {
          limit: runtimeOptions.mailboxCapacity,
          retryAfterSeconds: runtimeOptions.retryAfterSeconds,
        }),
      );
    }
    if (options?.signal?.aborted) {
      metrics.accepted++;
      metrics.cancelled++;
      return settledUndefined;
    }
    const request = new PendingRequest(
      this,
      message.id,
      message.method,
      message.params,
      progressTokenOf(message.params),
      undefined,
      options,
      caller,
    );
    metrics.accepted++;
    metrics.queued++;
    if (this.queue.length === 0 && this.holders.length < runtimeOptions.maxConcurrentRequests) {
      // A free slot and nobody ahead: straight in, without a round trip through the queue.
      this.run(request, now);
    } else {
      request.enqueuedAt = now;
      if (this.queue === NO_REQUESTS) this.queue = [request];
      else this.queue.push(request);
      // Only a handler dispatching to its own session while `pump` runs the queue finds a slot free
      // behind a waiting request: start them in order, as the queue always has.
      this.pump(now);
    }
    return request.promise;
  }

  /** Starts queued requests while slots are free; `now` is the clock read of the release that freed them. */
  private pump(now: number): void {
    const limit = this.environment.options.maxConcurrentRequests;
    while (this.holders.length < limit && this.queue.length > 0) {
      this.run(this.queue.shift() as PendingRequest, now);
    }
  }

  private run(request: PendingRequest, now: number): void {
    const { metrics, options, handlers } = this.environment;
    const handler = handlers.get(request.method) as RequestHandler<unknown>;
    request.phase = 'running';
    request.holdsSlot = true;
    if (this.holders === NO_REQUESTS) this.holders = [request];
    else this.holders.push(request);
    metrics.queued--;
    metrics.inFlight++;
    metrics.recordMailboxWait(request.enqueuedAt === undefined ? 0 : now - request.enqueuedAt);
    if (options.requestTimeoutMs !== Number.POSITIVE_INFINITY) {
      // Since the session's creation rather than a clock reading: a small integer for the first
      // twelve days of a session, where a clock reading would be a heap number of its own.
      const startedAfterMs = now - this.createdAt;
      request.startedAfterMs = startedAfterMs;
      // The session's one timer also watches request deadlines. While the actor is awake it is due
      // within `restAfterMs` anyway, so a request rarely has to move it.
      const dueAfterMs = this.timerDueAfterMs;
      if (dueAfterMs < 0 || dueAfterMs > startedAfterMs + options.requestTimeoutMs) this.armIdleTimer();
    }
    // Everything the handler hands back is untrusted: it may throw anything (even `undefined`), or
    // return a thenable whose `then` throws. Each path ends in exactly one succeed or fail.
    try {
      const outcome = handler(request.params, request);
      if (typeof (outcome as PromiseLike<unknown> | null)?.then === 'function') {
        (outcome as PromiseLike<unknown>).then(
          (value) => this.succeed(request, value),
          (error: unknown) => this.fail(request, error),
        );
      } else {
        // Answer a synchronous handler on a later microtask so that `pump` never recurses.
        queueMicrotask(() => this.succeed(request, outcome));
      }
    } catch (error) {
      queueMicrotask(() => this.fail(request, error));
    }
  }

  private succeed(request: PendingRequest, value: unknown): void {
    if (!this.release(request)) return;
    // Cancelled, or its session removed or closed: nobody waits for this answer, and a handler that
    // ends because its request was cancelled has not failed, whatever it returns or throws.
    if (request.phase !== 'running') {
      this.afterRelease();
      return;
    }
    // MCP results are objects; a void handler answers `{}`, anything else is the handler's bug.
    if (value === undefined || value === null)
      this.answer(request, { jsonrpc: '2.0', id: request.requestId, result: {} });
    else if (typeof value === 'object' && !Array.isArray(value)) {
      this.answer(request, {
        jsonrpc: '2.0',
        id: request.requestId,
        result: value as Record<string, unknown>,
      });
    } else
      this.answer(request, this.handlerError(request, new TypeError('Handler returned a non-object result')));
    this.afterRelease();
  }

  private fail(request: PendingRequest, error: unknown): void {
    if (!this.release(request)) return;
    if (request.phase === 'running') {
      const response = this.handlerError(request, error);
      // A tool's failure is answered with an `isError` result, and is a failure all the same.
      this.answer(request, response, 'error' in response || error instanceof HandlerFailure);
    }
    this.afterRelease();
  }

  /** Gives back the handler's slot; false if it was given back already (timed out, abandoned). */
  private release(request: PendingRequest): boolean {
    if (!request.holdsSlot) return false;
    request.holdsSlot = false;
    this.clearGraceTimer(request);
    this.environment.metrics.inFlight--;
    removeFrom(this.holders, request);
    this.lastActivity = this.environment.options.clock.now();
    // Only a handler that settled on its own is answered here (not a cancelled or timed-out one).
    return true;
  }

  private answer(request: PendingRequest, response: JsonRpcResponse, failed = 'error' in response): void {
    if (request.phase !== 'running') return;
    if (failed) this.environment.metrics.failed++;
    else this.environment.metrics.completed++;
    request.settle(response);
  }

  private afterRelease(): void {
    // `release` has just read the clock into `lastActivity`.
    this.pump(this.lastActivity);
    this.afterWork();
  }

  /**
   * The answer to a handler that threw. An error carrying a JSON-RPC code keeps it (the author chose
   * a protocol error); a {@link HandlerFailure} is answered with its result (a tool's `isError`);
   * anything else is `internal_error` without its detail. Both of the latter are reported to the
   * operator as `handlerError`, with the request's id and target.
   */
  private handlerError(request: PendingRequest, error: unknown): JsonRpcResponse {
    const coded = jsonRpcErrorOf(error);
    if (coded !== undefined) return { jsonrpc: '2.0', id: request.requestId, error: coded };
    const failure = error instanceof HandlerFailure ? error : undefined;
    this.environment.events.safeEmit('handlerError', {
      sessionId: this.sessionId,
      requestId: request.requestId,
      method: request.method,
      target: targetOf(request.method, request.params),
      error: failure === undefined ? error : failure.error,
    });
    if (failure !== undefined) return { jsonrpc: '2.0', id: request.requestId, result: failure.result };
    return errorResponse(request.requestId, 'internal_error');
  }

  /**
   * Abandons the slot holders whose `requestTimeoutMs` has passed (the idle timer's third check).
   * A timeout frees a slot and may start queued requests, or end a drain and stop the session.
   */
  private timeOutOverdue(now: number): void {
    const { requestTimeoutMs } = this.environment.options;
    if (requestTimeoutMs === Number.POSITIVE_INFINITY || this.holders.length === 0) return;
    // A nanosecond of slack: with a fractional `requestTimeoutMs` the timer's due time, rounded,
    // may fall a hair short of the deadline it was armed for, and would be re-armed for ~0 forever.
    const sinceCreated = now - this.createdAt + 1e-6;
    const due = this.holders.filter((request) => request.startedAfterMs + requestTimeoutMs <= sinceCreated);
    for (const request of due) this.timeOut(request);
  }

  /** The earliest request deadline among the slot holders, in ms after creation; `Infinity` if none. */
  private earliestDeadlineAfterMs(): number {
    const { requestTimeoutMs } = this.environment.options;
    if (requestTimeoutMs === Number.POSITIVE_INFINITY) return requestTimeoutMs;
    let oldest = Number.POSITIVE_INFINITY;
    for (const request of this.holders) if (request.startedAfterMs < oldest) oldest = request.startedAfterMs;
    return oldest + requestTimeoutMs;
  }

  /**
   * A handler past `requestTimeoutMs` is abandoned: its signal aborts, its slot is given back so
   * the requests queued behind it move on (a handler that ignores its signal would otherwise hold
   * the session forever), and whatever it returns later is dropped. A request still waiting for
   * its answer gets `request_timeout`; one cancelled already (in its grace) gets nothing more.
   */
  private timeOut(request: PendingRequest): void {
    if (request.phase === 'running') {
      const error = new SessionRuntimeError('request_timeout');
      this.environment.metrics.failed++;
      request.settle({ jsonrpc: '2.0', id: request.requestId, error: error.toJsonRpcError() });
      request.abort(error);
    }
    this.abandon(request);
  }

  /** Stops waiting for a handler: its slot is given back now and its late outcome dropped. */
  private abandon(request: PendingRequest): void {
    if (this.release(request)) this.afterRelease();
  }

  /** A cancelled request's grace has passed with its handler still running. */
  private graceExpired(request: PendingRequest): void {
    request.graceTimer = undefined;
    this.abandon(request);
  }

  private clearGraceTimer(request: PendingRequest): void {
    if (request.graceTimer === undefined) return;
    this.environment.options.clock.clearTimeout(request.graceTimer);
    request.graceTimer = undefined;
  }

  /** A draining session stops once its work is done. */
  private afterWork(): void {
    if (this.holders.length === 0 && this.queue.length === 0 && this.state === 'stopping') {
      this.actor.send({ type: 'drained' });
    }
  }

  dispatchFrom(
    caller: PendingRequest,
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
  ): Promise<DispatchResult> {
    return this.environment.dispatch(sessionId, message, options, caller);
  }

  reportNotificationError(error: unknown): void {
    this.environment.events.safeEmit('listenerError', { event: 'onNotification', error });
  }

  // ── SessionHost: what the lifecycle machine asks of us ────────────────────────────────────

  hasNoWork(): boolean {
    return this.queue.length === 0 && this.holders.length === 0 && (this.outbound?.size ?? 0) === 0;
  }

  isIdleFor(thresholdMs: number): boolean {
    return this.hasNoWork() && this.environment.options.clock.now() - this.lastActivity >= thresholdMs;
  }

  isIdle(): boolean {
    return this.isIdleFor(this.environment.options.idleTimeoutMs);
  }

  rearmIdleTimer(): void {
    this.armIdleTimer();
  }

  /**
   * `sweepIdle`: asks the machine to stop the session if it is idle for `thresholdMs`. A resting
   * session that the machine's guard would refuse anyway is not revived just to be asked.
   */
  sweep(thresholdMs: number): void {
    if (this.resting !== undefined && !this.isIdleFor(thresholdMs)) return;
    this.actor.send({ type: 'sweep', thresholdMs });
  }

  /**
   * One timer per session, for the next of three checks: the earliest request deadline
   * (`requestTimeoutMs`), the idle deadline (the machine decides whether to stop) and, while the
   * actor is awake, the rest check. Before the idle deadline the machine is not asked: its
   * `isIdle` guard could only refuse. One timer rather than one more per request: a Node timer
   * is an object and a list insertion and removal on every message, for a deadline rarely reached.
   */
  private idleTimerFired(): void {
    this.idleTimer = undefined;
    this.timerDueAfterMs = -1;
    const { clock, idleTimeoutMs } = this.environment.options;
    const now = clock.now();
    this.timeOutOverdue(now);
    if (!this.live) return;
    if (now - this.lastActivity < idleTimeoutMs) {
      this.restIfQuiet(now);
      this.armIdleTimer();
      return;
    }
    this.actor.send({ type: 'idle.check' });
    // A draining session ignores idle checks, but the deadlines of its running requests still
    // need the timer.
    if (this.idleTimer === undefined && this.holders.length > 0 && this.live) this.armIdleTimer();
  }

  /**
   * (Re)arms the timer: the idle deadline, the rest check if the actor is awake, or the earliest
   * request deadline, whichever comes first.
   */
  private armIdleTimer(): void {
    const { clock, idleTimeoutMs, restAfterMs } = this.environment.options;
    if (this.idleTimer !== undefined) {
      clock.clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      this.timerDueAfterMs = -1;
    }
    const now = clock.now();
    const idleLeft = this.lastActivity + idleTimeoutMs - now;
    // Due but not idle (work in flight): look again after a whole timeout.
    let delayMs = idleLeft > 0 ? idleLeft : idleTimeoutMs;
    if (this.awake !== undefined && restAfterMs < delayMs) {
      const restLeft = this.lastActivity + restAfterMs - now;
      delayMs = restLeft > 0 ? restLeft : restAfterMs;
    }
    if (this.holders.length > 0) {
      const deadlineLeft = this.earliestDeadlineAfterMs() - (now - this.createdAt);
      if (deadlineLeft < delayMs) delayMs = Math.max(deadlineLeft, 0);
    }
    if (!Number.isFinite(delayMs)) return;
    this.idleTimer = clock.setTimeout(this.onIdleTimer, delayMs);
    this.timerDueAfterMs = now + delayMs - this.createdAt;
  }

  /**
   * Puts the actor away if the session is quiet: live in a state it may rest in, nothing queued,
   * running or outbound, and no traffic for `restAfterMs`. One synchronous step: the record is
   * written and the actor detached before anything else can reach the session, and the directory
   * (the actor's parent, the only one XState lets stop it) stops it.
   */
  private restIfQuiet(now: number): void {
    const actor = this.awake;
    if (actor === undefined || now - this.lastActivity < this.environment.options.restAfterMs) return;
    const snapshot = actor.getSnapshot();
    if (snapshot.status !== 'active' || !isRestingState(snapshot.value) || !this.hasNoWork()) return;
    const { protocolVersion, clientInfo, clientCapabilities, logLevel } = snapshot.context;
    this.resting = { value: snapshot.value, protocolVersion, clientInfo, clientCapabilities, logLevel };
    this.awake = undefined;
    this.parent.send({ type: 'rest', session: actor });
  }

  /**
   * Revives the actor from the resting record, in the state and with the context it had. The
   * snapshot is given in XState's persisted form (what `getPersistedSnapshot` returns, which we
   * cannot call: it copies the context deeply, host included), restored by `createActor` itself;
   * resolving it first with `resolveState` would only compute the same state nodes twice (a third
   * slower).
   */
  private wake(): Actor<typeof sessionMachine> {
    const resting = this.resting as RestingRecord;
    const snapshot = {
      status: 'active' as const,
      value: resting.value,
      output: undefined,
      error: undefined,
      children: {},
      historyValue: {},
      context: {
        sessionId: this.sessionId,
        owner: this.owner,
        host: new SessionHostView(this),
        protocolVersion: resting.protocolVersion,
        clientInfo: resting.clientInfo,
        clientCapabilities: resting.clientCapabilities,
        stopReason: undefined,
        logLevel: resting.logLevel,
      } satisfies SessionMachineContext,
    };
    // `input` is unused when a snapshot is given; the types ask for it all the same.
    const actor = createActor(sessionMachine, { parent: this.parent, id: 'session', snapshot, input: this });
    this.awake = actor;
    this.resting = undefined;
    actor.start();
    // Awake again, so a rest check is due `restAfterMs` after the latest traffic: move the timer
    // from the idle deadline to it. With no timer armed we are inside its callback, revived for
    // `idle.check`, and the machine either stops the session or re-arms.
    if (this.idleTimer !== undefined) this.armIdleTimer();
    return actor;
  }

  beginDrain(): void {
    // Nothing to do: `request()` refuses new work while the machine is in `stopping`, and
    // `afterWork()` reports when the last running or queued request is done.
  }

  releaseAll(reason: SessionStopReason): void {
    const { options, metrics } = this.environment;
    if (this.idleTimer !== undefined) {
      options.clock.clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    this.outlet = undefined;
    for (const uri of this.subscribed ?? []) this.environment.subscriptions?.unsubscribe(uri, this);
    this.subscribed = undefined;
    const requests = [...this.holders, ...this.queue];
    if (this.queue.length > 0) this.queue.length = 0;
    // Most sessions stop with nothing pending: build the error (a stack capture) only when needed.
    if (requests.length === 0 && (this.outbound?.size ?? 0) === 0) return;
    // The session's handlers are abandoned with it: their slots (and `inFlight`) are given back now,
    // and whatever they return later is dropped. A handler that ignores its abort holds nothing.
    const running = this.holders;
    this.holders = NO_REQUESTS;
    for (const request of running) {
      request.holdsSlot = false;
      this.clearGraceTimer(request);
      metrics.inFlight--;
    }
    const error =
      reason === 'closed'
        ? new SessionRuntimeError('shutting_down', undefined, {
            retryAfterSeconds: options.retryAfterSeconds,
          })
        : new SessionRuntimeError('session_closed');
    for (const request of requests) {
      if (request.phase === 'queued') metrics.queued--;
      if (request.settle({ jsonrpc: '2.0', id: request.requestId, error: error.toJsonRpcError() })) {
        metrics.failed++;
      }
    }
    this.outbound?.rejectAll(error);
    // Abort running handlers only once the machine has reached `stopped` and left the directory: an
    // abort listener runs synchronously, and one that dispatches to this session must find it gone
    // rather than start a handler on it (found by the race properties).
    if (running.length > 0) {
      queueMicrotask(() => {
        for (const request of running) request.abort(error);
      });
    }
  }
}
