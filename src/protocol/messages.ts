/**
 * Classifies and validates one incoming JSON-RPC message with the official MCP schemas
 * (`@modelcontextprotocol/core`). A malformed message becomes an error response here and never
 * reaches a session or a handler.
 */
import {
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResponseSchema,
} from '@modelcontextprotocol/core';
import type { z } from 'zod';
import { errorResponse } from './errors.js';
import { readCommonMessage } from './fastPath.js';
import type { IncomingMessage, IncomingParams, InvalidMessage } from './incoming.js';
import { issuesOf, summarizeIssues } from './issues.js';
import type { JsonRpcId } from './jsonrpc.js';

type Params = IncomingParams;

export type {
  IncomingMessage,
  IncomingNotification,
  IncomingRequest,
  IncomingResponse,
  InvalidMessage,
} from './incoming.js';

const emptyParams: Params = Object.freeze({});

/** The id of a message, if it has a usable one, so that even an invalid request is answered by id. */
function readableId(value: Record<string, unknown>): JsonRpcId | null {
  const id = value.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

function invalid(id: JsonRpcId | null, message: string, error?: z.ZodError): InvalidMessage {
  return {
    kind: 'invalid',
    reason: 'invalid_request',
    response: errorResponse(id, 'invalid_request', message, error ? { issues: issuesOf(error) } : {}),
  };
}

/**
 * Whether every issue lies inside the params object (e.g. `params._meta.progressToken`): the
 * request is well formed and its params are not, which JSON-RPC answers with -32602. A `params`
 * that is not an object at all stays an invalid request.
 */
function insideParams(error: z.ZodError): boolean {
  return error.issues.every((issue) => issue.path.length > 1 && issue.path[0] === 'params');
}

function invalidParams(id: JsonRpcId, error: z.ZodError): InvalidMessage {
  return {
    kind: 'invalid',
    reason: 'invalid_params',
    response: errorResponse(id, 'invalid_params', `Invalid params: ${summarizeIssues(error)}`, {
      issues: issuesOf(error),
    }),
  };
}

/**
 * Reads one parsed JSON value as an MCP message. Picks the one schema the message's shape calls for
 * (request, notification or response) instead of trying the whole union: the same verdict at half
 * the cost.
 */
export function parseMessage(value: unknown): IncomingMessage {
  if (typeof value !== 'object' || value === null) {
    return invalid(null, 'Invalid request: expected a JSON-RPC message object');
  }
  if (Array.isArray(value)) {
    // One message per dispatch: a transport splits a batch (src/protocol/batch.ts) for the
    // revisions that have them, and hands the members over one by one.
    return invalid(null, 'Invalid request: dispatch takes one JSON-RPC message; a transport splits batches');
  }
  const common = readCommonMessage(value);
  if (common !== undefined) return common;
  const record = value as Record<string, unknown>;
  const id = readableId(record);
  if ('method' in record) {
    if ('id' in record) {
      const parsed = JSONRPCRequestSchema.safeParse(value);
      if (!parsed.success) {
        return insideParams(parsed.error) && id !== null
          ? invalidParams(id, parsed.error)
          : invalid(id, 'Invalid request', parsed.error);
      }
      return {
        kind: 'request',
        id: parsed.data.id,
        method: parsed.data.method,
        params: (parsed.data.params as Params | undefined) ?? emptyParams,
      };
    }
    const parsed = JSONRPCNotificationSchema.safeParse(value);
    if (!parsed.success) return invalid(null, 'Invalid notification', parsed.error);
    return {
      kind: 'notification',
      method: parsed.data.method,
      params: (parsed.data.params as Params | undefined) ?? emptyParams,
    };
  }
  const parsed = JSONRPCResponseSchema.safeParse(value);
  if (!parsed.success || parsed.data.id === undefined) return invalid(id, 'Invalid request', parsed.error);
  return 'error' in parsed.data
    ? { kind: 'response', id: parsed.data.id, error: parsed.data.error }
    : { kind: 'response', id: parsed.data.id, result: parsed.data.result };
}

/** The `_meta.progressToken` of a request's params, if it carried one. */
export function progressTokenOf(params: Params): string | number | undefined {
  const meta = params._meta;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}
