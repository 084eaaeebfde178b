/**
 * An MCP session of the 2025-era revisions: the keyed-actor core (`KeyedActor`: mailbox, timer,
 * residency) with `sessionMachine` as its lifecycle (src/machines/session.machine.ts) and the
 * session's own methods on top. The machine decides lifecycle; this class carries messages, and
 * sends the machine an event only when the lifecycle changes.
 */
import type { Actor, AnyActorRef } from 'xstate';
import { createActor } from 'xstate';
import { KEYED_ACTOR_ID } from '../machines/directory.machine.js';
import type { SessionHost, SessionMachineInput, SessionStopReason } from '../machines/session.machine.js';
import { sessionMachine } from '../machines/session.machine.js';
import { describeClientValue, errorResponse, markRefusal, SessionRuntimeError } from '../protocol/errors.js';
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { isEmptyObject } from '../protocol/jsonrpc.js';
import type { ServerIdentity } from '../protocol/lifecycle.js';
import { answerInitialize, capabilityPath, missingClientCapability } from '../protocol/lifecycle.js';
import type { LoggingLevel } from '../protocol/logging.js';
import { isLoggingLevel, passesLevel } from '../protocol/logging.js';
import type { IncomingNotification, IncomingRequest, IncomingResponse } from '../protocol/messages.js';
import type { LifecycleActor } from './KeyedActor.js';
import { KeyedActor } from './KeyedActor.js';
import type { MailboxEnvironment } from './Mailbox.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import { OutboundRequests } from './OutboundRequests.js';
import type { PendingRequest } from './PendingRequest.js';
import type { Subscriptions } from './Subscriptions.js';
import type { RestingRecord, SessionFacts } from './sessionRecord.js';
import { restingRecordOf, revivedSnapshot } from './sessionRecord.js';
import type { DispatchOptions, DispatchResult, SessionInfo, SessionState } from './types.js';

/** What every session of one runtime shares. @internal */
export interface SessionEnvironment extends MailboxEnvironment {
  /** What `initialize` answers with. */
  readonly server: ServerIdentity;
  /** Resource subscriptions of all sessions; `undefined` when the server has no resources. */
  readonly subscriptions: Subscriptions | undefined;
}

const settledUndefined: Promise<DispatchResult> = Promise.resolve(undefined);

/** The capabilities of a client that declared none, shared instead of one empty object per session. */
const NO_CAPABILITIES: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * One MCP session (2025-era revisions): a {@link KeyedActor} whose lifecycle machine is
 * `sessionMachine` and whose key is the `Mcp-Session-Id`. What it adds to the core: the methods
 * MCP answers out of band (`ping`, `initialize`, `logging/setLevel`, `resources/subscribe`), the
 * requests its handlers send the client (sampling, elicitation, roots), the listener for
 * messages that belong to no request, and the client's identity and settings.
 *
 * @internal
 */
export class Session
  extends KeyedActor<Actor<typeof sessionMachine>, RestingRecord>
  implements SessionHost, SessionMachineInput
{
  /** Requests this session's handlers sent the client and await; created on first use. */
  private outbound: OutboundRequests | undefined;
  /** Where messages that belong to no request go (the standalone SSE stream, a stdio pipe). */
  private outlet: ((message: JsonRpcMessage) => void) | undefined;
  /** URIs this session subscribed to; created on first subscription. */
  private subscribed: Set<string> | undefined;

  constructor(
    sessionId: string,
    owner: string | undefined,
    protected override readonly environment: SessionEnvironment,
    protected readonly parent: AnyActorRef,
  ) {
    super(sessionId, owner, environment);
    // One actor id for every keyed actor (`KEYED_ACTOR_ID`); the session id travels in the output.
    // The session is its own machine input (`sessionId`, `owner`, `host`): the actor keeps its input
    // for life, and a separate object would be 48 more bytes per session.
    this.awake = createActor(sessionMachine, { parent, id: KEYED_ACTOR_ID, input: this });
  }

  /** The `Mcp-Session-Id`: this actor's key. */
  get sessionId(): string {
    return this.key;
  }

  /** The machine's host, for {@link SessionMachineInput}: this session. */
  get host(): SessionHost {
    return this;
  }

  get sharedContext(): unknown {
    return this.environment.options.context;
  }

  get state(): SessionState {
    const awake = this.awake;
    if (awake === undefined) return (this.resting as RestingRecord).value;
    const snapshot = awake.getSnapshot();
    return snapshot.status === 'active' ? (snapshot.value as SessionState) : 'stopped';
  }

  /** The revision `initialize` agreed on; `undefined` before it. Never revives. */
  get protocolVersion(): string | undefined {
    return this.facts.protocolVersion;
  }

  /** Server→client requests of this session's handlers awaiting the client's answer. */
  get outboundPending(): number {
    return this.outbound?.size ?? 0;
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
        return this.accept(message, options, caller, now);
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
    const missing = missingClientCapability(method, params, this.facts.clientCapabilities);
    if (missing !== undefined) {
      return Promise.reject(
        new SessionRuntimeError(
          'client_capability_missing',
          `The client did not declare the ${capabilityPath(missing)} capability`,
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
      markRefusal(
        errorResponse(
          id,
          reason,
          undefined,
          reason === 'shutting_down' ? { retryAfterSeconds: this.environment.options.retryAfterSeconds } : {},
        ),
      ),
    );
  }

  /** Shutdown's fast path (see `KeyedActor.stopQuietly`): true if the session stopped now. */
  stopNow(reason: SessionStopReason, retired: LifecycleActor[]): boolean {
    return this.stopQuietly(() => this.releaseAll(reason), retired);
  }

  /** A draining session stops once its work is done. */
  protected afterWork(): void {
    if (this.mailboxEmpty() && this.state === 'stopping') this.actor.send({ type: 'drained' });
  }

  // ── SessionHost: what the lifecycle machine asks of us ────────────────────────────────────

  override hasNoWork(): boolean {
    return this.mailboxEmpty() && (this.outbound?.size ?? 0) === 0;
  }

  // ── Residency ─────────────────────────────────────────────────────────────────────────────

  protected recordOf(actor: Actor<typeof sessionMachine>): RestingRecord | undefined {
    return restingRecordOf(actor.getSnapshot());
  }

  protected revive(resting: RestingRecord): Actor<typeof sessionMachine> {
    const snapshot = revivedSnapshot(resting, this.sessionId, this.owner, this);
    // `input` is unused when a snapshot is given; the types ask for it all the same.
    return createActor(sessionMachine, { parent: this.parent, id: KEYED_ACTOR_ID, snapshot, input: this });
  }

  beginDrain(): void {
    // Nothing to do: `request()` refuses new work while the machine is in `stopping`, and
    // `afterWork()` reports when the last running or queued request is done.
  }

  releaseAll(reason: SessionStopReason): void {
    const { options } = this.environment;
    this.stopTimer();
    this.outlet = undefined;
    for (const uri of this.subscribed ?? []) this.environment.subscriptions?.unsubscribe(uri, this);
    this.subscribed = undefined;
    // Most sessions stop with nothing pending: build the error (a stack capture) only when needed.
    if (this.mailboxEmpty() && (this.outbound?.size ?? 0) === 0) return;
    const error =
      reason === 'closed'
        ? new SessionRuntimeError('shutting_down', undefined, {
            retryAfterSeconds: options.retryAfterSeconds,
          })
        : new SessionRuntimeError('session_closed');
    // The session's handlers are abandoned with it: their slots (and `inFlight`) are given back now,
    // and whatever they return later is dropped. A handler that ignores its abort holds nothing.
    const running = this.failAll(error);
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
