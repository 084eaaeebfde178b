/**
 * The MCP handshake: version negotiation and the `initialize` answer (MCP 2025-11-25, "Lifecycle").
 */
import { InitializeRequestSchema } from '@modelcontextprotocol/core';
import { errorResponse } from './errors.js';
import { issuesOf } from './issues.js';
import type { JsonRpcErrorResponse, JsonRpcId } from './jsonrpc.js';
import { isRecord } from './jsonrpc.js';

/** Protocol revisions with a session handshake that this runtime speaks, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = Object.freeze([
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
]);

/** The revision we answer with when the client asks for one we do not speak. */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';

/** The client's version if we speak it, else our latest (the client then decides whether to go on). */
export function negotiateProtocolVersion(requested: string): string {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/** What the server says about itself in the `initialize` answer. */
export interface ServerIdentity {
  readonly serverInfo: { readonly name: string; readonly version: string; readonly [key: string]: unknown };
  readonly instructions?: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
}

export interface Handshake {
  readonly protocolVersion: string;
  readonly clientInfo: Readonly<Record<string, unknown>>;
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  readonly result: Readonly<Record<string, unknown>>;
}

/**
 * Validates `initialize` params with the official schema and builds the answer, or an invalid-params
 * error response.
 */
export function answerInitialize(
  id: JsonRpcId,
  params: Readonly<Record<string, unknown>>,
  server: ServerIdentity,
): Handshake | JsonRpcErrorResponse {
  const parsed = InitializeRequestSchema.safeParse({ method: 'initialize', params });
  if (!parsed.success) {
    return errorResponse(id, 'invalid_params', 'Invalid initialize params', {
      issues: issuesOf(parsed.error),
    });
  }
  const protocolVersion = negotiateProtocolVersion(parsed.data.params.protocolVersion);
  const result: Record<string, unknown> = {
    protocolVersion,
    capabilities: server.capabilities,
    serverInfo: server.serverInfo,
  };
  if (server.instructions !== undefined) result.instructions = server.instructions;
  return {
    protocolVersion,
    clientInfo: parsed.data.params.clientInfo,
    clientCapabilities: parsed.data.params.capabilities,
    result,
  };
}

/** The client capability each server-initiated method needs (MCP, "Client Features"). */
const requiredClientCapability: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** The client capability a server→client request of `method` needs, or undefined for none. */
export function clientCapabilityFor(method: string): string | undefined {
  return Object.hasOwn(requiredClientCapability, method) ? requiredClientCapability[method] : undefined;
}

/**
 * The client capabilities a server→client request of `method` with `params` needs and the client
 * did not declare (a ClientCapabilities object, e.g. `{ elicitation: { url: {} } }`), or
 * `undefined` when it may be sent. Beyond the top-level capability (MCP 2025-11-25, "Client
 * Features"): URL-mode elicitation needs `elicitation.url`, form mode `elicitation.form` (an empty
 * `elicitation: {}` means form, for older clients); sampling with `tools` or `toolChoice` needs
 * `sampling.tools`. Servers "MUST NOT send" what the client did not declare (SEP-2322 for
 * `inputRequests`).
 */
export function missingClientCapability(
  method: string,
  params: Readonly<Record<string, unknown>> | undefined,
  declared: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, unknown>> | undefined {
  const needed = clientCapabilityFor(method);
  if (needed === undefined) return undefined;
  const capability = declared?.[needed];
  if (!isRecord(capability)) return { [needed]: {} };
  if (needed === 'elicitation') {
    if (params?.mode === 'url')
      return capability.url === undefined ? { elicitation: { url: {} } } : undefined;
    const formOnlyByDefault = capability.form === undefined && capability.url === undefined;
    return formOnlyByDefault || capability.form !== undefined ? undefined : { elicitation: { form: {} } };
  }
  if (needed === 'sampling' && (params?.tools !== undefined || params?.toolChoice !== undefined)) {
    return capability.tools === undefined ? { sampling: { tools: {} } } : undefined;
  }
  return undefined;
}

/** `{ elicitation: { url: {} } }` → `elicitation.url`, for messages. */
export function capabilityPath(capabilities: Readonly<Record<string, unknown>>): string {
  const [top] = Object.keys(capabilities);
  if (top === undefined) return '';
  const inner = capabilities[top];
  const [sub] = isRecord(inner) ? Object.keys(inner) : [];
  return sub === undefined ? top : `${top}.${sub}`;
}
