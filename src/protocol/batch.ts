/**
 * JSON-RPC 2.0 batches (JSON-RPC 2.0, §6 "Batch") as each MCP revision allows them. Transport-free:
 * a transport that received an array asks {@link planBatch} what to do with it, which classifies
 * every member once (`parseMessage`), hands every `deliver` entry to the session in order
 * (`runtime.deliver`), and answers with {@link batchResponses} of the results.
 *
 * Which revisions take batches, from the specification's own text:
 * - 2025-03-26, "Base Protocol" › "Batching": implementations "MUST support receiving JSON-RPC
 *   batches"; "Transports" › "Streamable HTTP" › "Sending Messages to the Server": a POST body may be
 *   "an array batching one or more requests and/or notifications" or "one or more responses".
 * - 2024-11-05: "All messages between MCP clients and servers MUST follow the JSON-RPC 2.0
 *   specification", which defines batches; its schema names no batch type, and 2025-03-26 calls it a
 *   version that does "not explicitly support JSON-RPC batches". We accept them there: receiving is
 *   what JSON-RPC 2.0 asks of a server, and a 2024-11-05 client that never batches loses nothing.
 * - 2025-06-18, "Changelog": "Remove support for JSON-RPC batching"; its POST body "MUST be a single
 *   JSON-RPC request, notification, or response". 2025-11-25 keeps that. A batch there is -32600.
 *
 * In every revision that has batches, "The initialize request MUST NOT be part of a JSON-RPC batch"
 * (2025-03-26, "Lifecycle" › "Initialization").
 */
import { errorResponse } from './errors.js';
import type { JsonRpcErrorResponse, JsonRpcId, JsonRpcResponse } from './jsonrpc.js';
import { isRecord } from './jsonrpc.js';
import type { IncomingMessage } from './messages.js';
import { parseMessage } from './messages.js';

/** Revisions whose sessions may send a JSON-RPC batch, newest first. */
export const BATCH_PROTOCOL_VERSIONS: readonly string[] = Object.freeze(['2025-03-26', '2024-11-05']);

/**
 * Most messages one batch may carry; a longer one is refused whole with -32600 (the official SDK's
 * server draws the same line, at 100).
 */
export const MAX_BATCH_LENGTH = 100;

/** One member of a batch: hand it to the session (classified), or it is answered already. */
export type BatchEntry =
  | {
      readonly kind: 'deliver';
      /** The member as `parseMessage` classified it; an `invalid` one is answered with its error. */
      readonly message: IncomingMessage;
      /**
       * True for a request (an invalid member too, when it has `method` and `id`): it expects a
       * response.
       */
      readonly isRequest: boolean;
    }
  | { readonly kind: 'answered'; readonly response: JsonRpcErrorResponse };

/** What to do with a batch: its entries in order, or one error that refuses it whole. */
export type BatchPlan =
  | {
      readonly ok: true;
      readonly entries: readonly BatchEntry[];
      /**
       * True when some member is a request: the transport then answers with responses; false when
       * all are notifications or responses (Streamable HTTP answers 202 once they are accepted).
       */
      readonly hasRequest: boolean;
    }
  | { readonly ok: false; readonly response: JsonRpcErrorResponse };

/** Whether a session that negotiated `protocolVersion` may send batches. */
export function allowsBatches(protocolVersion: string | undefined): boolean {
  return protocolVersion !== undefined && BATCH_PROTOCOL_VERSIONS.includes(protocolVersion);
}

/** A request by shape (`method` and `id`): whether valid is the session's to say. */
function isRequestShaped(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && 'method' in value && 'id' in value;
}

function usableId(value: Record<string, unknown>): JsonRpcId | null {
  const id = value.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** True when some member is an `initialize` request. */
export function containsInitialize(batch: readonly unknown[]): boolean {
  return batch.some((member) => isRequestShaped(member) && member.method === 'initialize');
}

/**
 * A member's method and id as far as its request shape goes, from its classification: a valid
 * request's own, an invalid member's raw `method` and usable id when it has `method` and `id` (it
 * was meant as a request, and is answered as one), `undefined` for anything else.
 */
function requestOf(
  member: unknown,
  message: IncomingMessage,
): { readonly method: unknown; readonly id: JsonRpcId | null } | undefined {
  if (message.kind === 'request') return message;
  if (message.kind !== 'invalid' || !isRequestShaped(member)) return undefined;
  return { method: member.method, id: usableId(member) };
}

/** The -32600 of an `initialize` inside a batch (2025-03-26, "Lifecycle" › "Initialization"). */
export function initializeInBatchError(id: JsonRpcId | null): JsonRpcErrorResponse {
  return errorResponse(
    id,
    'invalid_request',
    'Invalid request: initialize must not be part of a JSON-RPC batch (MCP 2025-03-26, Lifecycle)',
  );
}

function revisionRefusal(protocolVersion: string | undefined): JsonRpcErrorResponse {
  const allowed = BATCH_PROTOCOL_VERSIONS.join(' and ');
  if (protocolVersion === undefined) {
    return errorResponse(
      null,
      'invalid_request',
      `Invalid request: JSON-RPC batches are accepted only in a session that negotiated ${allowed}`,
      { batchProtocolVersions: BATCH_PROTOCOL_VERSIONS },
    );
  }
  return errorResponse(
    null,
    'invalid_request',
    `Invalid request: JSON-RPC batches are not supported at protocol revision ${protocolVersion} ` +
      `(removed in 2025-06-18; a session that negotiated ${allowed} may send them)`,
    { protocolVersion, batchProtocolVersions: BATCH_PROTOCOL_VERSIONS },
  );
}

/**
 * Plans a batch received in a session that negotiated `protocolVersion`. Refused whole (-32600, id
 * `null`): at a revision without batches, an empty array (JSON-RPC 2.0 §6: "an empty Array" is an
 * Invalid Request), more than {@link MAX_BATCH_LENGTH} members. Answered per member (-32600 by the
 * member's id, JSON-RPC 2.0 §6: each invalid member gets its own error object): an `initialize`
 * request, a request whose id an earlier member of the batch already uses (MCP: an id "MUST NOT have
 * been previously used by the requestor within the same session"), a nested array. Everything else
 * is delivered, in order, classified once here: an invalid member reaches the runtime as such and is
 * answered with its error there.
 *
 * @example
 * ```ts
 * const plan = planBatch(body, session.protocolVersion);
 * if (!plan.ok) return send(plan.response);
 * const results = await Promise.all(plan.entries.map((entry) =>
 *   entry.kind === 'answered' ? entry.response : runtime.deliver(sessionId, entry.message)));
 * const responses = batchResponses(results); // send unless empty
 * ```
 */
export function planBatch(batch: readonly unknown[], protocolVersion: string | undefined): BatchPlan {
  if (!allowsBatches(protocolVersion)) return { ok: false, response: revisionRefusal(protocolVersion) };
  if (batch.length === 0) {
    return {
      ok: false,
      response: errorResponse(null, 'invalid_request', 'Invalid request: empty JSON-RPC batch'),
    };
  }
  if (batch.length > MAX_BATCH_LENGTH) {
    return {
      ok: false,
      response: errorResponse(
        null,
        'invalid_request',
        `Invalid request: a JSON-RPC batch may carry at most ${MAX_BATCH_LENGTH} messages`,
        { limit: MAX_BATCH_LENGTH },
      ),
    };
  }
  const seenIds = new Set<string>();
  let hasRequest = false;
  const entries = batch.map((member): BatchEntry => {
    if (Array.isArray(member)) {
      return {
        kind: 'answered',
        response: errorResponse(
          null,
          'invalid_request',
          'Invalid request: a batch member must be a JSON-RPC message object, not an array',
        ),
      };
    }
    const message = parseMessage(member);
    const request = requestOf(member, message);
    if (request === undefined) return { kind: 'deliver', message, isRequest: false };
    hasRequest = true;
    const id = request.id;
    if (request.method === 'initialize') return { kind: 'answered', response: initializeInBatchError(id) };
    if (id !== null) {
      // `1` and `"1"` are different ids.
      const key = `${typeof id}:${id}`;
      if (seenIds.has(key)) {
        return {
          kind: 'answered',
          response: errorResponse(
            id,
            'invalid_request',
            'Invalid request: request id already used earlier in this batch',
          ),
        };
      }
      seenIds.add(key);
    }
    return { kind: 'deliver', message, isRequest: true };
  });
  return { ok: true, entries, hasRequest };
}

/**
 * The responses to send for a batch, in member order, without the `undefined` of notifications,
 * client responses and cancelled requests. Empty means "send nothing": JSON-RPC 2.0 §6 forbids an
 * empty array as an answer.
 */
export function batchResponses(results: readonly (JsonRpcResponse | undefined)[]): JsonRpcResponse[] {
  return results.filter((response): response is JsonRpcResponse => response !== undefined);
}
