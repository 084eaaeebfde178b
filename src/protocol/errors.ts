/**
 * The one error table of the runtime: our string codes → JSON-RPC numeric codes and messages. HTTP
 * statuses are the HTTP transport's (`src/http/statuses.ts`), never the protocol's.
 *
 * Protocol errors use the JSON-RPC 2.0 codes the MCP specification names. Runtime errors use codes of
 * our own in the implementation range -32000..-32099, avoiding the ones MCP and its SDK already give a
 * meaning to (-32002 "resource not found", -32042 "URL elicitation required"). Every error response
 * carries `error.data.reason` (the string code) so that a transport can map it to a status of its
 * own without parsing messages.
 *
 * MCP has two classes of failure (2025-11-25, "Tools" › "Error Handling"). Protocol errors are
 * JSON-RPC error responses from this table: a malformed or unknown request, an unknown tool, prompt
 * or resource, a server limit, an internal error. Tool execution errors are `tools/call` *results*
 * with `isError: true`, so that the model can read them: arguments that fail the tool's schema, a
 * `ToolError`, and any other failure of a tool (with a generic text; see {@link HandlerFailure}).
 */
import type { JsonRpcErrorObject, JsonRpcErrorResponse, JsonRpcId, JsonRpcResponse } from './jsonrpc.js';

/** Every failure the runtime can report, as a stable string. */
export type SessionRuntimeErrorCode =
  | 'parse_error'
  | 'invalid_request'
  | 'method_not_found'
  | 'invalid_params'
  | 'internal_error'
  | 'not_initialized'
  | 'already_initialized'
  | 'session_not_found'
  | 'session_closed'
  | 'overloaded'
  | 'mailbox_full'
  | 'too_many_sessions'
  | 'shutting_down'
  | 'request_timeout'
  | 'call_cycle'
  | 'request_cancelled'
  | 'client_capability_missing'
  | 'client_unreachable'
  | 'resource_not_found'
  | 'invalid_envelope'
  | 'header_mismatch'
  | 'missing_required_client_capability'
  | 'unsupported_version'
  | 'too_many_tasks'
  | 'cluster_unavailable';

interface ErrorTableRow {
  /** JSON-RPC `error.code`. */
  readonly jsonRpcCode: number;
  /** The `error.message` clients see; never a stack trace or an internal detail. */
  readonly message: string;
}

/** The table: every code the runtime answers with, its JSON-RPC code and its safe message. */
export const errorTable: Readonly<Record<SessionRuntimeErrorCode, ErrorTableRow>> = {
  parse_error: { jsonRpcCode: -32700, message: 'Parse error' },
  invalid_request: { jsonRpcCode: -32600, message: 'Invalid request' },
  method_not_found: { jsonRpcCode: -32601, message: 'Method not found' },
  invalid_params: { jsonRpcCode: -32602, message: 'Invalid params' },
  internal_error: { jsonRpcCode: -32603, message: 'Internal error' },
  // The SDK answers requests sent before initialization with -32000 "Server not initialized".
  not_initialized: { jsonRpcCode: -32000, message: 'Server not initialized' },
  // The specification calls a second `initialize` on a live session an invalid request.
  already_initialized: { jsonRpcCode: -32600, message: 'Session already initialized' },
  // -32001 is what the SDK's Streamable HTTP transport answers for an unknown session.
  session_not_found: { jsonRpcCode: -32001, message: 'Session not found' },
  session_closed: { jsonRpcCode: -32010, message: 'Session closed' },
  overloaded: { jsonRpcCode: -32011, message: 'Server overloaded' },
  mailbox_full: { jsonRpcCode: -32012, message: 'Too many requests for this session' },
  too_many_sessions: {
    jsonRpcCode: -32019,
    message: 'Too many sessions for this principal',
  },
  shutting_down: { jsonRpcCode: -32013, message: 'Server shutting down' },
  request_timeout: { jsonRpcCode: -32014, message: 'Request timed out' },
  // A handler's request that would re-enter a session already waiting on this call chain (A → B → A):
  // with turn-taking mailboxes it could never run, so it is refused at once instead of hanging.
  call_cycle: { jsonRpcCode: -32015, message: 'Call cycle between sessions' },
  // Server-initiated requests (ctx.request): what a handler's awaited promise rejects with.
  request_cancelled: { jsonRpcCode: -32016, message: 'Request cancelled' },
  client_capability_missing: {
    jsonRpcCode: -32017,
    message: 'The client did not declare the capability this request needs',
  },
  client_unreachable: { jsonRpcCode: -32018, message: 'No channel to the client is open' },
  // MCP's own code for an unknown resource URI (specification, "Resources", error handling).
  resource_not_found: { jsonRpcCode: -32002, message: 'Resource not found' },
  // MCP 2026-07-28 ("Basic" › "Stateless requests"): a request whose `params._meta` lacks or breaks a
  // required key (`io.modelcontextprotocol/protocolVersion`, `…/clientCapabilities`).
  invalid_envelope: { jsonRpcCode: -32602, message: 'Invalid _meta envelope' },
  // MCP 2026-07-28 (`HeaderMismatchError`): `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` or an
  // `Mcp-Param-*` header missing, undecodable or unlike the body.
  header_mismatch: { jsonRpcCode: -32020, message: 'Header mismatch' },
  // MCP 2026-07-28 (`MissingRequiredClientCapabilityError`): `data.requiredCapabilities`.
  missing_required_client_capability: {
    jsonRpcCode: -32021,
    message: 'The request needs a client capability the client did not declare',
  },
  // MCP 2026-07-28 (`UnsupportedProtocolVersionError`): `data.supported` and `data.requested`.
  unsupported_version: { jsonRpcCode: -32022, message: 'Unsupported protocol version' },
  // The tasks extension (SEP-2663): a principal holds `tasks.maxTasksPerPrincipal` live tasks already.
  too_many_tasks: { jsonRpcCode: -32023, message: 'Too many tasks for this principal' },
  // In a cluster: the placement's store (the directory of which instance runs which id) could not
  // answer, so a new id could not be claimed: `data.retryAfterSeconds`.
  cluster_unavailable: { jsonRpcCode: -32024, message: 'Cluster directory unavailable' },
};

/** Extra, typed facts an error carries in `error.data` beside its `reason`. */
export interface SessionRuntimeErrorData {
  readonly reason: SessionRuntimeErrorCode;
  /**
   * For `overloaded`, `mailbox_full`, `shutting_down` and `cluster_unavailable`: seconds after which
   * a retry may succeed.
   */
  readonly retryAfterSeconds?: number;
  /** For `invalid_params` / `invalid_request`: what was wrong, as zod reports it. */
  readonly issues?: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
  /** For `overloaded`, `mailbox_full`, `too_many_sessions` and `too_many_tasks`: the limit that was reached. */
  readonly limit?: number;
  /** For an unsupported protocol version: the versions this server speaks. */
  readonly supported?: readonly string[];
  /** For `unsupported_version`: the version the request named. */
  readonly requested?: string;
  /** For `missing_required_client_capability`: the capabilities the request needs (a ClientCapabilities object). */
  readonly requiredCapabilities?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/**
 * The one error class of the runtime. It is data: a string `code`, a safe `message` and typed `data`.
 *
 * @example
 * ```ts
 * throw new SessionRuntimeError('invalid_params', 'Expected `a` to be a number');
 * ```
 */
export class SessionRuntimeError extends Error {
  override readonly name = 'SessionRuntimeError';
  readonly code: SessionRuntimeErrorCode;
  readonly data: SessionRuntimeErrorData;

  constructor(
    code: SessionRuntimeErrorCode,
    message: string = errorTable[code].message,
    data: Omit<SessionRuntimeErrorData, 'reason'> = {},
  ) {
    super(message);
    this.code = code;
    this.data = { ...data, reason: code };
  }

  /** The JSON-RPC numeric code of this error. */
  get jsonRpcCode(): number {
    return errorTable[this.code].jsonRpcCode;
  }

  /** The JSON-RPC error object, ready for a response. */
  toJsonRpcError(): JsonRpcErrorObject {
    return { code: this.jsonRpcCode, message: this.message, data: this.data };
  }
}

/** Builds a JSON-RPC error response for `code`. */
export function errorResponse(
  id: JsonRpcId | null,
  code: SessionRuntimeErrorCode,
  message: string = errorTable[code].message,
  data: Omit<SessionRuntimeErrorData, 'reason'> = {},
): JsonRpcErrorResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: { code: errorTable[code].jsonRpcCode, message, data: { ...data, reason: code } },
  };
}

const refusals = new WeakSet<JsonRpcResponse>();

/**
 * Marks `response` as a refusal: the request was never accepted (the runtime or its session was
 * closing, a limit was reached), as opposed to work accepted and ended later, such as a request the
 * drain deadline of `close({ drainMs })` cancelled. Both are answered `shutting_down` (-32013); the
 * mark is not on the wire, it tells a transport which one it is (HTTP: 503 for a refusal, 200 with
 * the error in the body for accepted work; see {@link isRefusal}). Returns `response`.
 * @internal
 */
export function markRefusal<T extends JsonRpcErrorResponse>(response: T): T {
  refusals.add(response);
  return response;
}

/** Whether `response` is a refusal made with {@link markRefusal}, the very object. @internal */
export function isRefusal(response: JsonRpcResponse): boolean {
  return refusals.has(response);
}

/** Builds a JSON-RPC error response from a thrown {@link SessionRuntimeError}. */
export function errorResponseFrom(id: JsonRpcId | null, error: SessionRuntimeError): JsonRpcErrorResponse {
  return { jsonrpc: '2.0', id, error: error.toJsonRpcError() };
}

/**
 * The error a client answered a server-initiated request with. A handler that lets it escape passes
 * the client's code on to its own caller.
 */
export class ClientRequestError extends Error {
  override readonly name = 'ClientRequestError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  /** Reads a JSON-RPC error object as received; anything malformed becomes -32603. */
  static from(error: unknown): ClientRequestError {
    const object = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
    const code = Number.isInteger(object.code) ? (object.code as number) : -32603;
    const message = typeof object.message === 'string' ? object.message : 'Client error';
    return new ClientRequestError(code, message, object.data);
  }
}

/**
 * The JSON-RPC error object a thrown value carries, if it carries one: a {@link SessionRuntimeError}
 * (its code and safe message), or an `Error` with an integer `code` (the SDK's `McpError`, a
 * {@link ClientRequestError}, an application's own error of its own method), whose author chose a
 * protocol error. Anything else (`undefined`) is a failure whose detail must stay on the server.
 * Tools are stricter (see `tools/call` in `tools.ts`): only codes of JSON-RPC's reserved range pass.
 */
export function jsonRpcErrorOf(error: unknown): JsonRpcErrorObject | undefined {
  if (error instanceof SessionRuntimeError) return error.toJsonRpcError();
  if (error instanceof Error && Number.isInteger((error as { code?: unknown }).code)) {
    const data = (error as { data?: unknown }).data;
    return {
      code: (error as unknown as { code: number }).code,
      message: error.message,
      ...(data === undefined ? {} : { data }),
    };
  }
  return undefined;
}

/** Whether `code` lies in JSON-RPC 2.0's range reserved for pre-defined errors (-32768 to -32000). */
export function isReservedErrorCode(code: number): boolean {
  return code <= -32000 && code >= -32768;
}

/**
 * A handler failure that is answered with a result instead of a JSON-RPC error: a tool that threw
 * (or returned something that is not a `CallToolResult`) is a tool execution error, answered with
 * `isError: true` (MCP 2025-11-25, "Tools" › "Error Handling"). The runtime reports `error` to the
 * operator (`handlerError`), counts the request as failed, and answers with `result`.
 * @internal
 */
export class HandlerFailure extends Error {
  override readonly name = 'HandlerFailure';
  constructor(
    /** What went wrong, for the operator only. */
    readonly error: unknown,
    /** What the client receives. */
    readonly result: Readonly<Record<string, unknown>>,
  ) {
    super('Handler failed');
  }
}

/**
 * The JSON-RPC code a transport answers its own refusals with (a request turned away before it
 * reaches a session: a forbidden origin, a missing credential, a rate limit): -32000, the first of
 * JSON-RPC 2.0's implementation-defined server errors (§5.1), as the official SDK's Streamable HTTP
 * server answers them. `error.data.reason` tells them apart.
 */
export const TRANSPORT_REFUSAL_CODE = -32000;

const reasonsByName = new Set<string>(Object.keys(errorTable));

/**
 * Reads the runtime's reason back from a JSON-RPC error object, for transports that map it to a status.
 * Returns `undefined` for errors the runtime did not produce (a handler's own codes, a transport's
 * own refusals).
 */
export function reasonOf(error: JsonRpcErrorObject): SessionRuntimeErrorCode | undefined {
  const data = error.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const reason = (data as { reason?: unknown }).reason;
  return typeof reason === 'string' && reasonsByName.has(reason)
    ? (reason as SessionRuntimeErrorCode)
    : undefined;
}

/**
 * A short, safe rendering of a client-supplied value for an error message: strings are quoted and
 * cut to 100 characters; anything else is named by its type. Never calls the value's own methods
 * (a client's `{ "toString": 1 }` would throw) and never grows with the input.
 */
export function describeClientValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
