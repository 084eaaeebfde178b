/**
 * Forwarding one exchange to the instance of a cluster that owns its id (a 2025-era session, a
 * state handle, a task), so that a client never notices which instance it reached. The request goes
 * to `${address}${path}` with the global `fetch` (its connections are pooled and kept alive), and
 * the owner's answer comes back as it is: status, end-to-end headers, and a `text/event-stream`
 * body chunk by chunk as it arrives (progress, the owner's requests to the client, the response).
 * The client going away aborts the upstream request: that is how closing a standalone stream, and
 * on 2026-07-28 cancelling a request, reaches the owner.
 */
import { errorResponse } from '../protocol/errors.js';
import { recordForward } from '../runtime/telemetry/forwarded.js';
import type { EventStream, HttpExchange, ResponseHeaders } from './exchange.js';
import { httpStatusTable } from './statuses.js';

/** The request header a forwarded request carries: the forwarding instance's id. It is never forwarded again. */
export const FORWARDED_BY = 'mcp-forwarded-by';

/**
 * Headers of one connection, not of the message (RFC 9110 §7.6.1), and those the forwarding
 * request sets itself: never copied either way.
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'content-length',
  // `fetch` refuses it; the body is already read.
  'expect',
  // `fetch` decodes a compressed body: what we pass on is the decoded one.
  'content-encoding',
  FORWARDED_BY,
]);

function isHopByHop(name: string): boolean {
  return hopByHop.has(name) || name.startsWith('proxy-');
}

/**
 * Errors of a connection that the owner refused or dropped before any response: its process is
 * gone (or going). undici reports them as `TypeError('fetch failed')` with the socket's error as
 * `cause`.
 */
const goneCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ENOTFOUND']);
/** Errors that mean the request never reached a listening process. */
const neverSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** The socket error code under a `fetch` failure, if any. */
function socketErrorOf(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && goneCodes.has(code)) return code;
    cause = cause.cause;
  }
  return undefined;
}

/** What forwarding did with the exchange. @internal */
export type ForwardOutcome =
  /** Answered (passed the owner's answer through, or 503), or the client left: nothing more to do. */
  | 'answered'
  /** The owner refused or dropped the connection before any response: serve the request here, as not forwarded. */
  | 'owner_gone';

/** @internal */
export interface ForwardOptions {
  /** This instance's id, sent as `mcp-forwarded-by`. */
  readonly instanceId: string;
  /** Milliseconds to wait for the owner's response headers. */
  readonly timeoutMs: number;
  /** Tells `onError`; never throws. */
  readonly report: (error: unknown) => void;
}

/**
 * 503 `cluster_unavailable` with `Retry-After: seconds`: the cluster cannot tell, or reach, the
 * instance that owns the request's id now; a retry may succeed.
 * @internal
 */
export function answerClusterUnavailable(exchange: HttpExchange, seconds: number): void {
  // `Retry-After` is a whole number of seconds (RFC 9110 §10.2.3).
  const retryAfterSeconds = Math.max(1, Math.ceil(seconds));
  const body = errorResponse(null, 'cluster_unavailable', undefined, { retryAfterSeconds });
  exchange.respond(
    httpStatusTable.cluster_unavailable,
    { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) },
    JSON.stringify(body),
  );
}

/** The request headers sent to the owner: the client's end-to-end ones, and who forwarded it. */
function requestHeaders(exchange: HttpExchange, instanceId: string): Headers {
  const headers = new Headers();
  for (const [name, value] of exchange.headerEntries()) if (!isHopByHop(name)) headers.append(name, value);
  headers.set(FORWARDED_BY, instanceId);
  return headers;
}

/** The owner's end-to-end response headers, passed to the client. */
function responseHeaders(response: Response): ResponseHeaders {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) if (!isHopByHop(name)) headers[name] = value;
  return headers;
}

function isEventStream(contentType: string | null): boolean {
  return contentType?.trimStart().toLowerCase().startsWith('text/event-stream') === true;
}

/**
 * Forwards `exchange` to the instance at `address` (a base URL such as `http://10.0.0.5:3000`) and
 * passes its answer through. `body` is the request's parsed JSON body (POST), sent re-serialized.
 *
 * Resolves `owner_gone` when the connection was refused or reset before any response (nothing has
 * been answered: serve the request here); `answered` otherwise, after: the owner's answer (an SSE
 * answer once it ends, or cut off when the owner's stream breaks), 503 `cluster_unavailable` when no
 * response headers came within `timeoutMs` or the forward failed otherwise, or nothing when the
 * client left first. Never rejects.
 * @internal
 */
export async function forwardExchange(
  exchange: HttpExchange,
  address: string,
  body: unknown,
  options: ForwardOptions,
): Promise<ForwardOutcome> {
  const upstream = new AbortController();
  let abandoned: 'timeout' | 'client_gone' | undefined;
  const timer = setTimeout(() => {
    abandoned ??= 'timeout';
    upstream.abort();
  }, options.timeoutMs);
  exchange.onClientGone(() => {
    abandoned ??= 'client_gone';
    upstream.abort();
  });
  const base = address.endsWith('/') ? address.slice(0, -1) : address;
  const request: RequestInit = {
    method: exchange.method,
    headers: requestHeaders(exchange, options.instanceId),
    body: exchange.method === 'POST' ? JSON.stringify(body) : null,
    redirect: 'manual',
    signal: upstream.signal,
  };
  const url = `${base}${exchange.path}`;
  let response: Response;
  try {
    try {
      response = await fetch(url, request);
    } catch (error) {
      // A reset on a pooled keep-alive connection that the owner closed as idle just as it was
      // reused is no sign of a dead owner: one retry on a fresh connection tells (a dead owner then
      // refuses it at once).
      const code = socketErrorOf(error);
      if (abandoned !== undefined || code === undefined || neverSentCodes.has(code)) throw error;
      response = await fetch(url, request);
    }
  } catch (error) {
    if (abandoned === 'client_gone') {
      recordForward('client_gone');
      return 'answered';
    }
    if (abandoned === undefined && socketErrorOf(error) !== undefined) {
      recordForward('owner_gone');
      return 'owner_gone';
    }
    if (abandoned === undefined) options.report(error);
    recordForward(abandoned ?? 'error');
    answerClusterUnavailable(exchange, 1);
    return 'answered';
  } finally {
    clearTimeout(timer);
  }
  const headers = responseHeaders(response);
  if (
    response.status === 200 &&
    response.body !== null &&
    isEventStream(response.headers.get('content-type'))
  ) {
    const stream = exchange.openStream(headers);
    // Our client gone (the stream closed on our side): the owner sees its connection close.
    stream.onClose(() => upstream.abort());
    await pipeEventStream(response.body, stream, exchange);
    recordForward('ok');
    return 'answered';
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    // The owner failed mid-answer, or the client left while it was read.
    if (abandoned !== 'client_gone') answerClusterUnavailable(exchange, 1);
    recordForward(abandoned === 'client_gone' ? 'client_gone' : 'error');
    return 'answered';
  }
  exchange.respond(response.status, headers, text);
  recordForward('ok');
  return 'answered';
}

/**
 * Copies an SSE body as it arrives (the text is already framed as events by the owner); ends ours
 * with it, or cuts ours off when the owner's breaks (a client then resumes or retries, as after any
 * dropped stream).
 */
async function pipeEventStream(
  body: ReadableStream<Uint8Array>,
  stream: EventStream,
  exchange: HttpExchange,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text !== '') stream.write(text);
    }
    const rest = decoder.decode();
    if (rest !== '') stream.write(rest);
    stream.end();
  } catch {
    if (!stream.closed) exchange.abort();
  }
}
