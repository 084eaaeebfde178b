/**
 * MCP 2026-07-28 without sessions: every request carries its protocol version, the client's
 * capabilities and (optionally) its identity and log level in `params._meta` (SEP-2575, "Basic" ›
 * "Stateless requests"). This module reads that envelope, tells the two eras apart body-first (as
 * the official SDK's `classifyInboundRequest` does), and builds what every 2026 result carries
 * (`resultType`, `_meta["io.modelcontextprotocol/serverInfo"]`, cache hints). Transport-free: the
 * header checks are in `mcpHeaders.ts`, the statuses in `src/http`.
 */
import { ClientCapabilitiesSchema, ImplementationSchema } from '@modelcontextprotocol/core';
import { errorResponse } from './errors.js';
import type { IncomingNotification, IncomingRequest } from './incoming.js';
import type { JsonRpcErrorResponse, JsonRpcId } from './jsonrpc.js';
import { isEmptyObject, isRecord } from './jsonrpc.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from './lifecycle.js';
import type { LoggingLevel } from './logging.js';
import { isLoggingLevel } from './logging.js';

/** The revision without protocol sessions. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The sessionless revisions this server speaks, newest first. */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = Object.freeze([MODERN_PROTOCOL_VERSION]);

/**
 * Every revision this server speaks, both eras, newest first: what `server/discover`'s
 * `supportedVersions` and -32022's `data.supported` list ("Protocol versions the server
 * supports"; the spec's example of a server of both eras lists `["2026-07-28", "2025-11-25"]`), so
 * a client that cannot speak a sessionless revision learns it may fall back to `initialize`.
 */
export const ALL_PROTOCOL_VERSIONS: readonly string[] = Object.freeze([
  ...MODERN_PROTOCOL_VERSIONS,
  ...SUPPORTED_PROTOCOL_VERSIONS,
]);

/** The `_meta` keys of MCP 2026-07-28 (schema `RequestMetaObject`, `ResultMetaObject`). */
export const META_KEYS = Object.freeze({
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
});

/**
 * Methods 2026-07-28 removed; a request for one is answered -32601 (HTTP 404): the handshake,
 * `ping`, and the session settings that `_meta` replaced.
 */
export const REMOVED_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);

/** What one 2026-07-28 request says about its client. */
export interface RequestEnvelope {
  /** `io.modelcontextprotocol/protocolVersion`, as sent. */
  readonly protocolVersion: string;
  /** `io.modelcontextprotocol/clientCapabilities`: what this client can be asked, for this request only. */
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  /** `io.modelcontextprotocol/clientInfo`, when sent. */
  readonly clientInfo: Readonly<{ name: string; version: string }> | undefined;
  /** `io.modelcontextprotocol/logLevel`: without it, the request gets no `notifications/message`. */
  readonly logLevel: LoggingLevel | undefined;
}

/**
 * Which era a message belongs to: `legacy` (a 2025 session message), `modern` (with its envelope),
 * or refused at once with `response` (`invalid_envelope` -32602, `header_mismatch` -32020).
 */
export type EraVerdict =
  | { readonly era: 'legacy' }
  | { readonly era: 'modern'; readonly envelope: RequestEnvelope }
  | { readonly era: 'refused'; readonly response: JsonRpcErrorResponse };

const LEGACY: EraVerdict = Object.freeze({ era: 'legacy' });

/** `{ name, version }` with string values and nothing else: an `Implementation` without the schema. */
function isPlainImplementation(value: unknown): boolean {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.version !== 'string') return false;
  for (const key in value) if (key !== 'name' && key !== 'version') return false;
  return true;
}

/**
 * Whether a version string names a sessionless revision: the SDK compares as strings, so a future
 * or made-up version (`v999.0.0`) counts as modern and is then refused as unsupported (-32022).
 */
export function isModernVersion(version: string): boolean {
  return version >= MODERN_PROTOCOL_VERSION;
}

/** Whether `params._meta` claims the 2026 envelope (carries the protocol-version key). */
export function claimsEnvelope(params: Readonly<Record<string, unknown>>): boolean {
  const meta = params._meta;
  return isRecord(meta) && META_KEYS.protocolVersion in meta;
}

/**
 * Reads the envelope of `params._meta`: the required keys first (the spec's order: missing
 * `protocolVersion`, then `clientCapabilities`), then the shape of each. Returns the problem as a
 * sentence for `invalid_envelope`, or the envelope.
 */
export function readEnvelope(params: Readonly<Record<string, unknown>>): RequestEnvelope | string {
  const meta = params._meta;
  if (!isRecord(meta)) return 'params._meta is required';
  const version = meta[META_KEYS.protocolVersion];
  if (version === undefined) return `params._meta["${META_KEYS.protocolVersion}"] is required`;
  if (typeof version !== 'string' || version.length === 0) {
    return `params._meta["${META_KEYS.protocolVersion}"] must be a non-empty string`;
  }
  const capabilities = meta[META_KEYS.clientCapabilities];
  if (capabilities === undefined) return `params._meta["${META_KEYS.clientCapabilities}"] is required`;
  // `{}` (a client that declares nothing) is common and surely valid: no schema run for it.
  if (
    !isRecord(capabilities) ||
    (!isEmptyObject(capabilities) && !ClientCapabilitiesSchema.safeParse(capabilities).success)
  ) {
    return `params._meta["${META_KEYS.clientCapabilities}"] must be a ClientCapabilities object`;
  }
  const info = meta[META_KEYS.clientInfo];
  if (info !== undefined && !isPlainImplementation(info) && !ImplementationSchema.safeParse(info).success) {
    return `params._meta["${META_KEYS.clientInfo}"] must be an Implementation ({ name, version })`;
  }
  const level = meta[META_KEYS.logLevel];
  if (level !== undefined && !isLoggingLevel(level)) {
    return `params._meta["${META_KEYS.logLevel}"] must be a logging level`;
  }
  return {
    protocolVersion: version,
    clientCapabilities: capabilities,
    clientInfo: info as RequestEnvelope['clientInfo'],
    logLevel: level as LoggingLevel | undefined,
  };
}

function refused(id: JsonRpcId | null, code: 'invalid_envelope' | 'header_mismatch', message: string) {
  return { era: 'refused', response: errorResponse(id, code, message) } as const;
}

/**
 * Body first, as MCP 2026-07-28 and the SDK's `classifyInboundRequest` do: a valid envelope claim
 * means modern; `initialize` without one, or a message with neither claim nor a modern
 * `MCP-Protocol-Version` header, is legacy (2025 sessions). A broken claim is -32602; a claim
 * unlike the header, or a modern header on an `initialize` without a claim, is -32020. A modern
 * header without a claim is -32602 (the envelope is missing).
 *
 * @param versionHeader `MCP-Protocol-Version`, OWS already stripped, or undefined.
 */
export function classifyEra(
  message: IncomingRequest | IncomingNotification,
  versionHeader: string | undefined,
): EraVerdict {
  const id = message.kind === 'request' ? message.id : null;
  const headerIsModern = versionHeader !== undefined && isModernVersion(versionHeader);
  const claim = claimsEnvelope(message.params);
  // `initialize` is the 2025 handshake unless it carries a valid claim naming a sessionless
  // revision (then it is a removed method of that revision): the SDK's rule, so a 2025 client that
  // put its version in `_meta` still gets a session.
  if (message.method === 'initialize' && !claimsModernRevision(message.params, claim)) {
    if (headerIsModern) {
      return refused(
        id,
        'header_mismatch',
        'initialize is a 2025 handshake; MCP-Protocol-Version names a later revision',
      );
    }
    return LEGACY;
  }
  if (!claim) {
    if (!headerIsModern) return LEGACY;
    // A notification with a modern header and no claim is the modern era's, and has nothing to check.
    if (message.kind === 'notification')
      return { era: 'modern', envelope: headerOnlyEnvelope(versionHeader) };
    const problem = readEnvelope(message.params);
    return refused(
      id,
      'invalid_envelope',
      `Invalid _meta envelope: ${typeof problem === 'string' ? problem : 'missing'}`,
    );
  }
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string')
    return refused(id, 'invalid_envelope', `Invalid _meta envelope: ${envelope}`);
  if (versionHeader !== undefined && versionHeader !== envelope.protocolVersion) {
    return refused(
      id,
      'header_mismatch',
      `MCP-Protocol-Version (${versionHeader}) differs from params._meta["${META_KEYS.protocolVersion}"] (${envelope.protocolVersion})`,
    );
  }
  return { era: 'modern', envelope };
}

function claimsModernRevision(params: Readonly<Record<string, unknown>>, claim: boolean): boolean {
  if (!claim) return false;
  const envelope = readEnvelope(params);
  return typeof envelope !== 'string' && isModernVersion(envelope.protocolVersion);
}

function headerOnlyEnvelope(version: string): RequestEnvelope {
  return { protocolVersion: version, clientCapabilities: {}, clientInfo: undefined, logLevel: undefined };
}

/** The result of `server/discover` (MCP 2026-07-28, schema `DiscoverResult`), before the stamps. */
export function discoverResult(
  capabilities: Readonly<Record<string, unknown>>,
  instructions: string | undefined,
): Record<string, unknown> {
  return {
    supportedVersions: [...ALL_PROTOCOL_VERSIONS],
    capabilities,
    ...(instructions === undefined ? {} : { instructions }),
  };
}

/** Cache hints (SEP-2549) of one result: how long a client may reuse it, and for whom. */
export interface CacheHint {
  /** ms, a non-negative integer. @default 0 */
  readonly ttlMs: number;
  /** @default 'private' */
  readonly cacheScope: 'public' | 'private';
}

/** The methods whose results carry cache hints (SEP-2549). */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/** The methods that may answer `input_required` (SEP-2322); any other answers `complete`. */
export const MULTI_ROUND_METHODS: ReadonlySet<string> = new Set([
  'tools/call',
  'prompts/get',
  'resources/read',
]);

/**
 * A 2026-07-28 result as it goes on the wire: `resultType` (`complete` unless the handler set one
 * a multi-round method may give), cache hints on a complete result of a cacheable method (the
 * handler's own when valid, else `hint`), and `_meta["io.modelcontextprotocol/serverInfo"]`. A new
 * object; the handler's result is not changed.
 */
export function stampResult(
  method: string,
  result: Readonly<Record<string, unknown>>,
  serverInfo: Readonly<Record<string, unknown>>,
  hint: CacheHint,
): Record<string, unknown> {
  const given = result.resultType;
  const resultType = typeof given === 'string' && MULTI_ROUND_METHODS.has(method) ? given : 'complete';
  const stamped: Record<string, unknown> = { ...result, resultType };
  if (resultType === 'complete' && CACHEABLE_METHODS.has(method)) {
    if (!(Number.isSafeInteger(result.ttlMs) && (result.ttlMs as number) >= 0)) stamped.ttlMs = hint.ttlMs;
    if (result.cacheScope !== 'public' && result.cacheScope !== 'private')
      stamped.cacheScope = hint.cacheScope;
  }
  const meta = result._meta;
  stamped._meta = isRecord(meta)
    ? { ...meta, [META_KEYS.serverInfo]: serverInfo }
    : { [META_KEYS.serverInfo]: serverInfo };
  return stamped;
}
