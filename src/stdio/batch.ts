/**
 * JSON-RPC batches on stdio. MCP 2025-03-26 ("Base Protocol" › "Batching") says implementations
 * MUST support receiving batches; 2025-06-18 removed them again, and 2024-11-05 never had them. So
 * a batch is served only for a session that negotiated 2025-03-26, and refused by name elsewhere.
 */
import { errorResponse } from '../protocol/errors.js';
import type { JsonRpcErrorResponse, JsonRpcId } from '../protocol/jsonrpc.js';

/** The one revision whose sessions may send batches. */
export const BATCH_PROTOCOL_VERSION = '2025-03-26';

/** True when a session that negotiated `protocolVersion` must accept batches. @internal */
export function acceptsBatches(protocolVersion: string | undefined): boolean {
  return protocolVersion === BATCH_PROTOCOL_VERSION;
}

/**
 * The answer to a batch a session may not send: -32600 naming the revision, with `id: null` (the
 * batch as a whole has no id). Before `initialize` no revision is negotiated yet, and 2025-03-26
 * itself forbids `initialize` inside a batch ("Lifecycle" › "Initialization").
 * @internal
 */
export function batchRefusal(protocolVersion: string | undefined): JsonRpcErrorResponse {
  const negotiated =
    protocolVersion === undefined
      ? 'no protocol version is negotiated yet (initialize must be sent alone)'
      : `this session negotiated ${protocolVersion}`;
  return errorResponse(
    null,
    'invalid_request',
    `Invalid request: JSON-RPC batches are accepted only by sessions that negotiated protocol version ${BATCH_PROTOCOL_VERSION}; ${negotiated}`,
  );
}

/** An empty array is not a batch (JSON-RPC 2.0 §6): one -32600 answer, not an array of them. @internal */
export function emptyBatchResponse(): JsonRpcErrorResponse {
  return errorResponse(null, 'invalid_request', 'Invalid request: an empty batch');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The answer to a batch member that may not be in a batch, or `undefined` to dispatch it:
 * `initialize` "MUST NOT be part of a JSON-RPC batch" (2025-03-26, "Lifecycle" › "Initialization").
 * @internal
 */
export function refuseBatchMember(member: unknown): JsonRpcErrorResponse | undefined {
  // A notification never gets an answer, even a refusal (JSON-RPC 2.0 §4.1).
  if (!isRecord(member) || member.method !== 'initialize' || !('id' in member)) return undefined;
  const id = member.id;
  const readable: JsonRpcId | null =
    typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
  return errorResponse(
    readable,
    'invalid_request',
    'Invalid request: initialize must not be part of a JSON-RPC batch',
  );
}
