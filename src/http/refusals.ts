/**
 * The transport's own refusals: requests turned away before they reach the runtime. Each names the
 * reason its body carries; the status comes from that reason's row of the one status table
 * (`statuses.ts`: the statuses the official SDK's Streamable HTTP server answers with, so clients
 * written against it behave the same), and the JSON-RPC code from the protocol's error table.
 */

import { errorTable, TRANSPORT_REFUSAL_CODE } from '../protocol/errors.js';
import type { JsonRpcErrorResponse } from '../protocol/jsonrpc.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/lifecycle.js';
import type { ResponseHeaders } from './exchange.js';
import type { HttpErrorReason } from './statuses.js';
import { httpStatusTable } from './statuses.js';

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
  | 'authentication_unavailable'
  | 'rate_limited'
  | 'too_many_streams'
  | 'streams_overloaded'
  | 'body_timeout'
  | 'body_already_read'
  | 'internal_server_error';

interface RefusalRow {
  /** The reason the body carries (`data.reason`), which gives the status and the JSON-RPC code. */
  readonly reason: HttpErrorReason;
  readonly message: string;
  readonly headers?: ResponseHeaders;
  readonly data?: Readonly<Record<string, unknown>>;
}

const refusalTable: Readonly<Record<Refusal, RefusalRow>> = {
  forbidden_host: { reason: 'forbidden', message: 'Forbidden: Host not allowed' },
  forbidden_origin: { reason: 'forbidden', message: 'Forbidden: Origin not allowed' },
  method_not_allowed: {
    reason: 'method_not_allowed',
    message: 'Method not allowed',
    headers: { allow: 'GET, POST, DELETE' },
  },
  not_acceptable: {
    reason: 'not_acceptable',
    message:
      'Not Acceptable: the client must accept text/event-stream (and should list application/json with it)',
  },
  not_acceptable_stream: {
    reason: 'not_acceptable',
    message: 'Not Acceptable: the client must accept text/event-stream',
  },
  unsupported_media_type: {
    reason: 'unsupported_media_type',
    message: 'Unsupported Media Type: Content-Type must be application/json',
  },
  payload_too_large: { reason: 'payload_too_large', message: 'Payload too large' },
  parse_error: { reason: 'parse_error', message: 'Parse error: invalid JSON' },
  missing_session_id: {
    reason: 'invalid_request',
    message: 'Bad Request: Mcp-Session-Id header is required',
  },
  unsupported_protocol_version: {
    reason: 'unsupported_protocol_version',
    message: 'Bad Request: unsupported MCP-Protocol-Version',
    data: { supported: SUPPORTED_PROTOCOL_VERSIONS },
  },
  session_not_found: { reason: 'session_not_found', message: 'Session not found' },
  unauthorized: { reason: 'unauthorized', message: 'Unauthorized' },
  insufficient_scope: { reason: 'insufficient_scope', message: 'Forbidden: insufficient scope' },
  authentication_unavailable: {
    reason: 'authentication_unavailable',
    message: 'Service unavailable: the credentials cannot be verified now, retry later',
  },
  rate_limited: { reason: 'rate_limited', message: 'Too many requests' },
  too_many_streams: { reason: 'too_many_streams', message: 'Too many open streams for this session' },
  streams_overloaded: { reason: 'overloaded', message: 'Server overloaded: too many open streams' },
  body_timeout: { reason: 'body_timeout', message: 'Request body timed out' },
  // The server's set-up, not the client, is at fault; the message says what to change.
  body_already_read: {
    reason: 'internal_server_error',
    message:
      'Internal error: the request body was read before the MCP handler and not passed on ' +
      '(pass the parsed body as the third argument of the Node handler)',
  },
  // Never the error's own message: it may carry internals (paths, SQL, tokens).
  internal_server_error: { reason: 'internal_server_error', message: 'Internal error' },
};

/** The status, headers and body of a refusal, ready to send. @internal */
export interface RefusalResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: string;
  /**
   * The reason it counts under in the runtime's refusals (`mcp_session_runtime.refusals`), the one
   * its body carries; `undefined` for the transport's own failures (500), which are errors, not
   * refusals.
   */
  readonly counted: HttpErrorReason | undefined;
}

/** Built once per refusal kind: the bodies never change, so they are serialized once. */
const refusalResponses = new Map<Refusal, RefusalResponse>();

/** The response for `refusal`. @internal */
export function refusalResponse(refusal: Refusal): RefusalResponse {
  let response = refusalResponses.get(refusal);
  if (response === undefined) {
    const row = refusalTable[refusal];
    response = {
      status: httpStatusTable[row.reason],
      headers: { 'content-type': 'application/json', ...row.headers },
      body: JSON.stringify(refusalBody(row)),
      counted: row.reason === 'internal_server_error' ? undefined : row.reason,
    };
    refusalResponses.set(refusal, response);
  }
  return response;
}

/**
 * The JSON-RPC `error.code` an HTTP answer with `reason` carries: the protocol's code for a runtime
 * reason, -32603 for our own failure, -32000 for every other refusal of the transport.
 * @internal
 */
export function jsonRpcCodeOf(reason: HttpErrorReason): number {
  if (Object.hasOwn(errorTable, reason)) return errorTable[reason as keyof typeof errorTable].jsonRpcCode;
  return reason === 'internal_server_error' ? errorTable.internal_error.jsonRpcCode : TRANSPORT_REFUSAL_CODE;
}

/** The JSON-RPC error response of a refusal, shaped as the protocol's `errorResponse` shapes one. */
function refusalBody(row: RefusalRow): JsonRpcErrorResponse {
  const { reason, message, data } = row;
  return {
    jsonrpc: '2.0',
    id: null,
    error: { code: jsonRpcCodeOf(reason), message, data: { ...data, reason } },
  };
}
