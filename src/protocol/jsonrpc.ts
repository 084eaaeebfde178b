/**
 * JSON-RPC 2.0 shapes as the runtime hands them out. Incoming messages are validated with the
 * `@modelcontextprotocol/core` schemas (see `messages.ts`); these types describe what we produce.
 */

/** A request id: a string or a number, never null for a request (MCP, "Requests"). */
export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface JsonRpcNotification {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface JsonRpcResultResponse {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly result: Readonly<Record<string, unknown>>;
}

export interface JsonRpcErrorResponse {
  readonly jsonrpc: '2.0';
  /** `null` only when the id of the offending message could not be read, or it was a notification. */
  readonly id: JsonRpcId | null;
  readonly error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcResultResponse | JsonRpcErrorResponse;

/** Any JSON-RPC message a peer may send. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/**
 * The one builder of an outgoing notification: `{ jsonrpc: '2.0', method, params }`, without a
 * `params` key when `params` is `undefined` (JSON-RPC 2.0 §4.2: params "MAY be omitted"). `params`
 * is carried as given, not copied.
 *
 * @example
 * ```ts
 * jsonRpcNotification('notifications/resources/updated', { uri: 'file:///a' });
 * // → { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a' } }
 * ```
 */
export function jsonRpcNotification(
  method: string,
  params?: Readonly<Record<string, unknown>>,
): JsonRpcNotification {
  return params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
}

/** True when `response` is an error response. */
export function isErrorResponse(response: JsonRpcResponse): response is JsonRpcErrorResponse {
  return 'error' in response;
}

/** A JSON object: not `null`, not an array (what a message's `params` or `_meta` must be). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object without own enumerable keys (`{}`), without allocating a key list. */
export function isEmptyObject(value: Readonly<Record<string, unknown>>): boolean {
  for (const _ in value) return false;
  return true;
}
