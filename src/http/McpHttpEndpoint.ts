/**
 * The Streamable HTTP transport (MCP 2025-11-25, "Transports" › "Streamable HTTP") over one
 * {@link HttpExchange}: the single place that knows statuses, session ids and SSE. The Node and
 * Web-standard handlers only adapt their request and response objects to it. This file holds what
 * every request goes through (Host and Origin checks, CORS, authentication, rate limits) and
 * `DELETE`; `POST` is served by {@link PostHandler} (a batch by `BatchHandler`), `GET` by
 * {@link EventStreams}, and the answers are written by `answers.ts`.
 */
import type { Principal } from '../runtime/types.js';
import type { SessionAccess, SessionRuntime } from '../server/createSessionRuntime.js';
import { rateLimited, refuse, sessionIdOf } from './answers.js';
import type { Authenticate, AuthenticationRequest } from './auth.js';
import { AuthenticationError, AuthenticatorUnavailableError, bearerTokenOf, challengeOf } from './auth.js';
import { ClusterRouter } from './ClusterRouter.js';
import { EventStreams } from './EventStreams.js';
import type { HttpExchange, ResponseHeaders } from './exchange.js';
import { FORWARDED_BY, verifyHop } from './forwardedHop.js';
import { isAllowedHost, isAllowedOrigin } from './headers.js';
import { OperatorRoutes } from './OperatorRoutes.js';
import type { ResolvedHttpOptions } from './options.js';
import { originKey } from './options.js';
import { PostHandler } from './PostHandler.js';
import { RateLimiter } from './RateLimiter.js';

/** Health answers are never cached: each probe asks the process as it is now. */
const healthHeaders: ResponseHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store' };
const HEALTHY = JSON.stringify({ status: 'ok' });

const metadataHeaders: ResponseHeaders = {
  'content-type': 'application/json',
  'cache-control': 'max-age=3600',
};
/** What a request without authentication acts as. */
const anonymous: SessionAccess = { principal: undefined };
/** Request headers a browser client sends (CORS preflight). */
const corsRequestHeaders =
  'authorization, content-type, accept, last-event-id, mcp-session-id, mcp-protocol-version';
const varyOrigin: ResponseHeaders = { vary: 'origin' };
/** Response headers a browser client must read. */
const corsExposedHeaders = 'mcp-session-id, www-authenticate, retry-after';
/** ms after one report of an `authenticate` outage during which the next ones are only counted. */
const UNAVAILABLE_REPORT_INTERVAL_MS = 1000;

/** Serves one MCP endpoint for a runtime. @internal */
export class McpHttpEndpoint {
  readonly streams: EventStreams;
  private readonly posts: PostHandler;
  /** Routes requests to the instance that owns their id; only for a runtime with a `placement`. */
  private readonly router: ClusterRouter | undefined;
  private readonly rateLimiter: RateLimiter | undefined;
  /** Failed authentications per remote address, with the same rate as `rateLimit`. */
  private readonly authFailures: RateLimiter | undefined;
  /** `metrics` and `dashboard`, when either is on. */
  private readonly operator: OperatorRoutes | undefined;
  /** When (`performance.now()`, ms) an `authenticate` outage was last reported to `onError`. */
  private unavailableReportedAt: number | undefined;
  /** Outage errors left unreported since then (see `reportUnavailable`). */
  private unavailableSuppressed = 0;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly options: ResolvedHttpOptions,
  ) {
    this.rateLimiter = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit);
    this.authFailures = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit);
    this.operator =
      options.metrics === undefined && options.dashboard === undefined
        ? undefined
        : new OperatorRoutes(runtime, options, this.reportError);
    const placement = runtime.placement;
    this.router =
      placement === undefined ? undefined : new ClusterRouter(runtime, placement, options, this.reportError);
    this.streams = new EventStreams(
      runtime,
      options,
      this.reportError,
      (exchange, error) => this.fail(exchange, error),
      this.router,
    );
    this.posts = new PostHandler(
      runtime,
      options,
      this.streams,
      this.rateLimiter,
      this.reportError,
      this.router,
    );
    // A stopped session (idle, DELETE, runtime closed) ends its standalone stream, so a client sees
    // the end instead of listening forever to a session that will never speak again.
    runtime.events.on('sessionStopped', ({ sessionId }) => this.streams.endSession(sessionId));
  }

  /** Answers one exchange. Never rejects: a failure of ours becomes a bare 500. */
  async handle(exchange: HttpExchange): Promise<void> {
    try {
      if (!isAllowedHost(this.options.allowedHosts, exchange.header('host'))) {
        return refuse(this.runtime, exchange, 'forbidden_host');
      }
      const origin = exchange.header('origin');
      if (!isAllowedOrigin(this.options.allowedOrigins, origin)) {
        return refuse(this.runtime, exchange, 'forbidden_origin');
      }
      if (this.options.cors !== undefined) {
        if (origin !== undefined && exchange.method === 'OPTIONS') return this.preflight(exchange, origin);
        this.allowCrossOrigin(exchange, origin);
      }
      const resource = this.options.protectedResource;
      if (resource !== undefined && exchange.method === 'GET' && resource.paths.has(exchange.path)) {
        return exchange.respond(200, metadataHeaders, resource.body);
      }
      const health = this.options.health;
      if (health !== undefined && exchange.method === 'GET') {
        if (exchange.path === health.healthPath) return exchange.respond(200, healthHeaders, HEALTHY);
        if (exchange.path === health.readyPath) return this.readiness(exchange);
      }
      const operated = this.operator?.serve(exchange);
      if (operated !== undefined) return await operated;
      const method = exchange.method;
      if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
        return refuse(this.runtime, exchange, 'method_not_allowed');
      }
      // Every request, before any session is looked at: a session id is not a credential.
      const address = `address:${this.clientAddressOf(exchange)}`;
      let access = anonymous;
      const hook = this.options.authenticate;
      if (hook !== undefined) {
        // Failed authentications spend the address's bucket: a flood of bad tokens is refused
        // before each costs a signature check.
        const wait = this.authFailures?.peek(address) ?? 0;
        if (wait > 0) return rateLimited(this.runtime, exchange, wait);
        const authenticated = await this.authenticate(exchange, hook);
        if (authenticated === 'refused') {
          this.authFailures?.take(address);
          return;
        }
        if (authenticated === 'unavailable') return;
        access = authenticated;
      }
      const rateKey = access.principal === undefined ? address : `principal:${access.principal.id}`;
      if (this.rateLimiter !== undefined) {
        const wait = this.rateLimiter.take(rateKey);
        if (wait > 0) return rateLimited(this.runtime, exchange, wait);
      }
      if (method === 'POST') return await this.posts.post(exchange, access, rateKey);
      if (method === 'GET') return await this.streams.openStandaloneStream(exchange, access);
      return await this.deleteSession(exchange, access);
    } catch (error) {
      this.fail(exchange, error);
    }
  }

  /**
   * The client's address: the peer's, or for a request another instance of the cluster forwarded
   * with a hop signed by the cluster's `forwardingKey`, the address of the client that reached that
   * instance, so that rate limits and failed authentications count per client here too, not per
   * forwarding instance. An unsigned or unverifiable hop changes nothing.
   */
  private clientAddressOf(exchange: HttpExchange): string | undefined {
    const key = this.runtime.placement?.forwardingKey;
    if (key === undefined || exchange.header(FORWARDED_BY) === undefined) return exchange.remoteAddress;
    return verifyHop(key, exchange)?.clientAddress ?? exchange.remoteAddress;
  }

  /** `ready`: 200 while the runtime takes new work, 503 with `Retry-After` once it drains. */
  private readiness(exchange: HttpExchange): void {
    const draining = !this.runtime.accepting;
    const body = JSON.stringify({
      status: draining ? 'draining' : 'ready',
      sessions: this.runtime.size,
      draining,
    });
    if (draining) exchange.respond(503, { ...healthHeaders, 'retry-after': '1' }, body);
    else exchange.respond(200, healthHeaders, body);
  }

  /**
   * Runs the `authenticate` hook: the caller's access; `'refused'` once answered 401 (no or bad
   * credentials) or 403 (insufficient scope) with a `WWW-Authenticate` challenge (RFC 6750 §3);
   * `'unavailable'` once answered 503 `authentication_unavailable` with `Retry-After`, the hook
   * having thrown {@link AuthenticatorUnavailableError} (reported to `onError`, at most once a
   * second: see {@link reportUnavailable}; not a failed authentication: the client's credentials
   * may be fine).
   */
  private async authenticate(
    exchange: HttpExchange,
    hook: Authenticate,
  ): Promise<SessionAccess | 'refused' | 'unavailable'> {
    const authorization = exchange.header('authorization');
    const request: AuthenticationRequest = {
      method: exchange.method,
      header: (name) => exchange.header(name),
      bearerToken: bearerTokenOf(authorization),
    };
    let principal: Principal | undefined;
    try {
      principal = await hook(request);
    } catch (error) {
      if (error instanceof AuthenticatorUnavailableError) {
        this.reportUnavailable(error);
        refuse(this.runtime, exchange, 'authentication_unavailable', {
          'retry-after': String(error.retryAfterSeconds),
        });
        return 'unavailable';
      }
      if (!(error instanceof AuthenticationError)) throw error;
      this.challenge(exchange, error);
      return 'refused';
    }
    if (principal === undefined) {
      // No credentials: a bare challenge; bad ones: `invalid_token` (RFC 6750 §3.1).
      this.challenge(
        exchange,
        authorization === undefined ? undefined : new AuthenticationError('invalid_token'),
      );
      return 'refused';
    }
    if (typeof principal !== 'object' || typeof principal.id !== 'string' || principal.id === '') {
      throw new TypeError(
        'Expected `authenticate` to return a principal with a non-empty string `id`, or undefined',
      );
    }
    return { principal };
  }

  private challenge(exchange: HttpExchange, error: AuthenticationError | undefined): void {
    const headers = { 'www-authenticate': challengeOf(error, this.options.protectedResource) };
    refuse(
      this.runtime,
      exchange,
      error?.code === 'insufficient_scope' ? 'insufficient_scope' : 'unauthorized',
      headers,
    );
  }

  /** Answers a CORS preflight: allowed only for the configured origins. */
  private preflight(exchange: HttpExchange, origin: string): void {
    const cors = this.options.cors;
    if (cors === undefined || !cors.origins.has(originOf(origin))) {
      refuse(this.runtime, exchange, 'forbidden_origin');
      return;
    }
    exchange.respond(204, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, POST, DELETE',
      'access-control-allow-headers': corsRequestHeaders,
      'access-control-max-age': String(cors.maxAgeSeconds),
      vary: 'origin',
    });
  }

  /**
   * CORS headers for a listed origin; `Vary: Origin` on every answer, so that a shared cache never
   * hands one origin's answer (with or without CORS headers) to another.
   */
  private allowCrossOrigin(exchange: HttpExchange, origin: string | undefined): void {
    if (origin === undefined || !this.options.cors?.origins.has(originOf(origin))) {
      exchange.addHeaders(varyOrigin);
      return;
    }
    exchange.addHeaders({
      'access-control-allow-origin': origin,
      'access-control-expose-headers': corsExposedHeaders,
      vary: 'origin',
    });
  }

  /**
   * `DELETE` ends the session: the runtime aborts its running handlers and answers their requests
   * `session_closed`, which ends their streams ("Session Management" §5).
   */
  private async deleteSession(exchange: HttpExchange, access: SessionAccess): Promise<void> {
    const sessionId = sessionIdOf(this.runtime, exchange);
    if (sessionId === undefined) return;
    if (this.router !== undefined && (await this.router.routeSession(exchange, sessionId))) return;
    if (this.runtime.remove(sessionId, access)) exchange.respond(200, {});
    else refuse(this.runtime, exchange, 'session_not_found');
  }

  /**
   * Reports an outage of the `authenticate` hook without flooding `onError`: every request fails
   * the same way while it lasts. The first is reported; after it, at most one per
   * {@link UNAVAILABLE_REPORT_INTERVAL_MS}, the others counted: the next report is an
   * `AuthenticatorUnavailableError` whose message gives how many were left unreported since the
   * last one, its `cause` the error at hand (with the same `retryAfterSeconds`).
   */
  private reportUnavailable(error: AuthenticatorUnavailableError): void {
    const now = performance.now();
    const last = this.unavailableReportedAt;
    if (last !== undefined && now - last < UNAVAILABLE_REPORT_INTERVAL_MS) {
      this.unavailableSuppressed++;
      return;
    }
    this.unavailableReportedAt = now;
    const suppressed = this.unavailableSuppressed;
    this.unavailableSuppressed = 0;
    this.report(
      suppressed === 0
        ? error
        : new AuthenticatorUnavailableError(
            `${error.message} (and ${suppressed} more suppressed since the last report)`,
            { retryAfterSeconds: error.retryAfterSeconds, cause: error },
          ),
    );
  }

  /** {@link report}, bound: what the serializers and the handlers of each method call. */
  private readonly reportError = (error: unknown): void => this.report(error);

  private report(error: unknown): void {
    try {
      this.options.onError(error);
    } catch {
      // The error reporter failing must not keep the client waiting.
    }
  }

  private fail(exchange: HttpExchange, error: unknown): void {
    this.report(error);
    if (exchange.answered) exchange.abort();
    else refuse(this.runtime, exchange, 'internal_server_error');
  }
}

/** The serialized origin of an `Origin` value (`HTTPS://App.example.com:443` → `https://app.example.com`). */
function originOf(origin: string): string {
  try {
    return originKey(new URL(origin));
  } catch {
    return '';
  }
}
