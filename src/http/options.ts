/**
 * Options of the Streamable HTTP transport: one typed object, validated once, with documented
 * defaults. The defaults are the safe ones for a local server (MCP 2025-11-25, "Transports" ›
 * "Security Warning": validate `Origin`, bind to localhost).
 */
import { z } from 'zod';
import { optionsTypeError } from '../runtime/optionsError.js';

/**
 * 16 bytes from the CSPRNG as hex: 128 bits (a UUID v4 carries only 122), never derived from user
 * data. Web Crypto rather than node:crypto so the fetch form runs on Bun, Deno and workers too.
 */
function randomSessionId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let id = '';
  for (const byte of bytes) id += byte.toString(16).padStart(2, '0');
  return id;
}

/**
 * Options of {@link createNodeHandler} and {@link createFetchHandler}.
 *
 * @example
 * ```ts
 * const handler = createNodeHandler(runtime, {
 *   allowedHosts: ['localhost', 'mcp.internal:8080'],
 *   allowedOrigins: ['https://app.example.com'],
 * });
 * ```
 */
export interface StreamableHttpOptions {
  /**
   * Values the `Host` header may take, against DNS rebinding. An entry without a port (`localhost`,
   * `[::1]`) allows any port; `host:port` allows that port only. `'*'` turns the check off (behind a
   * proxy that checks it already).
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  readonly allowedHosts?: readonly string[] | '*';
  /**
   * Values the `Origin` header may take when a browser sends one: full origins
   * (`https://app.example.com`) or host patterns as in {@link allowedHosts}, any scheme. A request
   * without `Origin` (every non-browser client) passes. `'*'` turns the check off.
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  readonly allowedOrigins?: readonly string[] | '*';
  /**
   * Largest request body accepted; a larger one gets 413 (as the official SDK).
   * @default 4_194_304 (4 MiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * Mints the `Mcp-Session-Id` of each new session. The specification wants it globally unique and
   * cryptographically secure, of visible ASCII (0x21–0x7E): whoever knows an id can act in that
   * session. Replace it only to add a prefix or a routing hint to a random value.
   * @default 128 random bits from the Web Crypto CSPRNG, as 32 hex digits
   */
  readonly generateSessionId?: () => string;
  /**
   * Receives failures the transport hides from clients (a client sees only "Internal error").
   * @default nothing
   */
  readonly onError?: (error: unknown) => void;
}

/** A host allow-list, parsed once. @internal */
export interface HostAllowList {
  /** `'*'`: everything passes. */
  readonly any: boolean;
  /** Host names allowed with any port (lower case, IPv6 in brackets). */
  readonly names: ReadonlySet<string>;
  /** `host:port` values and full origins allowed exactly. */
  readonly exact: ReadonlySet<string>;
}

/** Options with every default applied. @internal */
export interface ResolvedHttpOptions {
  readonly allowedHosts: HostAllowList;
  readonly allowedOrigins: HostAllowList;
  readonly maxBodyBytes: number;
  readonly generateSessionId: () => string;
  readonly onError: (error: unknown) => void;
}

const localHosts = ['localhost', '127.0.0.1', '[::1]'];

const allowListSchema = z.union([z.literal('*'), z.array(z.string().min(1))]);

const optionsSchema = z.object({
  allowedHosts: allowListSchema.optional(),
  allowedOrigins: allowListSchema.optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  generateSessionId: z.function().optional(),
  onError: z.function().optional(),
});

/** Reads an allow-list: `scheme://…` entries are origins, others host patterns. */
function parseAllowList(entries: readonly string[] | '*'): HostAllowList {
  if (entries === '*') return { any: true, names: new Set(), exact: new Set() };
  const names = new Set<string>();
  const exact = new Set<string>();
  for (const raw of entries) {
    const entry = raw.toLowerCase();
    if (entry.includes('://')) exact.add(new URL(entry).origin);
    else if (hostNameOf(entry) === entry) names.add(entry);
    else exact.add(entry);
  }
  return { any: false, names, exact };
}

/** The name part of a `Host` value: `[::1]:3000` → `[::1]`, `localhost:3000` → `localhost`. @internal */
export function hostNameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Validates options once; a bad one throws `TypeError("Expected `x` to be …, got …")`.
 * @internal
 */
export function resolveHttpOptions(options: StreamableHttpOptions = {}): ResolvedHttpOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw optionsTypeError(parsed.error, options);
  try {
    return {
      allowedHosts: parseAllowList(options.allowedHosts ?? localHosts),
      allowedOrigins: parseAllowList(options.allowedOrigins ?? localHosts),
      maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
      generateSessionId: options.generateSessionId ?? randomSessionId,
      onError: options.onError ?? (() => {}),
    };
  } catch {
    throw new TypeError('Expected `allowedOrigins` to hold origins such as `https://app.example.com`');
  }
}
