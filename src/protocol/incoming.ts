/**
 * An incoming JSON-RPC message once classified: what `parseMessage` (`messages.ts`) answers, and
 * what the hand-checked common shapes (`fastPath.ts`) answer without the schemas. Types only, so
 * that both may import them.
 */
import type { JsonRpcErrorResponse, JsonRpcId } from './jsonrpc.js';

/** The params of a request or notification: an object, `{}` when the message had none. */
export type IncomingParams = Readonly<Record<string, unknown>>;

export interface IncomingRequest {
  readonly kind: 'request';
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params: IncomingParams;
}

export interface IncomingNotification {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: IncomingParams;
}

/** A client's answer to a request the server sent it. */
export interface IncomingResponse {
  readonly kind: 'response';
  readonly id: JsonRpcId;
  readonly result?: unknown;
  readonly error?: unknown;
}

export interface InvalidMessage {
  readonly kind: 'invalid';
  /** `invalid_params` when the message is well formed but its params are not; for the metrics. */
  readonly reason: 'invalid_request' | 'invalid_params' | 'invalid_envelope' | 'header_mismatch';
  readonly response: JsonRpcErrorResponse;
}

export type IncomingMessage = IncomingRequest | IncomingNotification | IncomingResponse | InvalidMessage;
