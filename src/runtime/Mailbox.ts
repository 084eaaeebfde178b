/**
 * The mailbox of one keyed actor: a bounded FIFO of accepted requests and the concurrency slots
 * their handlers run in. It is about scheduling only (like p-queue's class, which keeps storage
 * behind an interface): accept or refuse, start in order, cancel, time out, answer. Ordinary
 * messages take this path and never become XState events.
 *
 * Every keyed actor extends it: a session (`Session`), and in time a state handle or a task. What
 * the subclass adds comes in through the abstract members: when the actor last saw traffic
 * (`KeyedActor`), what a request may ask of its owner (`RequestOwner`), and what happens when the
 * mailbox empties (`afterWork`, e.g. a drain ends).
 * A base class, not an object the actor holds: a session is about 600 bytes at rest, and a mailbox
 * object would add a header and a pointer to every one. Its arrays are created on the first request.
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { RequestEnvelope } from '../protocol/envelope.js';
import { errorResponse, HandlerFailure, jsonRpcErrorOf, SessionRuntimeError } from '../protocol/errors.js';
import type { JsonRpcId, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { IncomingRequest } from '../protocol/messages.js';
import { progressTokenOf } from '../protocol/messages.js';
import { checkRequestParams } from '../protocol/params.js';
import type { RuntimeConfig } from './config.js';
import type { RuntimeEventEmitter } from './events.js';
import { targetOf } from './events.js';
import type { HandleAccess } from './handleAccess.js';
import type { MetricsRecorder } from './metrics.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import type { RequestOwner } from './PendingRequest.js';
import { NO_REQUESTS, PendingRequest, removeFrom } from './PendingRequest.js';
import { recordMailboxWait } from './telemetry/mailboxWait.js';
import type { DispatchOptions, DispatchResult, RequestHandler, SessionInfo } from './types.js';
import { wouldDeadlock } from './waitFor.js';

/** What every mailbox of one runtime shares. @internal */
export interface MailboxEnvironment {
  readonly options: RuntimeConfig;
  /** The handler of each method a mailbox runs. */
  readonly handlers: ReadonlyMap<string, RequestHandler<unknown>>;
  readonly metrics: MetricsRecorder;
  readonly events: RuntimeEventEmitter;
  /** The runtime's dispatch, with the handler that sent the message when one did (`ctx.dispatch`). */
  readonly dispatch: (
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ) => Promise<DispatchResult>;
  /** The runtime's state handles (absent for a handle's own mailbox). */
  readonly handles?: HandleAccess | undefined;
  /**
   * Whether a request may interleave: start at once beside whatever runs, without waiting in the
   * queue or taking one of the `maxConcurrentRequests` slots (Orleans' `[AlwaysInterleave]`). For
   * the tools that opt out of their session's FIFO; absent: none does.
   */
  readonly interleaves?: ((method: string, params: Readonly<Record<string, unknown>>) => boolean) | undefined;
}

const settledUndefined: Promise<DispatchResult> = Promise.resolve(undefined);

/** @internal */
export abstract class Mailbox implements RequestOwner {
  readonly createdAt: number;
  /** The clock reading of the latest traffic or finished work (ms). */
  lastActivity: number;
  /** Waiting requests, oldest first; {@link NO_REQUESTS} until the first one. */
  protected queue: PendingRequest[] = NO_REQUESTS;
  /**
   * Requests whose handler holds a concurrency slot (a cancelled one keeps it until it returns, its
   * cancel grace ends or its request times out); {@link NO_REQUESTS} until the first one. Small
   * (at most `maxConcurrentRequests`), so lookups scan it and the queue instead of keeping an id
   * index whose churn cost more than the scans.
   */
  protected holders: PendingRequest[] = NO_REQUESTS;

  constructor(
    /** The actor's id in its directory (a session id, a handle id, a task id). */
    readonly key: string,
    /** The principal this actor is bound to; only it may reach the actor. */
    readonly owner: string | undefined,
    protected readonly environment: MailboxEnvironment,
  ) {
    const now = environment.options.clock.now();
    this.createdAt = now;
    this.lastActivity = now;
  }

  // ── What the actor adds ────────────────────────────────────────────────────────────────────

  abstract readonly sessionId: string;
  abstract readonly sharedContext: unknown;
  abstract info(): SessionInfo;
  /** `ctx.dispatch`: through the runtime, with the handler's request as the caller (call chains). */
  dispatchFrom(
    caller: PendingRequest,
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
  ): Promise<DispatchResult> {
    return this.environment.dispatch(sessionId, message, options, caller);
  }

  get handles(): HandleAccess | undefined {
    return this.environment.handles;
  }

  reportNotificationError(error: unknown): void {
    this.environment.events.safeEmit('listenerError', { event: 'onNotification', error });
  }
  abstract sendRequest(
    from: PendingRequest,
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>>;
  abstract passesLogLevel(level: Parameters<RequestOwner['passesLogLevel']>[0]): boolean;
  /** A handler started at `startedAfterMs` (ms after creation): its deadline may need the timer. */
  protected abstract watchDeadline(startedAfterMs: number): void;
  /** Called whenever work ended (answered, cancelled, timed out); e.g. a drain may be over. */
  protected abstract afterWork(): void;

  // ── The queue ─────────────────────────────────────────────────────────────────────────────

  /**
   * What a handler sees as `ctx.session` when its request has no session (2026-07-28): the client
   * as this request's `_meta` envelope describes it, and this mailbox's load.
   */
  protected sessionlessInfo(envelope: RequestEnvelope): SessionInfo {
    return {
      sessionId: '',
      state: 'ready',
      initialized: true,
      protocolVersion: envelope.protocolVersion,
      clientInfo: envelope.clientInfo,
      clientCapabilities: envelope.clientCapabilities,
      createdAt: this.createdAt,
      lastActivity: this.lastActivity,
      queued: this.queue.length,
      inFlight: this.holders.length,
    };
  }

  /** Nothing queued and nothing running. */
  protected mailboxEmpty(): boolean {
    return this.queue.length === 0 && this.holders.length === 0;
  }

  /** The accepted request with this id, queued or holding a slot. */
  protected find(requestId: JsonRpcId): PendingRequest | undefined {
    for (const request of this.holders) if (request.requestId === requestId) return request;
    for (const request of this.queue) if (request.requestId === requestId) return request;
    return undefined;
  }

  /**
   * Slots taken: the holders that run in the actor's order (an interleaving request holds none).
   * A scan only on a runtime whose tools interleave; the holders are few.
   */
  private slotsTaken(): number {
    if (this.environment.interleaves === undefined) return this.holders.length;
    let taken = 0;
    for (const request of this.holders) if (!request.interleaved) taken++;
    return taken;
  }

  /** Whether a request sent by `caller` would have to wait for handlers that wait for `caller`. */
  protected wouldDeadlock(caller: PendingRequest): boolean {
    const mustWait =
      this.slotsTaken() >= this.environment.options.maxConcurrentRequests || this.queue.length > 0;
    return mustWait && wouldDeadlock(caller, this.slotHolders());
  }

  *slotHolders(): Iterable<PendingRequest> {
    yield* this.holders;
  }

  /** The -32602 answer when the params break the method's official schema (counted as refused). */
  protected invalidParams(message: IncomingRequest): JsonRpcResponse | undefined {
    const invalid = checkRequestParams(message.id, message.method, message.params);
    if (invalid !== undefined) this.environment.metrics.reject('invalid_params');
    return invalid;
  }

  /**
   * Accepts a request into the mailbox, or refuses it (`method_not_found`, `invalid_params`,
   * `mailbox_full` with `data.limit` and `data.retryAfterSeconds`). Resolves with its answer, or
   * `undefined` if it is cancelled. `now` is the clock reading of its arrival (ms).
   */
  protected accept(
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
    const interleave = this.environment.interleaves?.(message.method, message.params) === true;
    // An interleaving request never queues: `mailboxCapacity` bounds how many of them run at once.
    const waiting = interleave ? this.holders.length - this.slotsTaken() : this.queue.length;
    if (waiting >= runtimeOptions.mailboxCapacity) {
      metrics.reject('mailbox_full');
      events.safeEmit('overload', {
        sessionId: this.key,
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
    // The request's span, if one is active: its handler runs in it even when started later by another.
    const active = context.active();
    if (active !== ROOT_CONTEXT) request.traceContext = active;
    metrics.accepted++;
    metrics.queued++;
    if (interleave) {
      // Interleaving: it starts now, beside whatever runs, and waits for nothing.
      request.interleaved = true;
      this.run(request, now);
    } else if (this.queue.length === 0 && this.slotsTaken() < runtimeOptions.maxConcurrentRequests) {
      // A free slot and nobody ahead: straight in, without a round trip through the queue.
      this.run(request, now);
    } else {
      request.enqueuedAt = now;
      if (this.queue === NO_REQUESTS) this.queue = [request];
      else this.queue.push(request);
      // Only a handler dispatching to its own actor while `pump` runs the queue finds a slot free
      // behind a waiting request: start them in order, as the queue always has.
      this.pump(now);
    }
    return request.promise;
  }

  /**
   * Cancels an accepted request: a queued one leaves the mailbox; a running one is aborted, answered
   * with nothing, and keeps its slot until its handler returns or `cancelGraceMs` passes, whichever
   * comes first (then its slot is given back and whatever it returns later is dropped), so that a
   * handler that ignores its signal cannot hold the actor.
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

  /** Starts queued requests while slots are free; `now` is the clock read of the release that freed them. */
  private pump(now: number): void {
    const limit = this.environment.options.maxConcurrentRequests;
    while (this.queue.length > 0 && this.slotsTaken() < limit) {
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
    const waitMs = request.enqueuedAt === undefined ? 0 : now - request.enqueuedAt;
    metrics.recordMailboxWait(waitMs);
    // The span event only for a request that waited in the queue: one that ran at once (the
    // common case) would add an event saying 0 ms to every span.
    const traceContext = request.traceContext;
    if (traceContext !== undefined && request.enqueuedAt !== undefined)
      recordMailboxWait(traceContext, waitMs);
    // Since the actor's creation rather than a clock reading: a small integer for the first
    // twelve days of an actor, where a clock reading would be a heap number of its own. Read for
    // the request deadline and for the handler's duration when it gives its slot back.
    const startedAfterMs = now - this.createdAt;
    request.startedAfterMs = startedAfterMs;
    if (options.requestTimeoutMs !== Number.POSITIVE_INFINITY) this.watchDeadline(startedAfterMs);
    // Everything the handler hands back is untrusted: it may throw anything (even `undefined`), or
    // return a thenable whose `then` throws. Each path ends in exactly one succeed or fail.
    try {
      const outcome =
        traceContext === undefined
          ? handler(request.params, request)
          : context.with(traceContext, handler, undefined, request.params, request);
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
    // Cancelled, or its actor removed or closed: nobody waits for this answer, and a handler that
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
    const { metrics, options } = this.environment;
    metrics.inFlight--;
    removeFrom(this.holders, request);
    const now = options.clock.now();
    this.lastActivity = now;
    metrics.latencies?.record(request.method, now - this.createdAt - request.startedAfterMs);
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
      sessionId: this.key,
      requestId: request.requestId,
      method: request.method,
      target: targetOf(request.method, request.params),
      error: failure === undefined ? error : failure.error,
    });
    if (failure !== undefined) return { jsonrpc: '2.0', id: request.requestId, result: failure.result };
    return errorResponse(request.requestId, 'internal_error');
  }

  // ── Deadlines ─────────────────────────────────────────────────────────────────────────────

  /** Abandons the slot holders whose `requestTimeoutMs` has passed by `now` (a clock reading, ms). */
  protected timeOutOverdue(now: number): void {
    const { requestTimeoutMs } = this.environment.options;
    if (requestTimeoutMs === Number.POSITIVE_INFINITY || this.holders.length === 0) return;
    // A nanosecond of slack: with a fractional `requestTimeoutMs` the timer's due time, rounded,
    // may fall a hair short of the deadline it was armed for, and would be re-armed for ~0 forever.
    const sinceCreated = now - this.createdAt + 1e-6;
    const due = this.holders.filter((request) => request.startedAfterMs + requestTimeoutMs <= sinceCreated);
    for (const request of due) this.timeOut(request);
  }

  /** The earliest request deadline among the slot holders, in ms after creation; `Infinity` if none. */
  protected earliestDeadlineAfterMs(): number {
    const { requestTimeoutMs } = this.environment.options;
    if (requestTimeoutMs === Number.POSITIVE_INFINITY) return requestTimeoutMs;
    let oldest = Number.POSITIVE_INFINITY;
    for (const request of this.holders) if (request.startedAfterMs < oldest) oldest = request.startedAfterMs;
    return oldest + requestTimeoutMs;
  }

  /**
   * A handler past `requestTimeoutMs` is abandoned: its signal aborts, its slot is given back so
   * the requests queued behind it move on (a handler that ignores its signal would otherwise hold
   * the actor forever), and whatever it returns later is dropped. A request still waiting for
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

  /**
   * Answers a running request now with `response` (counted as completed, or failed) and stops waiting for its
   * handler: its signal aborts with `reason`, its slot is given back, and what it returns later is
   * dropped. For an answer that does not wait for the handler (a multi-round-trip `input_required`).
   */
  protected preempt(request: PendingRequest, response: JsonRpcResponse, reason: Error, failed = false): void {
    if (request.phase !== 'running') return;
    if (failed) this.environment.metrics.failed++;
    else this.environment.metrics.completed++;
    request.settle(response);
    request.abort(reason);
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

  // ── Stop ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Empties the mailbox as its actor stops: every queued and running request is answered with
   * `error`, and the running handlers' slots are given back now (what they return later is
   * dropped). Returns the handlers that were running, for the caller to abort once the actor has
   * left its directory; an empty array (shared) when nothing was pending.
   */
  protected failAll(error: SessionRuntimeError): readonly PendingRequest[] {
    const { metrics } = this.environment;
    const requests = this.queue.length === 0 ? this.holders : [...this.holders, ...this.queue];
    if (this.queue.length > 0) this.queue.length = 0;
    const running = this.holders;
    this.holders = NO_REQUESTS;
    for (const request of running) {
      request.holdsSlot = false;
      this.clearGraceTimer(request);
      metrics.inFlight--;
    }
    for (const request of requests) {
      if (request.phase === 'queued') metrics.queued--;
      if (request.settle({ jsonrpc: '2.0', id: request.requestId, error: error.toJsonRpcError() })) {
        metrics.failed++;
      }
    }
    return running;
  }
}
