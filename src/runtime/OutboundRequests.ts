/**
 * The table of requests a session's handlers sent to the client (sampling, elicitation, roots) and
 * await. The client's response is routed here straight from `dispatch`, never through the mailbox:
 * the handler that waits for it is holding the mailbox's slot.
 */
import { ClientRequestError, SessionRuntimeError } from '../protocol/errors.js';
import { type JsonRpcId, type JsonRpcMessage, jsonRpcNotification } from '../protocol/jsonrpc.js';
import type { IncomingResponse } from '../protocol/messages.js';
import type { Clock } from './clock.js';

/** Options of a server-initiated request. */
export interface OutboundRequestOptions {
  /** Give up (and tell the client with `notifications/cancelled`) after this long. @default 60_000 */
  readonly timeoutMs?: number;
  /** Aborting it cancels the request the same way. */
  readonly signal?: AbortSignal;
  /**
   * The request's key among the `inputRequests` of a 2026-07-28 multi-round-trip answer
   * (SEP-2322): the client answers it under the same key in `inputResponses`. Ignored on a 2025
   * session, where the request goes to the client at once.
   * @default `${method}:${n}`, n counting this handler's requests from 0
   */
  readonly key?: string;
}

interface Outbound {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: unknown;
  readonly cleanup: () => void;
}

/** @internal */
export class OutboundRequests {
  private readonly pending = new Map<JsonRpcId, Outbound>();
  private nextId = 1;

  constructor(
    private readonly clock: Clock,
    private readonly defaultTimeoutMs: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Sends `method` through `sink` and resolves with the client's result. */
  send(
    sink: (message: JsonRpcMessage) => void,
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    options: OutboundRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) {
        reject(new SessionRuntimeError('request_cancelled'));
        return;
      }
      const giveUp = (error: SessionRuntimeError) => {
        if (!this.settle(id)) return;
        sink(jsonRpcNotification('notifications/cancelled', { requestId: id, reason: error.message }));
        reject(error);
      };
      // The caller's reason (timeout, session closed) travels on; a bare abort is a cancellation.
      const onAbort = () =>
        giveUp(
          signal?.reason instanceof SessionRuntimeError
            ? signal.reason
            : new SessionRuntimeError('request_cancelled'),
        );
      const timer = this.clock.setTimeout(
        () => giveUp(new SessionRuntimeError('request_timeout', `No answer to ${method} in time`)),
        options.timeoutMs ?? this.defaultTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve,
        reject,
        timer,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      try {
        sink(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
      } catch {
        if (this.settle(id)) reject(new SessionRuntimeError('client_unreachable'));
      }
    });
  }

  /** Routes a client's response; false when no request of ours has that id. */
  answer(response: IncomingResponse): boolean {
    const entry = this.pending.get(response.id);
    if (entry === undefined || !this.settle(response.id)) return false;
    if (response.error !== undefined) entry.reject(ClientRequestError.from(response.error));
    else entry.resolve((response.result ?? {}) as Record<string, unknown>);
    return true;
  }

  /** Rejects every pending request (the session stopped). */
  rejectAll(error: SessionRuntimeError): void {
    for (const [id, entry] of [...this.pending]) {
      this.settle(id);
      entry.reject(error);
    }
  }

  private settle(id: JsonRpcId): boolean {
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    this.pending.delete(id);
    this.clock.clearTimeout(entry.timer);
    entry.cleanup();
    return true;
  }
}
