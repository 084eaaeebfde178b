/**
 * Forwarding one exchange to the instance of a cluster that owns its id (a 2025-era session, a
 * state handle, a task), so that a client never notices which instance it reached. The request goes
 * to `${address}${path}` with `node:http` (`node:https` for an `https:` address) over a keep-alive
 * connection pool per protocol, and the owner's answer comes back as it is: status, end-to-end
 * headers, and a `text/event-stream` body chunk by chunk as it arrives (progress, the owner's
 * requests to the client, the response), as is a JSON body of any size, so that memory stays bounded
 * by socket buffers. The client going away aborts the upstream request: that is how closing a
 * standalone stream, and on 2026-07-28 cancelling a request, reaches the owner.
 *
 * `node:http` rather than the global `fetch`: undici's `fetch` spent about four times the client CPU
 * per request, more than the whole direct call costs (docs/cluster.md, "Measured: forwarding"), and
 * only `node:http` tells whether a reset hit a reused connection (`request.reusedSocket`), the one
 * case that is safe to retry.
 */

import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { errorResponse } from '../protocol/errors.js';
import { recordForward } from '../runtime/telemetry/forwarded.js';
import type { EventStream, HttpExchange, ResponseHeaders } from './exchange.js';
import { FORWARDED_AT, FORWARDED_BY, FORWARDED_FOR, FORWARDED_SIGNATURE, signHop } from './forwardedHop.js';
import { httpStatusTable } from './statuses.js';

/** The request header a forwarded request carries: the forwarding instance's id. It is never forwarded again. */

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
  // The body is already read: a `100-continue` would only delay the forward.
  'expect',
  // We pass bodies on as text, so we ask the owner for an unencoded one (RFC 9110 §12.5.3).
  'accept-encoding',
  'content-encoding',
  FORWARDED_BY,
  FORWARDED_FOR,
  FORWARDED_AT,
  FORWARDED_SIGNATURE,
]);

function isHopByHop(name: string): boolean {
  return hopByHop.has(name) || name.startsWith('proxy-');
}

/**
 * The pools of connections to owners, one per protocol, made on first use. Idle connections close
 * after 4 s, before Node's server default `keepAliveTimeout` of 5 s closes them from the other side
 * (the owner's `Keep-Alive: timeout=…` hint shortens it further), so a reused connection is seldom
 * one the owner is closing. `maxSockets` stays unbounded: a forwarded SSE stream (a standalone GET
 * lasts as long as its session) holds its connection, and a cap would queue unrelated calls behind
 * such streams until `forwardTimeoutMs` answered them 503. Up to 128 idle connections per owner are
 * kept; a burst beyond that opens (and then closes) more.
 */
const agentOptions = { keepAlive: true, maxFreeSockets: 128, timeout: 4_000, scheduling: 'lifo' } as const;
let httpAgent: HttpAgent | undefined;
let httpsAgent: HttpsAgent | undefined;

function pooledAgent(https: boolean): HttpAgent {
  if (https) {
    httpsAgent ??= new HttpsAgent(agentOptions);
    return httpsAgent;
  }
  httpAgent ??= new HttpAgent(agentOptions);
  return httpAgent;
}

/** Errors of a connection that never reached a listening process: its owner is gone. */
const refusedCodes = new Set(['ECONNREFUSED', 'ENOTFOUND']);
/** Errors of a connection that the owner dropped before any response (`socket hang up` is ECONNRESET). */
const resetCodes = new Set(['ECONNRESET', 'EPIPE']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
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
  /** The cluster's shared secret: the hop is signed with it (`forwardedHop.ts`). */
  readonly forwardingKey?: Uint8Array | undefined;
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
function requestHeaders(
  exchange: HttpExchange,
  options: ForwardOptions,
  body: Buffer | undefined,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of exchange.headerEntries()) if (!isHopByHop(name)) headers[name] = value;
  if (options.forwardingKey === undefined) headers[FORWARDED_BY] = options.instanceId;
  else Object.assign(headers, signHop(options.forwardingKey, options.instanceId, exchange));
  headers['accept-encoding'] = 'identity';
  if (body !== undefined) headers['content-length'] = body.length;
  return headers;
}

/**
 * The owner's end-to-end response headers, passed to the client. A field the owner sent on several
 * lines (two `Set-Cookie`, two `WWW-Authenticate` challenges) stays on several lines: `Set-Cookie`
 * cannot be combined at all (RFC 6265 §3), and `headersDistinct` keeps every field's values apart
 * where `headers` would have joined them with `, `.
 * @internal
 */
export function responseHeaders(response: Pick<IncomingMessage, 'headersDistinct'>): ResponseHeaders {
  const headers: Record<string, string | string[]> = {};
  const distinct = response.headersDistinct;
  for (const name in distinct) {
    const values = distinct[name];
    if (values === undefined || values.length === 0 || isHopByHop(name)) continue;
    headers[name] = values.length === 1 ? (values[0] as string) : values;
  }
  return headers;
}

function isEventStream(contentType: string | undefined): boolean {
  return contentType?.trimStart().toLowerCase().startsWith('text/event-stream') === true;
}

/**
 * The largest 200 answer read whole before it is passed on, in bytes: one that declares a
 * `Content-Length` of at most this (the common small result, passed on with its length in one
 * write). A 200 answer past it, or of unknown length, is streamed through.
 */
const WHOLE_ANSWER_MAX_BYTES = 64 * 1024;

/**
 * The largest answer of another status passed on, in bytes (read whole: only a 200 can be streamed
 * through). The owner's refusals are short JSON, but a batch refused member by member carries one
 * error a member (about 150 bytes each), so the bound is that of a request body a batch could
 * come in; a longer answer is a failed forward.
 */
const REFUSAL_MAX_BYTES = 4 * 1024 * 1024;

/** Whether a 200 answer is passed on as it arrives rather than read whole first. */
function streamsThrough(response: IncomingMessage): boolean {
  if (isEventStream(response.headers['content-type'])) return true;
  const declared = response.headers['content-length'];
  return declared === undefined || !(Number(declared) <= WHOLE_ANSWER_MAX_BYTES);
}

/** How one attempt to send the request ended: response headers, or a failure before them. */
type Sent =
  | { readonly kind: 'response'; readonly response: IncomingMessage }
  | { readonly kind: 'failed'; readonly error: unknown; readonly reusedSocket: boolean };

/**
 * Sends the request once: over a pooled connection, or (`fresh`) over a new one of its own that
 * closes after the answer. `started` receives the request as soon as it exists, so that it can be
 * aborted. Resolves at the response headers or the first failure; never rejects.
 */
function send(
  url: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body: Buffer | undefined,
  fresh: boolean,
  started: (request: ClientRequest) => void,
): Promise<Sent> {
  return new Promise((resolve) => {
    let request: ClientRequest;
    try {
      const target = new URL(url);
      const https = target.protocol === 'https:';
      const agent = fresh ? false : pooledAgent(https);
      request = (https ? httpsRequest : httpRequest)(target, { method, headers, agent });
    } catch (error) {
      // A malformed address, or one of another protocol.
      resolve({ kind: 'failed', error, reusedSocket: false });
      return;
    }
    const failed = (error: unknown) => resolve({ kind: 'failed', error, reusedSocket: request.reusedSocket });
    request.once('response', (response) => resolve({ kind: 'response', response }));
    // Errors after the response headers reach the response; this one stays as a guard.
    request.on('error', failed);
    request.once('close', () => failed(new Error('The forwarded request closed before any response')));
    started(request);
    request.end(body);
  });
}

/**
 * Forwards `exchange` to the instance at `address` (a base URL such as `http://10.0.0.5:3000`) and
 * passes its answer through. `body` is the request's parsed JSON body (POST), sent re-serialized.
 *
 * A reset before any response on a reused pooled connection (the owner closed it as idle just as
 * it was reused) is retried once on a fresh connection; a refused connection, or a reset on a fresh
 * one, means the owner is gone.
 *
 * A 200 answer (SSE, or JSON past {@link WHOLE_ANSWER_MAX_BYTES} or of unknown length) is streamed
 * through with backpressure ({@link pipeBody}): its status and headers first, then its body as it
 * arrives, so that a large answer to a slow client holds the owner back instead of filling this
 * instance's memory. Any other answer is read whole, up to that many bytes.
 *
 * Resolves `owner_gone` when the connection was refused or reset before any response (nothing has
 * been answered: serve the request here); `answered` otherwise, after: the owner's answer (a
 * streamed one once it ends, or cut off when the owner's body breaks), 503 `cluster_unavailable`
 * when no response headers came within `timeoutMs`, the owner's body broke before a whole answer
 * was read, a non-200 answer was longer than {@link REFUSAL_MAX_BYTES} (reported), or the
 * forward failed otherwise, or nothing when the client left first. Never rejects.
 * @internal
 */
export async function forwardExchange(
  exchange: HttpExchange,
  address: string,
  body: unknown,
  options: ForwardOptions,
): Promise<ForwardOutcome> {
  let abandoned: 'timeout' | 'client_gone' | undefined;
  let upstream: ClientRequest | undefined;
  const abandon = (reason: 'timeout' | 'client_gone') => {
    abandoned ??= reason;
    upstream?.destroy();
  };
  const started = (request: ClientRequest) => {
    upstream = request;
    if (abandoned !== undefined) request.destroy();
  };
  const timer = setTimeout(() => abandon('timeout'), options.timeoutMs);
  exchange.onClientGone(() => abandon('client_gone'));
  const url = `${address.endsWith('/') ? address.slice(0, -1) : address}${exchange.path}`;
  const payload = exchange.method === 'POST' ? Buffer.from(JSON.stringify(body)) : undefined;
  const headers = requestHeaders(exchange, options, payload);
  let sent = await send(url, exchange.method, headers, payload, false, started);
  // Node's safe retry: the reset hit a reused connection before any response.
  if (sent.kind === 'failed' && abandoned === undefined && sent.reusedSocket && isReset(sent.error)) {
    sent = await send(url, exchange.method, headers, payload, true, started);
  }
  clearTimeout(timer);
  if (sent.kind === 'failed') {
    if (abandoned === 'client_gone') {
      recordForward('client_gone');
      return 'answered';
    }
    if (abandoned === undefined && (isReset(sent.error) || refusedCodes.has(codeOf(sent.error) ?? ''))) {
      recordForward('owner_gone');
      return 'owner_gone';
    }
    if (abandoned === undefined) options.report(sent.error);
    recordForward(abandoned ?? 'error');
    answerClusterUnavailable(exchange, 1);
    return 'answered';
  }
  const { response } = sent;
  const request = upstream as ClientRequest;
  const answerHeaders = responseHeaders(response);
  const status = response.statusCode ?? 502;
  // `openStream` answers 200: the only status whose answer can be long (a result; the owner's
  // refusals are short JSON).
  if (status === 200 && streamsThrough(response)) {
    await pipeBody(response, exchange.openStream(answerHeaders), exchange, request);
    recordForward('ok');
    return 'answered';
  }
  const read = await readText(response, status === 200 ? WHOLE_ANSWER_MAX_BYTES : REFUSAL_MAX_BYTES);
  if (read.kind === 'too_large') {
    request.destroy();
    options.report(
      new Error(`The owner's ${status} answer is longer than ${REFUSAL_MAX_BYTES} bytes: not passed on`),
    );
    recordForward('error');
    answerClusterUnavailable(exchange, 1);
    return 'answered';
  }
  // The owner failed mid-answer, or the client left while it was read.
  if (read.kind === 'cut_off') {
    if (abandoned !== 'client_gone') answerClusterUnavailable(exchange, 1);
    recordForward(abandoned === 'client_gone' ? 'client_gone' : 'error');
    return 'answered';
  }
  exchange.respond(status, answerHeaders, read.text);
  recordForward('ok');
  return 'answered';
}

function isReset(error: unknown): boolean {
  return resetCodes.has(codeOf(error) ?? '');
}

/** What reading a whole body gave. */
type ReadText =
  | { readonly kind: 'text'; readonly text: string }
  /** The body broke before its end (or the request was destroyed). */
  | { readonly kind: 'cut_off' }
  /** Longer than the cap: the rest is left unread (the caller destroys the request). */
  | { readonly kind: 'too_large' };

/** A whole body of at most `maxBytes` bytes, as UTF-8 text. */
function readText(response: IncomingMessage, maxBytes: number): Promise<ReadText> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      response.off('data', onData);
      response.pause();
      resolve({ kind: 'too_large' });
    };
    response.on('data', onData);
    response.once('end', () => resolve({ kind: 'text', text: Buffer.concat(chunks).toString('utf8') }));
    // After `end` (or `too_large`) this changes nothing; before it, the body was cut off.
    response.once('close', () => resolve({ kind: 'cut_off' }));
    response.on('error', () => {});
  });
}

/**
 * Copies a UTF-8 body as it arrives: an SSE body (the text is already framed as events by the
 * owner), or a JSON one of any length (a UTF-8 character split across chunks is decoded whole); ends
 * ours with it, or cuts ours off when the owner's breaks (a client then resumes or retries, as after
 * any dropped stream). Our stream closing first (the client left) closes the owner's connection.
 * With backpressure: while the client has not taken what was written (`write` says full), reading
 * from the owner pauses until our stream drains, so a slow reader holds the owner back (TCP) instead
 * of growing this instance's buffers.
 * @internal
 */
export function pipeBody(
  response: IncomingMessage,
  stream: EventStream,
  exchange: Pick<HttpExchange, 'abort'>,
  request: Pick<ClientRequest, 'destroy'>,
): Promise<void> {
  return new Promise((resolve) => {
    stream.onClose(() => {
      if (!response.complete) request.destroy();
    });
    response.setEncoding('utf8');
    const resume = (): void => {
      response.resume();
    };
    response.on('data', (text: string) => {
      if (stream.write(text) || stream.closed) return;
      response.pause();
      stream.onDrain(resume);
    });
    response.once('end', () => {
      stream.end();
      resolve();
    });
    response.once('close', () => {
      if (!stream.closed) exchange.abort();
      resolve();
    });
    response.on('error', () => {});
  });
}
