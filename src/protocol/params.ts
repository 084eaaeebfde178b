/**
 * The params of every request the runtime serves, checked against the method's official schema
 * (`@modelcontextprotocol/core`) before anything acts on them: a request that breaks its method's
 * schema gets -32602 "Invalid params" with what was wrong (JSON-RPC 2.0 §5.1; MCP 2025-11-25,
 * "Error Handling": protocol errors are for requests that break the method's schema).
 *
 * Params of the common valid shapes skip the schema (`hasCommonParams` in `fastPath.ts`, held by a
 * property test to accept only what the schemas accept): the schemas build a validated copy of
 * every message, and most requests are of those few shapes.
 */
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/core';
import type { z } from 'zod';
import { errorResponse } from './errors.js';
import { hasCommonParams } from './fastPath.js';
import { issuesOf, summarizeIssues } from './issues.js';
import type { JsonRpcErrorResponse, JsonRpcId } from './jsonrpc.js';

/**
 * The schema of each method a client may send and the runtime (or its built-in features) serves.
 * `initialize` is checked by the handshake itself (`lifecycle.ts`).
 */
export const REQUEST_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['ping', PingRequestSchema],
  ['logging/setLevel', SetLevelRequestSchema],
  ['tools/list', ListToolsRequestSchema],
  ['tools/call', CallToolRequestSchema],
  ['resources/list', ListResourcesRequestSchema],
  ['resources/templates/list', ListResourceTemplatesRequestSchema],
  ['resources/read', ReadResourceRequestSchema],
  ['resources/subscribe', SubscribeRequestSchema],
  ['resources/unsubscribe', UnsubscribeRequestSchema],
  ['prompts/list', ListPromptsRequestSchema],
  ['prompts/get', GetPromptRequestSchema],
  ['completion/complete', CompleteRequestSchema],
]);

/**
 * `undefined` when `params` fit the schema of `method` (or the runtime has no schema for it: a
 * method of the application's own), else the -32602 error response to answer `id` with. Its
 * message names the method and the first issue; `data.issues` lists up to ten (`issues.ts`).
 *
 * @example
 * ```ts
 * checkRequestParams(1, 'tools/call', { arguments: {} });
 * // → { jsonrpc: '2.0', id: 1, error: { code: -32602,
 * //     message: 'Invalid params for tools/call: params.name: Invalid input: expected string, received undefined',
 * //     data: { reason: 'invalid_params', issues: [{ path: ['params', 'name'], message: '…' }] } } }
 * ```
 */
export function checkRequestParams(
  id: JsonRpcId,
  method: string,
  params: Readonly<Record<string, unknown>>,
): JsonRpcErrorResponse | undefined {
  const schema = REQUEST_SCHEMAS.get(method);
  if (schema === undefined || hasCommonParams(method, params)) return undefined;
  const parsed = schema.safeParse({ method, params });
  if (parsed.success) return undefined;
  return errorResponse(
    id,
    'invalid_params',
    `Invalid params for ${method}: ${summarizeIssues(parsed.error)}`,
    {
      issues: issuesOf(parsed.error),
    },
  );
}
