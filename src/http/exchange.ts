/**
 * The one seam between the transport logic and a server API. `node:http` and the Web-standard
 * `Request`/`Response` each implement {@link HttpExchange} in a few lines; everything MCP-specific
 * (statuses, sessions, SSE framing) lives once, in `McpHttpEndpoint`.
 */
import type { RequestTelemetry } from '../runtime/types.js';

/** Response headers, lower-case names; a field with several values goes as one line each. @internal */
export type ResponseHeaders = Readonly<Record<string, string | string[]>>;

/** What reading a JSON body gave. @internal */
export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      /** `body_already_read`: a middleware consumed the body and did not pass it on. */
      readonly reason: 'payload_too_large' | 'parse_error' | 'body_timeout' | 'body_already_read';
    };

/** An open `text/event-stream` response body. @internal */
export interface EventStream {
  /**
   * Sends one complete SSE event (already framed); ignored once closed. `false` when the client has
   * not taken what was written yet and the buffer is past its high-water mark (Node's
   * `res.write()`, a `ReadableStream`'s `desiredSize`), or the stream is closed: a copier that can
   * wait should write again only after {@link EventStream.onDrain}.
   */
  write(event: string): boolean;
  /**
   * Calls `listener` once the client has taken the buffered output (at once when nothing waits, or
   * the stream is closed).
   */
  onDrain(listener: () => void): void;
  /** Ends the response; idempotent. */
  end(): void;
  /** True once ended, or the client went away. */
  readonly closed: boolean;
  /** Calls `listener` once when the stream closes, for either reason (at once if already closed). */
  onClose(listener: () => void): void;
}

/**
 * The close bookkeeping both server forms share: a stream is open until ended or abandoned by the
 * client, and its close listeners run exactly once. A form supplies how to send and how to finish.
 * @internal
 */
export abstract class ClosableEventStream implements EventStream {
  /** `undefined` once closed. */
  private listeners: (() => void)[] | undefined = [];

  get closed(): boolean {
    return this.listeners === undefined;
  }

  write(event: string): boolean {
    return !this.closed && this.send(event);
  }

  onDrain(listener: () => void): void {
    if (this.closed || !this.full()) listener();
    else this.waitForDrain(listener);
  }

  end(): void {
    if (this.closed) return;
    this.finish();
    this.markClosed();
  }

  onClose(listener: () => void): void {
    if (this.listeners === undefined) listener();
    else this.listeners.push(listener);
  }

  /** Records the close (the client went away, or the stream ended) and tells the listeners. */
  protected markClosed(): void {
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }

  /** Sends `event`; `false` when the buffer is past its high-water mark. */
  protected abstract send(event: string): boolean;
  protected abstract finish(): void;
  /** Whether the buffer is past its high-water mark now. */
  protected abstract full(): boolean;
  /** Calls `listener` once the buffer has room again (or the stream closed). */
  protected abstract waitForDrain(listener: () => void): void;
}

/** One HTTP request and the means to answer it, once. @internal */
export interface HttpExchange {
  /** The request method, upper case. */
  readonly method: string;
  /** The path of the request URL, without the query. */
  readonly path: string;
  /** The peer's address, where the server form knows it. */
  readonly remoteAddress: string | undefined;
  /**
   * What the runtime's OpenTelemetry spans and metrics get from this transport (`network.*`,
   * `client.*`). Cheap to hand over: the runtime reads its `attributes` only while an OpenTelemetry
   * SDK is registered, and only then are they resolved.
   */
  readonly telemetry?: RequestTelemetry | undefined;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /**
   * Every request header as `[lower-case name, value]`, repeated fields joined with `, ` (what a
   * forward to another instance copies).
   */
  headerEntries(): Iterable<readonly [string, string]>;
  /**
   * Reads and parses the body as JSON, giving up past `maxBytes` or after `timeoutMs` (then the rest
   * of the body is abandoned and the connection is closed after the answer).
   */
  readJson(maxBytes: number, timeoutMs: number): Promise<JsonBody>;
  /** Headers every later answer of this exchange carries (CORS). */
  addHeaders(headers: ResponseHeaders): void;
  /** Answers with a complete response. */
  respond(status: number, headers: ResponseHeaders, body?: string): void;
  /** Answers 200 with an SSE body that stays open until {@link EventStream.end}. */
  openStream(headers: ResponseHeaders): EventStream;
  /** True once an answer has started (a failure can then only end the stream). */
  readonly answered: boolean;
  /** Ends a started answer after a failure of ours (the client sees a cut-off stream). */
  abort(): void;
  /**
   * Calls `listener` once if the client goes away before the answer is complete (the connection
   * closes, or a fetch `Request` is aborted); never after a complete answer.
   */
  onClientGone(listener: () => void): void;
}

/** Parses a complete body; shared by both forms so that a bad body means the same everywhere. @internal */
export function parseJsonBody(text: string): JsonBody {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'parse_error' };
  }
}
