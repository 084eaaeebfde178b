/**
 * The transport's own refusals: requests turned away before they reach the runtime. Each has its
 * status (the ones the official SDK's Streamable HTTP server answers with, so clients written
 * against it behave the same) and a JSON-RPC error body built by the runtime's error table, so
 * numeric codes still come from one place.
 */
import type { SessionRuntimeErrorCode } from '../protocol/errors.js';
import { errorResponse } from '../protocol/errors.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/lifecycle.js';
import type { ResponseHeaders } from './exchange.js';

/** Why the transport refused a request. @internal */
export type Refusal =
  | 'forbidden_host'
  | 'forbidden_origin'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'not_acceptable_stream'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'parse_error'
  | 'missing_session_id'
  | 'unsupported_protocol_version'
  | 'session_not_found'
  | 'unauthorized'
  | 'insufficient_scope'
  | 'rate_limited'
  | 'too_many_streams'
  | 'streams_overloaded'
  | 'body_timeout'
  | 'body_already_read'
  | 'internal_error';

interface RefusalRow {
  readonly status: number;
  /** The runtime error code the body carries (its JSON-RPC code and `data.reason`). */
  readonly reason: SessionRuntimeErrorCode;
  readonly message: string;
  readonly headers?: ResponseHeaders;
  readonly data?: Readonly<Record<string, unknown>>;
}

const refusalTable: Readonly<Record<Refusal, RefusalRow>> = {
  forbidden_host: { status: 403, reason: 'forbidden', message: 'Forbidden: Host not allowed' },
  forbidden_origin: { status: 403, reason: 'forbidden', message: 'Forbidden: Origin not allowed' },
  method_not_allowed: {
    status: 405,
    reason: 'method_not_allowed',
    message: 'Method not allowed',
    headers: { allow: 'GET, POST, DELETE' },
  },
  not_acceptable: {
    status: 406,
    reason: 'not_acceptable',
    message:
      'Not Acceptable: the client must accept text/event-stream (and should list application/json with it)',
  },
  not_acceptable_stream: {
    status: 406,
    reason: 'not_acceptable',
    message: 'Not Acceptable: the client must accept text/event-stream',
  },
  unsupported_media_type: {
    status: 415,
    reason: 'unsupported_media_type',
    message: 'Unsupported Media Type: Content-Type must be application/json',
  },
  payload_too_large: { status: 413, reason: 'payload_too_large', message: 'Payload too large' },
  parse_error: { status: 400, reason: 'parse_error', message: 'Parse error: invalid JSON' },
  missing_session_id: {
    status: 400,
    reason: 'invalid_request',
    message: 'Bad Request: Mcp-Session-Id header is required',
  },
  unsupported_protocol_version: {
    status: 400,
    reason: 'unsupported_protocol_version',
    message: 'Bad Request: unsupported MCP-Protocol-Version',
    data: { supported: SUPPORTED_PROTOCOL_VERSIONS },
  },
  session_not_found: { status: 404, reason: 'session_not_found', message: 'Session not found' },
  unauthorized: { status: 401, reason: 'unauthorized', message: 'Unauthorized' },
  insufficient_scope: { status: 403, reason: 'insufficient_scope', message: 'Forbidden: insufficient scope' },
  rate_limited: { status: 429, reason: 'rate_limited', message: 'Too many requests' },
  too_many_streams: {
    status: 429,
    reason: 'too_many_streams',
    message: 'Too many open streams for this session',
  },
  streams_overloaded: {
    status: 503,
    reason: 'overloaded',
    message: 'Server overloaded: too many open streams',
  },
  body_timeout: { status: 408, reason: 'body_timeout', message: 'Request body timed out' },
  // The server's set-up, not the client, is at fault; the message says what to change.
  body_already_read: {
    status: 500,
    reason: 'internal_error',
    message:
      'Internal error: the request body was read before the MCP handler and not passed on ' +
      '(pass the parsed body as the third argument of the Node handler)',
  },
  // Never the error's own message: it may carry internals (paths, SQL, tokens).
  internal_error: { status: 500, reason: 'internal_error', message: 'Internal error' },
};

/** The status, headers and body of a refusal, ready to send. @internal */
export interface RefusalResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: string;
}

/** Built once per refusal kind: the bodies never change, so they are serialized once. */
const refusalResponses = new Map<Refusal, RefusalResponse>();

/** The response for `refusal`. @internal */
export function refusalResponse(refusal: Refusal): RefusalResponse {
  let response = refusalResponses.get(refusal);
  if (response === undefined) {
    const row = refusalTable[refusal];
    response = {
      status: row.status,
      headers: { 'content-type': 'application/json', ...row.headers },
      body: JSON.stringify(errorResponse(null, row.reason, row.message, row.data)),
    };
    refusalResponses.set(refusal, response);
  }
  return response;
}
