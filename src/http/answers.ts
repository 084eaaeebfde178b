/**
 * How the endpoint answers an exchange: a refusal of its own, a JSON-RPC response as JSON (with the
 * status of its `error.data.reason`) or as one SSE event, and the session headers every request after
 * `initialize` must carry. Shared by the POST, GET and DELETE handlers of `McpHttpEndpoint`.
 * @internal
 */
import { isRefusal, reasonOf } from '../protocol/errors.js';
import type { JsonRpcErrorResponse, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/lifecycle.js';
import { serializeMessage } from '../protocol/serialize.js';
import { countRefusal } from '../runtime/metrics.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import type { HttpExchange, ResponseHeaders } from './exchange.js';
import type { PostAnswer } from './headers.js';
import type { Refusal } from './refusals.js';
import { refusalResponse } from './refusals.js';
import type { StreamRefusal } from './StreamBudget.js';
import { formatSseEvent } from './sse.js';
import { httpReasonOf, httpStatusOf } from './statuses.js';

const supportedVersions = new Set(SUPPORTED_PROTOCOL_VERSIONS);
/** @internal */
export const jsonHeaders: ResponseHeaders = { 'content-type': 'application/json' };
/** `no-cache` keeps proxies from buffering or replaying an event stream. @internal */
export const streamHeaders: ResponseHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

/**
 * Answers with one of the transport's own refusals (`refusals.ts`), with `extraHeaders` if given,
 * and counts it in `runtime`'s refusals under the reason its body carries (`countRefusal`), as the
 * runtime counts its own. @internal
 */
export function refuse(
  runtime: SessionRuntime,
  exchange: HttpExchange,
  refusal: Refusal,
  extraHeaders?: ResponseHeaders,
): void {
  const { status, headers, body, counted } = refusalResponse(refusal);
  if (counted !== undefined) countRefusal(runtime, counted);
  exchange.respond(status, extraHeaders === undefined ? headers : { ...headers, ...extraHeaders }, body);
}

/**
 * Counts `response`, an answer the transport refuses a message with, in `runtime`'s refusals under
 * the reason its error carries (`countRefusal`), as `refuse` counts its own. @internal
 */
export function countRefused(runtime: SessionRuntime, response: JsonRpcErrorResponse): void {
  const reason = reasonOf(response.error);
  if (reason !== undefined) countRefusal(runtime, reason);
}

/** 429 `too_many_streams` or 503 `overloaded` for a stream past the budget, retry after a second. @internal */
export function refuseStream(runtime: SessionRuntime, exchange: HttpExchange, refusal: StreamRefusal): void {
  refuse(runtime, exchange, refusal === 'overloaded' ? 'streams_overloaded' : 'too_many_streams', {
    'retry-after': '1',
  });
}

/** 429 `rate_limited`, retry after `seconds`. @internal */
export function rateLimited(runtime: SessionRuntime, exchange: HttpExchange, seconds: number): void {
  refuse(runtime, exchange, 'rate_limited', { 'retry-after': String(seconds) });
}

/**
 * The session id of a request after `initialize`, or `undefined` once the exchange has been refused.
 * A missing id is 400 ("Session Management" §4); an unsupported `MCP-Protocol-Version` is 400 and an
 * absent one means 2025-03-26 ("Protocol Version Header").
 * @internal
 */
export function sessionIdOf(runtime: SessionRuntime, exchange: HttpExchange): string | undefined {
  const sessionId = exchange.header('mcp-session-id');
  if (sessionId === undefined || sessionId === '') {
    refuse(runtime, exchange, 'missing_session_id');
    return undefined;
  }
  const version = exchange.header('mcp-protocol-version');
  if (version !== undefined && !supportedVersions.has(version)) {
    refuse(runtime, exchange, 'unsupported_protocol_version');
    return undefined;
  }
  return sessionId;
}

/**
 * The status a response is sent with: its error's (see `statuses.ts`), or 200 for a result.
 * `shutting_down` (-32013) is 503 for a refusal (the runtime marks the requests it never accepted,
 * `markRefusal`) and 200 otherwise: the drain deadline cancelled work the server had accepted, and
 * MCP 2025-11-25 ("Transports" › "Streamable HTTP" › "Sending Messages to the Server") answers an
 * accepted request with one JSON object, as on its SSE stream; the HTTP error status is kept for
 * input it refuses. The runtime says which, rather than `accepting` read before the hand-over: a
 * request may be refused after that read (in a cluster, while a new id's claim is pending).
 * @internal
 */
export function statusOfResponse(response: JsonRpcResponse): number {
  if (!('error' in response)) return 200;
  if (!isRefusal(response) && httpReasonOf(response.error) === 'shutting_down') return 200;
  return httpStatusOf(response.error);
}

/**
 * The headers of a JSON answer: `Retry-After` when the runtime said when to retry (RFC 9110 §10.2.3),
 * on both eras' answers (`overloaded`, `mailbox_full`, `shutting_down`), and the session id if any.
 * @internal
 */
export function headersFor(response: JsonRpcResponse, sessionId: string | undefined): ResponseHeaders {
  const retryAfter =
    'error' in response ? (response.error.data as { retryAfterSeconds?: unknown } | undefined) : undefined;
  const seconds = retryAfter?.retryAfterSeconds;
  if (sessionId === undefined && typeof seconds !== 'number') return jsonHeaders;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  if (typeof seconds === 'number') headers['retry-after'] = String(seconds);
  return headers;
}

/**
 * A complete answer: JSON, or one SSE event for a client that does not accept JSON. An error's
 * status comes from the one status table (429/503/404/400…), and an error status always comes
 * with JSON: RFC 9110 §12.5.1 lets a server disregard `Accept` rather than hide the status.
 * @internal
 */
export function reply(
  exchange: HttpExchange,
  response: JsonRpcResponse,
  sessionId: string | undefined,
  answer: PostAnswer,
  onError: (error: unknown) => void,
): void {
  const status = statusOfResponse(response);
  if (answer === 'stream' && status === 200) {
    const headers =
      sessionId === undefined ? streamHeaders : { ...streamHeaders, 'mcp-session-id': sessionId };
    const stream = exchange.openStream(headers);
    stream.write(formatSseEvent(response, undefined, onError));
    stream.end();
    return;
  }
  exchange.respond(status, headersFor(response, sessionId), serializeMessage(response, onError) ?? '');
}
