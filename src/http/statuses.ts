/**
 * The one table of HTTP statuses: every `error.data.reason` an answer of the Streamable HTTP
 * transport can carry → the status it is sent with. The protocol's error table gives the JSON-RPC
 * codes; which status carries them is this transport's business alone.
 *
 * A status of 200 means "a JSON-RPC error inside a successful HTTP exchange": the message was
 * accepted and answered, the session is fine, only this request failed. MCP 2025-11-25 ("Transports"
 * › "Streamable HTTP" › "Sending Messages to the Server") asks for an error status only where "the
 * server cannot accept the input"; a request it accepted is answered with "one JSON object" (or an
 * SSE stream), and a client such as the official SDK's reads the JSON-RPC error only from a 2xx.
 */

import type { SessionRuntimeErrorCode } from '../protocol/errors.js';
import { reasonOf } from '../protocol/errors.js';
import type { JsonRpcErrorObject } from '../protocol/jsonrpc.js';

/**
 * The reasons only this transport gives: refusals before a message reaches a session. Their bodies
 * carry JSON-RPC code -32000 (`internal_server_error`: -32603), as the official SDK's Streamable
 * HTTP server answers them.
 */
export type HttpRefusalReason =
  | 'forbidden'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unsupported_protocol_version'
  | 'unauthorized'
  | 'insufficient_scope'
  | 'authentication_unavailable'
  | 'rate_limited'
  | 'too_many_streams'
  | 'body_timeout'
  | 'internal_server_error';

/** Every `error.data.reason` an HTTP answer may carry: the runtime's codes and the transport's own. */
export type HttpErrorReason = SessionRuntimeErrorCode | HttpRefusalReason;

/** The table: reason → HTTP status (RFC 9110 §15). */
export const httpStatusTable: Readonly<Record<HttpErrorReason, number>> = {
  // The body is not JSON, or not a JSON-RPC message: the input cannot be accepted.
  parse_error: 400,
  invalid_request: 400,
  method_not_found: 200,
  invalid_params: 200,
  // A handler failed on a request that was accepted: a JSON-RPC error in a 200, as the SDK sends it.
  // Our own failure, before anything reached a session, is `internal_server_error` (500).
  internal_error: 200,
  not_initialized: 400,
  already_initialized: 400,
  session_not_found: 404,
  session_closed: 404,
  overloaded: 503,
  mailbox_full: 429,
  too_many_sessions: 429,
  too_many_tasks: 429,
  shutting_down: 503,
  // The cluster's directory could not answer: the client may retry after `Retry-After`.
  cluster_unavailable: 503,
  request_timeout: 200,
  call_cycle: 200,
  request_cancelled: 200,
  client_capability_missing: 200,
  client_unreachable: 200,
  resource_not_found: 200,
  // MCP 2026-07-28 ("Transports" › "Streamable HTTP"): the envelope and header checks answer 400,
  // and a request needing an undeclared client capability is 400 even when its handler finds out.
  invalid_envelope: 400,
  header_mismatch: 400,
  missing_required_client_capability: 400,
  unsupported_version: 400,
  forbidden: 403,
  method_not_allowed: 405,
  not_acceptable: 406,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_protocol_version: 400,
  // Authentication (MCP "Authorization", RFC 6750 §3.1): the challenge travels in WWW-Authenticate.
  unauthorized: 401,
  insufficient_scope: 403,
  // What verifies credentials (the issuer's JWKS…) cannot be reached: the token may be fine, so
  // neither a 401 nor our own failure; the client may retry after `Retry-After`.
  authentication_unavailable: 503,
  rate_limited: 429,
  too_many_streams: 429,
  body_timeout: 408,
  // The transport itself failed (a bug, a failing hook, a body a middleware consumed): "an unexpected
  // condition that prevented it from fulfilling the request" (RFC 9110 §15.6.1).
  internal_server_error: 500,
};

/**
 * The reason of an error object as this transport reads it: a runtime code or one of its own
 * refusals; `undefined` for a handler's own codes.
 */
export function httpReasonOf(error: JsonRpcErrorObject): HttpErrorReason | undefined {
  const runtime = reasonOf(error);
  if (runtime !== undefined) return runtime;
  const data = error.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const reason = (data as { reason?: unknown }).reason;
  return typeof reason === 'string' && Object.hasOwn(httpStatusTable, reason)
    ? (reason as HttpRefusalReason)
    : undefined;
}

/**
 * The HTTP status the Streamable HTTP transport sends a JSON-RPC error with, from its
 * `error.data.reason` (see {@link httpStatusTable}); 200 for a handler's own codes, which are
 * answers to accepted requests.
 *
 * @example
 * ```ts
 * httpStatusOf({ code: -32012, message: 'Too many requests for this session', data: { reason: 'mailbox_full' } }); // 429
 * ```
 */
export function httpStatusOf(error: JsonRpcErrorObject): number {
  const reason = httpReasonOf(error);
  return reason === undefined ? 200 : httpStatusTable[reason];
}
