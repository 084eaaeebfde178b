/**
 * One accepted request on its way through a session's mailbox. It is also the handler's context
 * object (one allocation per request, not two); its bookkeeping fields are internal.
 */
import type { Context } from '@opentelemetry/api';
import type { JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { jsonRpcNotification } from '../protocol/jsonrpc.js';
import type { LoggingLevel } from '../protocol/logging.js';
import type { HandleAccess } from './handleAccess.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import type {
  DispatchOptions,
  DispatchResult,
  HandlerContext,
  Principal,
  ProgressUpdate,
  SessionInfo,
} from './types.js';

/**
 * Where a request is: waiting in the mailbox, its handler running, or settled. `settled` means the
 * dispatch promise has its answer; the handler may still be running (cancelled or timed out). A
 * cancelled one keeps its concurrency slot until it returns or `cancelGraceMs` passes; a timed-out
 * one, or one whose session stopped, gives it back at once.
 */
export type RequestPhase = 'queued' | 'running' | 'settled';

/** What a request needs from its session. @internal */
export interface RequestOwner {
  readonly sessionId: string;
  readonly sharedContext: unknown;
  info(): SessionInfo;
  reportNotificationError(error: unknown): void;
  dispatchFrom(
    caller: PendingRequest,
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
  ): Promise<DispatchResult>;
  /** Requests holding one of the session's concurrency slots (what a queued request waits for). */
  slotHolders(): Iterable<PendingRequest>;
  sendRequest(
    from: PendingRequest,
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>>;
  passesLogLevel(level: LoggingLevel): boolean;
  cancel(requestId: JsonRpcId): void;
  /** The runtime's state handles, for the tools that take or open one; `undefined` inside a handle. */
  readonly handles: HandleAccess | undefined;
}

/** @internal */
export class PendingRequest implements HandlerContext<unknown> {
  phase: RequestPhase = 'queued';
  /** Whether the handler still holds a concurrency slot. */
  holdsSlot = false;
  /** Runs beside the actor's ordered requests, in no slot of theirs (an interleaving tool). */
  interleaved = false;
  /** After a cancel: the timer that gives the slot back once `cancelGraceMs` passed. */
  graceTimer: unknown;
  /** When the handler started, in ms after its session was created (for `requestTimeoutMs`). */
  startedAfterMs = 0;
  readonly promise: Promise<DispatchResult>;
  private resolvePromise!: (result: DispatchResult) => void;
  private controller: AbortController | undefined;
  /**
   * The last progress value sent; `undefined` until the first. Not `-Infinity` from the start: a
   * number that is not a small integer is a heap box of its own, one more allocation per request.
   */
  private lastProgress: number | undefined;
  private readonly abortListener: (() => void) | undefined;
  /** Requests this handler sent other sessions (`ctx.dispatch`) and still awaits. */
  outstanding: Set<PendingRequest> | undefined;
  /**
   * The OpenTelemetry context the request arrived in (its SERVER span's), which its handler runs
   * in; `undefined` while no context manager holds one (no SDK registered).
   */
  traceContext: Context | undefined;

  constructor(
    readonly owner: RequestOwner,
    readonly requestId: JsonRpcId,
    readonly method: string,
    readonly params: Readonly<Record<string, unknown>>,
    readonly progressToken: string | number | undefined,
    /**
     * When the request had to wait in the mailbox: `undefined` for one that ran as it arrived (a
     * time stamp is a heap box of its own, and most requests never wait).
     */
    public enqueuedAt: number | undefined,
    private readonly options: DispatchOptions | undefined,
    /** The handler that sent this request with `ctx.dispatch` and waits for it, if any. */
    readonly caller: PendingRequest | undefined,
  ) {
    this.promise = new Promise((resolve) => {
      this.resolvePromise = resolve;
    });
    if (caller !== undefined) {
      caller.outstanding ??= new Set();
      caller.outstanding.add(this);
    }
    const signal = options?.signal;
    if (signal !== undefined) {
      this.abortListener = () => owner.cancel(requestId);
      signal.addEventListener('abort', this.abortListener, { once: true });
    }
  }

  get sessionId(): string {
    return this.owner.sessionId;
  }

  get session(): SessionInfo {
    return this.owner.info();
  }

  get context(): unknown {
    return this.owner.sharedContext;
  }

  get auth(): Principal | undefined {
    return this.options?.principal;
  }

  /** Created on first read: most handlers never look at it, and an AbortController is not free. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** Aborts the handler's signal (created already aborted if the handler never read it). */
  abort(reason: unknown): void {
    this.controller ??= new AbortController();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Settles the dispatch promise once; later calls are ignored. Returns whether this call settled it. */
  settle(response: JsonRpcResponse | undefined): boolean {
    if (this.phase === 'settled') return false;
    this.phase = 'settled';
    this.caller?.outstanding?.delete(this);
    if (this.abortListener !== undefined)
      this.options?.signal?.removeEventListener('abort', this.abortListener);
    this.resolvePromise(response);
    return true;
  }

  progress(update: ProgressUpdate): void {
    if (this.phase !== 'running' || this.progressToken === undefined) return;
    if (!(update.progress > (this.lastProgress ?? Number.NEGATIVE_INFINITY))) return;
    this.lastProgress = update.progress;
    const params: Record<string, unknown> = { progressToken: this.progressToken, progress: update.progress };
    if (update.total !== undefined) params.total = update.total;
    if (update.message !== undefined) params.message = update.message;
    this.deliver(jsonRpcNotification('notifications/progress', params));
  }

  notify(notification: Omit<JsonRpcNotification, 'jsonrpc'>): void {
    if (this.phase !== 'running') return;
    this.deliver(jsonRpcNotification(notification.method, notification.params));
  }

  dispatch(sessionId: string, message: unknown, options?: DispatchOptions): Promise<DispatchResult> {
    return this.owner.dispatchFrom(this, sessionId, message, options);
  }

  /** Whether a handler of `sessionId` is among this request's callers (itself included). */
  isOnCallChain(sessionId: string): boolean {
    for (let request: PendingRequest | undefined = this; request !== undefined; request = request.caller) {
      if (request.sessionId === sessionId) return true;
    }
    return false;
  }

  request(
    method: string,
    params?: Readonly<Record<string, unknown>>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>> {
    return this.owner.sendRequest(this, method, params, options);
  }

  log(level: LoggingLevel, data: unknown, logger?: string): void {
    if (this.phase !== 'running' || !this.owner.passesLogLevel(level)) return;
    const params: Record<string, unknown> = { level, data };
    if (logger !== undefined) params.logger = logger;
    this.deliver(jsonRpcNotification('notifications/message', params));
  }

  closeStream(): void {
    if (this.phase === 'running') this.options?.onCloseStream?.();
  }

  /** Where this request's server-initiated requests go, if its caller gave a channel. */
  get requestSink(): ((request: JsonRpcRequest) => void) | undefined {
    return this.options?.onRequest;
  }

  /** True while the handler runs and its caller still waits. */
  get active(): boolean {
    return this.phase === 'running';
  }

  private deliver(notification: JsonRpcNotification): void {
    const sink = this.options?.onNotification;
    if (sink === undefined) return;
    try {
      sink(notification);
    } catch (error) {
      this.owner.reportNotificationError(error);
    }
  }
}

/**
 * The queue and the slot holders of every mailbox that has never had work: most actors sit idle
 * between short bursts, and two empty arrays each are 64 bytes of a budget of 2 KiB. Shared, so it
 * must stay empty: every push goes to an actor's own array, allocated first (`accept`, `run`),
 * and nothing else grows an array. Not frozen: a frozen array sends `for…of` and `indexOf` off
 * V8's fast paths and cost the trivial 100 × 4 benchmark about 10 % CPU per message.
 */
export const NO_REQUESTS: PendingRequest[] = [];

/**
 * Removes `request` from `requests` in place, keeping the order. Not `splice`: it allocates an
 * array of what it removed, and emptying a one-element array that way lets V8 drop its backing
 * store, so the next `push` allocates a new one. `pop` keeps the store. The holder leaving its slot
 * is on every request's path, and at 10,000 sessions those were a sixth of the bytes a message
 * allocates, most of them old-to-new pointers for the scavenger to chase.
 */
export function removeFrom(requests: PendingRequest[], request: PendingRequest): void {
  const index = requests.indexOf(request);
  if (index < 0) return;
  const last = requests.length - 1;
  for (let at = index; at < last; at++) requests[at] = requests[at + 1] as PendingRequest;
  requests.pop();
}
