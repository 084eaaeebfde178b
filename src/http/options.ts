/**
 * Options of the Streamable HTTP transport: one typed object, validated once, with documented
 * defaults. The defaults are the safe ones for a local server (MCP 2025-11-25, "Transports" ›
 * "Security Warning": validate `Origin`, bind to localhost).
 */
import { z } from 'zod';
import { assertOptionsObject, optionsTypeError } from '../runtime/optionsError.js';
import type { TransitionLog } from '../runtime/telemetry/transitionLog.js';
import type { Authenticate, ProtectedResourceOptions, ResolvedProtectedResource } from './auth.js';
import { resolveProtectedResource } from './auth.js';
import type { RateLimitOptions } from './RateLimiter.js';

/** Entropy drawn from the CSPRNG in one call and handed out 16 bytes at a time, never twice. */
const entropy = new Uint8Array(4_096);
let entropyUsed = entropy.length;
const hexDigits = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * 16 bytes from the CSPRNG as hex: 128 bits (a UUID v4 carries only 122), never derived from user
 * data. Web Crypto rather than node:crypto so the fetch form runs on Bun, Deno and workers too; drawn
 * 4 KiB at a time because each `getRandomValues` call costs microseconds (as Node's `randomUUID`
 * caches its entropy).
 */
function randomSessionId(): string {
  if (entropyUsed === entropy.length) {
    globalThis.crypto.getRandomValues(entropy);
    entropyUsed = 0;
  }
  let id = '';
  for (let index = entropyUsed; index < entropyUsed + 16; index++) id += hexDigits[entropy[index] as number];
  entropyUsed += 16;
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
   * An outage of `authenticate` (`AuthenticatorUnavailableError`, each request answered 503) is
   * reported once, then at most once a second, the report's message giving how many were left
   * unreported since the previous one.
   * @default nothing
   */
  readonly onError?: (error: unknown) => void;
  /**
   * Authenticates every request (not only `initialize`) before any session is created or touched:
   * the principal it returns owns the sessions it creates, reaches handlers as `ctx.auth`, and is the
   * only one that can use, resume or delete them (anyone else gets the 404 of an unknown id).
   * `undefined` refuses the request with 401 and a `WWW-Authenticate` challenge. See
   * `createJwtAuthenticator` in `mcp-session-runtime/auth` for bearer JWTs.
   * @default none: every request is anonymous
   */
  readonly authenticate?: Authenticate;
  /**
   * This server's OAuth protected-resource metadata (RFC 9728): served at
   * `/.well-known/oauth-protected-resource[/<path>]` (route those paths to the handler too) and
   * named in the `resource_metadata` of every 401, so that MCP clients find the authorization server.
   * @default none
   */
  readonly protectedResource?: ProtectedResourceOptions;
  /**
   * Health and readiness answers for load balancers and orchestrators, on `GET` (route those paths
   * to the handler too): `health` answers 200 `{ "status": "ok" }` while the process serves;
   * `ready` answers 200 `{ "status": "ready", "sessions": <live sessions>, "draining": false }`,
   * and 503 with `"draining": true` and `Retry-After` once `runtime.close()` began. Both come after
   * the Host and Origin checks and before authentication. `true` mounts `/health` and `/ready`.
   * @default off
   */
  readonly health?: boolean | { readonly healthPath?: string; readonly readyPath?: string };
  /**
   * A token bucket per principal: past it, 429 with `Retry-After`, and other principals are
   * unaffected. Anonymous requests are limited per remote address in the Node form; the fetch form
   * does not see the address, so its anonymous requests share one bucket.
   * @default none
   */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Milliseconds a request body may take to arrive (against slow-loris bodies); past it, 408 and the
   * connection is closed. Header timeouts belong to the server: see `hardenedServerOptions`.
   * @default 10_000
   */
  readonly bodyTimeoutMs?: number;
  /**
   * Open SSE streams (standalone and request streams) across all sessions; a GET past it gets 503,
   * a request past it answers without streaming (its notifications are dropped).
   * @default 10_000
   */
  readonly maxStreams?: number;
  /**
   * Open SSE streams per session. Past it, a GET (or a streaming request, while the session keeps
   * another) ends the session's oldest standalone GET stream to make room; a GET that finds none to
   * end gets 429, a request answers without streaming.
   * @default 16
   */
  readonly maxStreamsPerSession?: number;
  /**
   * Open SSE streams per authenticated principal, across its sessions, so that one principal
   * cannot take `maxStreams` from the others; a GET past it gets 429.
   * @default 64
   */
  readonly maxStreamsPerPrincipal?: number;
  /**
   * Milliseconds between SSE keep-alive comments (`: keep-alive`) on an open stream that has sent
   * nothing else meanwhile: the standalone GET stream and request streams. Proxies commonly cut a
   * connection idle for 60 s, and the write is what reveals a client that vanished without closing
   * its connection (the stream then closes and gives back its slot). A request not answered after
   * this long switches to an SSE answer, so a long call carries keep-alives too. `0` or `false`
   * turns keep-alives off (and a request then answers as JSON however long it runs, unless it
   * streams). At most 2³¹ − 1.
   * @default 15_000
   */
  readonly keepAliveMs?: number | false;
  /**
   * Cross-origin access for browser clients. Off by default: no CORS header is ever sent. On, a
   * preflight from one of `allowedOrigins` (full origins, no wildcard) is answered, and responses to
   * those origins carry `Access-Control-Allow-Origin` and expose `Mcp-Session-Id`. These origins
   * also pass the `Origin` check.
   * @default off
   */
  readonly cors?: CorsOptions;
  /**
   * In a cluster (a runtime with a `placement`): milliseconds a request forwarded to the instance
   * that owns its session, handle or task may wait for that instance's response headers. Past it
   * the forward is abandoned and the client gets 503 `cluster_unavailable` (JSON-RPC -32024) with
   * `Retry-After: 1`: the owner is alive but not answering (paused, overloaded). An owner that
   * serves a forwarded request opens its SSE answer after half this time at most (sooner with a
   * shorter `keepAliveMs`), so a slow handler never reaches the limit; once the headers are in, a
   * stream may last as long as it likes. Unused without a placement. At most 2³¹ − 1.
   * @default 10_000
   */
  readonly forwardTimeoutMs?: number;
  /**
   * A Prometheus scrape endpoint on `GET`: the text format of whatever is measured through
   * `@opentelemetry/api`, as `@opentelemetry/exporter-prometheus` writes it (route the path to the
   * handler too). `true`, or an object without `exporter`, loads that package and
   * `@opentelemetry/sdk-metrics` (optional peer dependencies; install them) on first use and
   * registers a `MeterProvider` reading into a new exporter as the global one: instruments made
   * before it is registered stay no-ops (the metrics API has no proxy), so to see those, build the
   * provider yourself with `new PrometheusExporter({ preventServerStart: true })` among its
   * `readers` and pass that exporter. Like `health`, after the Host and Origin checks and before
   * authentication; by default it answers loopback peers only (see {@link MetricsEndpointOptions}).
   * @default off
   */
  readonly metrics?: boolean | MetricsEndpointOptions;
  /**
   * A live view of the runtime for its operator: `GET <path>` serves one self-contained HTML page
   * (no external requests), `GET <path>/events` a `text/event-stream` of `runtime.snapshot()` once a
   * second (route both to the handler). It shows counts by state, the most recently active actors
   * with shortened ids, live actors and requests per second over the last 5 minutes, the slowest
   * methods by p99, the latest stops and refusals, and with `transitions` the latest lifecycle
   * transitions (narrowed to one actor by a click); never a whole id or a payload. Before
   * authentication, and loopback peers only unless `allowRemote` (see {@link DashboardOptions}).
   * @default off
   */
  readonly dashboard?: boolean | DashboardOptions;
}

/**
 * What the `/metrics` endpoint uses of a `PrometheusExporter` (`@opentelemetry/exporter-prometheus`),
 * named by shape so that this package's types do not depend on that optional package.
 */
export interface PrometheusMetricsExporter {
  /** Writes the current metrics in the Prometheus text format to `response` (status, header, body). */
  getMetricsRequestHandler(request: unknown, response: MetricsResponse): void;
}

/** The part of a `node:http` `ServerResponse` a `PrometheusExporter` writes its answer to. */
export interface MetricsResponse {
  statusCode: number;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  end(body?: string): unknown;
}

/** See {@link StreamableHttpOptions.metrics}. */
export interface MetricsEndpointOptions {
  /**
   * The path of the scrape endpoint.
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * Answer peers that are not loopback addresses too. Off, any other peer gets 403, and so does
   * every request in the fetch form, which does not see the peer's address: turn it on there and
   * guard the path yourself (metrics tell the load and the methods of a server).
   * @default false
   */
  readonly allowRemote?: boolean;
  /**
   * A `PrometheusExporter` built with `preventServerStart: true` and registered as a reader of your
   * `MeterProvider`.
   * @default one created for you, with a global `MeterProvider` (see {@link StreamableHttpOptions.metrics})
   */
  readonly exporter?: PrometheusMetricsExporter;
}

/** See {@link StreamableHttpOptions.dashboard}. */
export interface DashboardOptions {
  /**
   * The page's path; its event stream is at `<path>/events`.
   * @default '/dashboard'
   */
  readonly path?: string;
  /**
   * Answer peers that are not loopback addresses too (the fetch form never sees the address: it
   * needs this, and your own guard in front). The page shows client names and the load of every
   * session: keep it private.
   * @default false
   */
  readonly allowRemote?: boolean;
  /**
   * Dashboard event streams open at once; one past it gets 503. Every stream shares one snapshot
   * a second, whatever their number.
   * @default 4
   */
  readonly maxStreams?: number;
  /**
   * A `createTransitionLog()` whose `inspect` is the runtime's `inspect` option: the page then
   * shows a Transitions panel (kind, shortened id, state before and after, causing event type,
   * time; most recent first), and clicking an actor's row narrows it to that actor's. Its stream
   * sends the log's newest transitions on connect, then each second those recorded since.
   * @default no Transitions panel
   */
  readonly transitions?: TransitionLog;
}

/** See {@link StreamableHttpOptions.cors}. */
export interface CorsOptions {
  /** Full origins such as `https://app.example.com`. */
  readonly allowedOrigins: readonly string[];
  /**
   * How long a browser may cache a preflight answer.
   * @default 600
   */
  readonly maxAgeSeconds?: number;
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
  readonly authenticate: Authenticate | undefined;
  readonly protectedResource: ResolvedProtectedResource | undefined;
  /** The health and readiness paths, or `undefined` when off. */
  readonly health: { readonly healthPath: string; readonly readyPath: string } | undefined;
  readonly rateLimit: RateLimitOptions | undefined;
  readonly bodyTimeoutMs: number;
  readonly maxStreams: number;
  readonly maxStreamsPerSession: number;
  readonly maxStreamsPerPrincipal: number;
  /** `0` when keep-alives are off. */
  readonly keepAliveMs: number;
  readonly forwardTimeoutMs: number;
  /** The scrape endpoint, when on; `exporter` undefined: one is created on first use. */
  readonly metrics:
    | {
        readonly path: string;
        readonly allowRemote: boolean;
        readonly exporter: PrometheusMetricsExporter | undefined;
      }
    | undefined;
  /** The dashboard, when on. */
  readonly dashboard:
    | {
        readonly path: string;
        readonly eventsPath: string;
        readonly allowRemote: boolean;
        readonly maxStreams: number;
        readonly transitions: TransitionLog | undefined;
      }
    | undefined;
  /** CORS origins (as {@link originKey} gives them) and preflight cache time, when on. */
  readonly cors: { readonly origins: ReadonlySet<string>; readonly maxAgeSeconds: number } | undefined;
}

const localHosts = ['localhost', '127.0.0.1', '[::1]'];

const allowListSchema = z.union([z.literal('*'), z.array(z.string().min(1))]);

const optionsSchema = z.strictObject({
  allowedHosts: allowListSchema.optional(),
  allowedOrigins: allowListSchema.optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  generateSessionId: z.function().optional(),
  onError: z.function().optional(),
  authenticate: z.function().optional(),
  protectedResource: z
    .strictObject({
      resource: z.string(),
      authorizationServers: z.array(z.url()).min(1),
      scopesSupported: z.array(z.string().min(1)).optional(),
      resourceName: z.string().optional(),
      resourceDocumentation: z.string().optional(),
    })
    .optional(),
  health: z
    .union([
      z.boolean(),
      z.strictObject({
        healthPath: z.string().startsWith('/').optional(),
        readyPath: z.string().startsWith('/').optional(),
      }),
    ])
    .optional(),
  rateLimit: z
    .strictObject({ requestsPerSecond: z.number().positive(), burst: z.number().min(1).optional() })
    .optional(),
  bodyTimeoutMs: z.number().int().positive().optional(),
  maxStreams: z.number().int().positive().optional(),
  maxStreamsPerSession: z.number().int().positive().optional(),
  maxStreamsPerPrincipal: z.number().int().positive().optional(),
  keepAliveMs: z.union([z.literal(false), z.number().int().min(0).max(2_147_483_647)]).optional(),
  cors: z
    .strictObject({
      allowedOrigins: z.array(z.url()).min(1),
      maxAgeSeconds: z.number().int().min(0).optional(),
    })
    .optional(),
  forwardTimeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
  metrics: z
    .union([
      z.boolean(),
      z.strictObject({
        path: z.string().startsWith('/').optional(),
        allowRemote: z.boolean().optional(),
        exporter: z
          .custom<PrometheusMetricsExporter>(
            (value) =>
              typeof value === 'object' &&
              value !== null &&
              typeof (value as { getMetricsRequestHandler?: unknown }).getMetricsRequestHandler ===
                'function',
            { message: 'a PrometheusExporter (with getMetricsRequestHandler)' },
          )
          .optional(),
      }),
    ])
    .optional(),
  dashboard: z
    .union([
      z.boolean(),
      z.strictObject({
        path: z.string().startsWith('/').optional(),
        allowRemote: z.boolean().optional(),
        maxStreams: z.number().int().positive().optional(),
        transitions: z
          .custom<TransitionLog>(
            (value) =>
              typeof value === 'object' &&
              value !== null &&
              typeof (value as { entries?: unknown }).entries === 'function',
            { message: 'a createTransitionLog() log (with entries)' },
          )
          .optional(),
      }),
    ])
    .optional(),
});

/**
 * The comparable form of an origin. `URL.origin` is the string `"null"` for schemes such as
 * `chrome-extension:`, `vscode-webview:` or `app:` (opaque origins), which would make one listed
 * extension allow every other: those compare as `scheme://host` instead. @internal
 */
export function originKey(url: URL): string {
  return url.origin !== 'null' ? url.origin : `${url.protocol}//${url.host}`.toLowerCase();
}

/** Reads an allow-list: `scheme://…` entries are origins, others host patterns. */
function parseAllowList(entries: readonly string[] | '*'): HostAllowList {
  if (entries === '*') return { any: true, names: new Set(), exact: new Set() };
  const names = new Set<string>();
  const exact = new Set<string>();
  for (const raw of entries) {
    const entry = raw.toLowerCase();
    if (entry.includes('://')) exact.add(originKey(new URL(entry)));
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
 * Validates options once; a bad one throws `TypeError("Expected `x` to be …, got …")`, a key no
 * option has `TypeError("Unknown option `allowedHost`; did you mean `allowedHosts`?")`.
 * @internal
 */
export function resolveHttpOptions(given?: StreamableHttpOptions): ResolvedHttpOptions {
  assertOptionsObject(given);
  const options = given ?? {};
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw optionsTypeError(parsed.error, options, optionsSchema);
  const corsOrigins = new Set(options.cors?.allowedOrigins.map((origin) => originKey(new URL(origin))));
  let allowedOrigins: HostAllowList;
  try {
    allowedOrigins = parseAllowList(options.allowedOrigins ?? localHosts);
  } catch {
    throw new TypeError('Expected `allowedOrigins` to hold origins such as `https://app.example.com`');
  }
  return {
    allowedHosts: parseAllowList(options.allowedHosts ?? localHosts),
    // CORS origins are allowed origins too: a browser page they serve must get past the Origin check.
    allowedOrigins: allowedOrigins.any
      ? allowedOrigins
      : { ...allowedOrigins, exact: new Set([...allowedOrigins.exact, ...corsOrigins]) },
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    generateSessionId: options.generateSessionId ?? randomSessionId,
    onError: options.onError ?? (() => {}),
    authenticate: options.authenticate,
    protectedResource:
      options.protectedResource === undefined
        ? undefined
        : resolveProtectedResource(options.protectedResource),
    health:
      options.health === undefined || options.health === false
        ? undefined
        : {
            healthPath: (options.health === true ? undefined : options.health.healthPath) ?? '/health',
            readyPath: (options.health === true ? undefined : options.health.readyPath) ?? '/ready',
          },
    rateLimit: options.rateLimit,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    maxStreams: options.maxStreams ?? 10_000,
    maxStreamsPerSession: options.maxStreamsPerSession ?? 16,
    maxStreamsPerPrincipal: options.maxStreamsPerPrincipal ?? 64,
    keepAliveMs: options.keepAliveMs === false ? 0 : (options.keepAliveMs ?? 15_000),
    forwardTimeoutMs: options.forwardTimeoutMs ?? 10_000,
    metrics: resolveMetrics(options.metrics),
    dashboard: resolveDashboard(options.dashboard),
    cors:
      options.cors === undefined
        ? undefined
        : { origins: corsOrigins, maxAgeSeconds: options.cors.maxAgeSeconds ?? 600 },
  };
}

function resolveMetrics(given: StreamableHttpOptions['metrics']): ResolvedHttpOptions['metrics'] {
  if (given === undefined || given === false) return undefined;
  const options = given === true ? {} : given;
  return {
    path: options.path ?? '/metrics',
    allowRemote: options.allowRemote ?? false,
    exporter: options.exporter,
  };
}

function resolveDashboard(given: StreamableHttpOptions['dashboard']): ResolvedHttpOptions['dashboard'] {
  if (given === undefined || given === false) return undefined;
  const options = given === true ? {} : given;
  const path = (options.path ?? '/dashboard').replace(/\/+$/, '') || '/dashboard';
  return {
    path,
    eventsPath: `${path}/events`,
    allowRemote: options.allowRemote ?? false,
    maxStreams: options.maxStreams ?? 4,
    transitions: options.transitions,
  };
}
