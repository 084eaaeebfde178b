/**
 * The Streamable HTTP transport (MCP 2025-11-25, "Transports" › "Streamable HTTP") over one
 * {@link HttpExchange}: the single place that knows statuses, session ids and SSE. The Node and
 * Web-standard handlers only adapt their request and response objects to it.
 */
import { batchResponses, containsInitialize, initializeInBatchError, planBatch } from '../protocol/batch.js';

import type { JsonRpcRequest, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/lifecycle.js';
import { serializeMessage } from '../protocol/serialize.js';
import type { DispatchOptions, Principal } from '../runtime/types.js';
import type { SessionAccess, SessionRuntime } from '../server/createSessionRuntime.js';
import type { Authenticate, AuthenticationRequest } from './auth.js';
import { AuthenticationError, bearerTokenOf, challengeOf } from './auth.js';
import type { EventStream, HttpExchange, ResponseHeaders } from './exchange.js';
import type { PostAnswer } from './headers.js';
import {
  acceptsEventStream,
  isAllowedHost,
  isAllowedOrigin,
  isJsonContentType,
  postAnswerFor,
} from './headers.js';
import type { ResolvedHttpOptions } from './options.js';
import { originKey } from './options.js';
import { RateLimiter } from './RateLimiter.js';
import type { ResumableWriter } from './ResumableStreams.js';
import { ResumableStreams } from './ResumableStreams.js';
import type { Refusal } from './refusals.js';
import { refusalResponse } from './refusals.js';
import { StandaloneStreams } from './StandaloneStreams.js';
import type { StreamRefusal } from './StreamBudget.js';
import { StreamBudget } from './StreamBudget.js';
import { formatSseEvent, keptAlive } from './sse.js';
import { httpStatusOf } from './statuses.js';

const supportedVersions = new Set(SUPPORTED_PROTOCOL_VERSIONS);
const jsonHeaders: ResponseHeaders = { 'content-type': 'application/json' };
/** `no-cache` keeps proxies from buffering or replaying an event stream. */
const streamHeaders: ResponseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
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
/** What the operator is told when a framework consumed the body and kept it nowhere we look. */
const bodyAlreadyReadHint =
  'The request body was read before the MCP handler and not passed on: mount the handler before ' +
  'body parsers, or pass the parsed body on (Node handler: `mcp(req, res, body)`, e.g. ' +
  "Fastify's `request.body` or Koa's `ctx.request.body`; fetch handler: do not read the Request first)";
/** Session ids are visible ASCII (MCP 2025-11-25, "Session Management"). */
const visibleAscii = /^[\x21-\x7e]+$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A request (not a notification or a client's response) expects an answer on this exchange. */
function isRequest(message: unknown): boolean {
  return isObject(message) && 'method' in message && 'id' in message;
}

function isInitializeRequest(message: unknown): boolean {
  return isRequest(message) && (message as { method: unknown }).method === 'initialize';
}

/** The headers of a JSON answer: `Retry-After` when the runtime said when to retry (RFC 9110 §10.2.3). */
function headersFor(response: JsonRpcResponse, sessionId: string | undefined): ResponseHeaders {
  const retryAfter =
    'error' in response ? (response.error.data as { retryAfterSeconds?: unknown } | undefined) : undefined;
  const seconds = retryAfter?.retryAfterSeconds;
  if (sessionId === undefined && typeof seconds !== 'number') return jsonHeaders;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
  if (typeof seconds === 'number') headers['retry-after'] = String(seconds);
  return headers;
}

/** Serves one MCP endpoint for a runtime. @internal */
export class McpHttpEndpoint {
  readonly standaloneStreams = new StandaloneStreams((error) => this.report(error));
  private readonly resumableStreams = new ResumableStreams(1_000, (error) => this.report(error));
  private readonly streams: StreamBudget;
  private readonly rateLimiter: RateLimiter | undefined;
  /** Failed authentications per remote address, with the same rate as `rateLimit`. */
  private readonly authFailures: RateLimiter | undefined;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly options: ResolvedHttpOptions,
  ) {
    this.streams = new StreamBudget(
      options.maxStreams,
      options.maxStreamsPerSession,
      options.maxStreamsPerPrincipal,
    );
    this.rateLimiter = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit);
    this.authFailures = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit);
    // A stopped session (idle, DELETE, runtime closed) ends its standalone stream, so a client sees
    // the end instead of listening forever to a session that will never speak again.
    runtime.events.on('sessionStopped', ({ sessionId }) => {
      this.standaloneStreams.end(sessionId);
      this.resumableStreams.forget(sessionId);
    });
  }

  /** Answers one exchange. Never rejects: a failure of ours becomes a bare 500. */
  async handle(exchange: HttpExchange): Promise<void> {
    try {
      if (!isAllowedHost(this.options.allowedHosts, exchange.header('host'))) {
        return refuse(exchange, 'forbidden_host');
      }
      const origin = exchange.header('origin');
      if (!isAllowedOrigin(this.options.allowedOrigins, origin)) {
        return refuse(exchange, 'forbidden_origin');
      }
      if (this.options.cors !== undefined) {
        if (origin !== undefined && exchange.method === 'OPTIONS') return this.preflight(exchange, origin);
        this.allowCrossOrigin(exchange, origin);
      }
      const resource = this.options.protectedResource;
      if (resource !== undefined && exchange.method === 'GET' && resource.paths.has(exchange.path)) {
        return exchange.respond(200, metadataHeaders, resource.body);
      }
      const method = exchange.method;
      if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
        return refuse(exchange, 'method_not_allowed');
      }
      // Every request, before any session is looked at: a session id is not a credential.
      const address = `address:${exchange.remoteAddress}`;
      let access = anonymous;
      const hook = this.options.authenticate;
      if (hook !== undefined) {
        // Failed authentications spend the address's bucket: a flood of bad tokens is refused
        // before each costs a signature check.
        const wait = this.authFailures?.peek(address) ?? 0;
        if (wait > 0) return rateLimited(exchange, wait);
        const authenticated = await this.authenticate(exchange, hook);
        if (authenticated === undefined) {
          this.authFailures?.take(address);
          return;
        }
        access = authenticated;
      }
      const rateKey = access.principal === undefined ? address : `principal:${access.principal.id}`;
      if (this.rateLimiter !== undefined) {
        const wait = this.rateLimiter.take(rateKey);
        if (wait > 0) return rateLimited(exchange, wait);
      }
      if (method === 'POST') return await this.post(exchange, access, rateKey);
      if (method === 'GET') return this.openStandaloneStream(exchange, access);
      return this.deleteSession(exchange, access);
    } catch (error) {
      this.fail(exchange, error);
    }
  }

  /**
   * Runs the `authenticate` hook: the caller's access, or `undefined` once refused with 401 (no or
   * bad credentials) or 403 (insufficient scope) and a `WWW-Authenticate` challenge (RFC 6750 §3).
   */
  private async authenticate(exchange: HttpExchange, hook: Authenticate): Promise<SessionAccess | undefined> {
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
      if (!(error instanceof AuthenticationError)) throw error;
      this.challenge(exchange, error);
      return undefined;
    }
    if (principal === undefined) {
      // No credentials: a bare challenge; bad ones: `invalid_token` (RFC 6750 §3.1).
      this.challenge(
        exchange,
        authorization === undefined ? undefined : new AuthenticationError('invalid_token'),
      );
      return undefined;
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
    refuse(exchange, error?.code === 'insufficient_scope' ? 'insufficient_scope' : 'unauthorized', headers);
  }

  /** Answers a CORS preflight: allowed only for the configured origins. */
  private preflight(exchange: HttpExchange, origin: string): void {
    const cors = this.options.cors;
    if (cors === undefined || !cors.origins.has(originOf(origin))) {
      refuse(exchange, 'forbidden_origin');
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

  private async post(exchange: HttpExchange, access: SessionAccess, rateKey: string): Promise<void> {
    const answer = postAnswerFor(exchange.header('accept'));
    if (answer === undefined) return refuse(exchange, 'not_acceptable');
    if (!isJsonContentType(exchange.header('content-type'))) {
      return refuse(exchange, 'unsupported_media_type');
    }
    const body = await exchange.readJson(this.options.maxBodyBytes, this.options.bodyTimeoutMs);
    if (!body.ok) {
      if (body.reason === 'body_already_read') this.report(new TypeError(bodyAlreadyReadHint));
      return refuse(exchange, body.reason);
    }
    const message = body.value;
    if (Array.isArray(message)) return this.postBatch(exchange, message, access, rateKey, answer);
    if (isInitializeRequest(message)) return this.initialize(exchange, message, access, answer);
    const sessionId = this.sessionIdOf(exchange);
    if (sessionId === undefined) return;
    if (isRequest(message)) return this.serveRequest(exchange, sessionId, message, access, answer);
    // Notifications and the client's responses: 202 and no body ("Sending Messages to the Server").
    const refused = await this.runtime.dispatch(sessionId, message, {
      principal: access.principal,
      mayCreate: false,
    });
    if (refused === undefined) exchange.respond(202, {});
    else reply(exchange, refused, undefined, answer, this.reportError);
  }

  /**
   * The session id and protocol version of a request after `initialize`, or `undefined` once the
   * exchange has been refused. A missing id is 400 ("Session Management" §4); an unsupported
   * `MCP-Protocol-Version` is 400 and an absent one means 2025-03-26 ("Protocol Version Header").
   */
  private sessionIdOf(exchange: HttpExchange): string | undefined {
    const sessionId = exchange.header('mcp-session-id');
    if (sessionId === undefined || sessionId === '') {
      refuse(exchange, 'missing_session_id');
      return undefined;
    }
    const version = exchange.header('mcp-protocol-version');
    if (version !== undefined && !supportedVersions.has(version)) {
      refuse(exchange, 'unsupported_protocol_version');
      return undefined;
    }
    return sessionId;
  }

  /**
   * `initialize` creates a session under an id we mint: never one the client chose, so ids stay
   * unguessable. A failed handshake leaves no session behind.
   */
  private async initialize(
    exchange: HttpExchange,
    message: unknown,
    access: SessionAccess,
    answer: PostAnswer,
  ): Promise<void> {
    const claimed = exchange.header('mcp-session-id');
    if (claimed !== undefined) {
      // A live session answers "already initialized" (-32600, 400); an unknown id is 404, not a
      // new session of the client's naming.
      if (!this.runtime.has(claimed, access)) return refuse(exchange, 'session_not_found');
      return this.serveRequest(exchange, claimed, message, access, answer);
    }
    const sessionId = this.mintSessionId();
    const response = await this.runtime.dispatch(sessionId, message, access);
    // A refused handshake leaves no session: the runtime stops one whose initialize failed.
    if (response === undefined) return refuse(exchange, 'internal_server_error');
    reply(exchange, response, 'error' in response ? undefined : sessionId, answer, this.reportError);
  }

  private mintSessionId(): string {
    for (let attempt = 0; attempt < 3; attempt++) {
      const sessionId = this.options.generateSessionId();
      if (typeof sessionId !== 'string' || !visibleAscii.test(sessionId)) {
        throw new TypeError('Expected `generateSessionId` to return visible ASCII (0x21-0x7E)');
      }
      // A colliding id would hand this client someone else's session.
      if (!this.runtime.has(sessionId)) return sessionId;
    }
    throw new Error('`generateSessionId` returned ids of live sessions three times in a row');
  }

  /**
   * A request: plain JSON when its answer comes alone, an SSE stream when it produces notifications
   * (progress) first, or has not been answered after `keepAliveMs` (the stream then carries
   * keep-alives, so a proxy does not cut a long call). The stream starts lazily, so the common case
   * pays nothing for it. A client that accepts only `text/event-stream` gets every answer as SSE. No
   * abort signal is tied to the socket: disconnection is not cancellation in 2025-11-25 ("Sending
   * Messages to the Server" §5); `notifications/cancelled` and DELETE cancel.
   */
  private async serveRequest(
    exchange: HttpExchange,
    sessionId: string,
    message: unknown,
    access: SessionAccess,
    answer: PostAnswer,
  ): Promise<void> {
    const stream = this.lazyStream(exchange, sessionId, access);
    const response = await this.runtime.dispatch(sessionId, message, stream.options);
    stream.settled();
    const writer = stream.writer;
    if (writer !== undefined) return writer.finish(response);
    if (response !== undefined) return reply(exchange, response, undefined, answer, this.reportError);
    // Cancelled by the client: no response may be sent for it (MCP "Cancellation"), and an SSE
    // stream that ends without one is the spec's way to finish the POST.
    exchange.openStream(streamHeaders).end();
  }

  /**
   * The SSE answer of one POST, opened at the first message for it if the stream budget allows; past
   * the budget the responses still come, as JSON, and what would have streamed before them cannot be
   * sent. Notifications and the handlers' own requests to the client (sampling, elicitation) travel
   * on it, before the response (2025-11-25, "Sending Messages to the Server" §6). `onOpen` runs once,
   * when the stream opens, to write what was already answered. Work still unanswered after
   * `keepAliveMs` opens the stream too, so that its keep-alives hold the connection through proxies
   * that cut idle ones; `settled()` stops that clock once the answers are in.
   */
  private lazyStream(
    exchange: HttpExchange,
    sessionId: string,
    access: SessionAccess,
    onOpen?: (writer: ResumableWriter) => void,
  ): LazyStream {
    let overBudget = false;
    const principalId = access.principal?.id;
    const open = (): ResumableWriter | undefined => {
      if (handle.writer !== undefined || overBudget) return handle.writer;
      if (this.acquireStream(sessionId, principalId, 1) !== undefined) {
        overBudget = true;
        return undefined;
      }
      const writer = this.resumableStreams.begin(
        sessionId,
        this.openCounted(exchange, sessionId, principalId),
      );
      handle.writer = writer;
      onOpen?.(writer);
      return writer;
    };
    const options: DispatchOptions = {
      principal: access.principal,
      // Only `initialize`, under an id we mint, creates a session over HTTP, whatever the runtime's
      // `spawnPolicy`: an id the client chose never names one.
      mayCreate: false,
      onNotification: (notification) => open()?.write(notification),
      onRequest: (request: JsonRpcRequest) => {
        const stream = open();
        // The handler's `ctx.request` then rejects with `client_unreachable`.
        if (stream === undefined) throw new Error('No stream budget left for this request');
        stream.write(request);
      },
      onCloseStream: () => open()?.disconnect(),
    };
    const keepAliveMs = this.options.keepAliveMs;
    // From a timer, a throw would end the process: it fails this exchange instead.
    const openLate = () => {
      try {
        open();
      } catch (error) {
        this.fail(exchange, error);
      }
    };
    const slow = keepAliveMs > 0 ? setTimeout(openLate, keepAliveMs) : undefined;
    slow?.unref();
    // A plain object with a field, not a getter: an accessor on a fresh literal per POST cost about
    // 10 µs of server CPU per call in the HTTP benchmark.
    const handle: LazyStream = { options, writer: undefined, open, settled: () => clearTimeout(slow) };
    return handle;
  }

  /**
   * A JSON-RPC batch (JSON-RPC 2.0 §6), served only in a session whose negotiated revision has
   * batches (see `src/protocol/batch.ts`: 2025-03-26 and 2024-11-05); the revision is the one the
   * session negotiated in `initialize`, never the client's `MCP-Protocol-Version` alone. Members go
   * to the session in order, so its FIFO holds across them and a `notifications/cancelled` reaches
   * an earlier member. Answers (2025-03-26, "Sending Messages to the Server" §4-6): 202 when every
   * member is an accepted notification or response; otherwise the array of responses as JSON, or,
   * once any member streams (progress, a request to the client), an SSE stream carrying every
   * response as its own event as it comes ("These responses MAY be batched"). A batch of N
   * messages spends N of `rateLimit`'s tokens.
   */
  private async postBatch(
    exchange: HttpExchange,
    batch: unknown[],
    access: SessionAccess,
    rateKey: string,
    answer: PostAnswer,
  ): Promise<void> {
    if (exchange.header('mcp-session-id') === undefined && containsInitialize(batch)) {
      return reply(exchange, initializeInBatchError(null), undefined, answer, this.reportError);
    }
    const sessionId = this.sessionIdOf(exchange);
    if (sessionId === undefined) return;
    // Another principal's session is as unknown as a made-up id.
    if (!this.runtime.has(sessionId, access)) return refuse(exchange, 'session_not_found');
    const plan = planBatch(batch, this.runtime.info(sessionId)?.protocolVersion);
    if (!plan.ok) return reply(exchange, plan.response, undefined, answer, this.reportError);
    // `rateLimit` counts messages, not POSTs: the members past the first are owed by the caller.
    this.rateLimiter?.charge(rateKey, plan.entries.length - 1);
    const results: (JsonRpcResponse | undefined)[] = [];
    // What was answered before the stream opened goes out first; later answers as they come.
    const stream = this.lazyStream(exchange, sessionId, access, (writer) => {
      for (const response of results) if (response !== undefined) writer.write(response);
    });
    // A client that does not accept JSON gets the responses as SSE events from the start.
    if (answer === 'stream' && plan.hasRequest) stream.open();
    const plain: DispatchOptions = { principal: access.principal, mayCreate: false };
    // Dispatched synchronously, one after the other: the session's mailbox takes them in order.
    const answers = plan.entries.map(async (entry, index) => {
      const response =
        entry.kind === 'answered'
          ? entry.response
          : await this.runtime.dispatch(sessionId, entry.message, entry.isRequest ? stream.options : plain);
      results[index] = response;
      if (response !== undefined) stream.writer?.write(response);
    });
    await Promise.all(answers);
    stream.settled();
    const writer = stream.writer;
    if (writer !== undefined) return writer.finish(undefined);
    const responses = batchResponses(results);
    if (!plan.hasRequest) {
      // Only notifications and responses: 202 once all are accepted, else the refusals with the
      // first one's status ("If the server cannot accept the input, it MUST return an HTTP error").
      if (responses.length === 0) return exchange.respond(202, {});
      const status = responses.map(statusOfResponse).find((code) => code !== 200) ?? 400;
      return exchange.respond(status, jsonHeaders, serializeMessage(responses, this.reportError) ?? '[]');
    }
    // Every request cancelled in the batch: no response may be sent, and JSON-RPC forbids an empty
    // array; an SSE stream that ends without one finishes the POST, as for one cancelled request.
    if (responses.length === 0) return exchange.openStream(streamHeaders).end();
    if (answer === 'stream') {
      // Past the stream budget a client that does not accept JSON still gets SSE, unbudgeted and
      // not resumable, as `reply` answers one response.
      const events = exchange.openStream(streamHeaders);
      for (const response of responses) events.write(formatSseEvent(response, undefined, this.reportError));
      return events.end();
    }
    exchange.respond(200, jsonHeaders, serializeMessage(responses, this.reportError) ?? '[]');
  }

  /**
   * Takes a stream slot for the session. When a limit refuses, the session's oldest standalone
   * stream gives way if more than `keep` would remain (its slot counts in every limit that can
   * refuse): it is the likeliest to be dead, and the client asking is the one it belongs to.
   */
  private acquireStream(
    sessionId: string,
    principalId: string | undefined,
    keep: number,
  ): StreamRefusal | undefined {
    const refusal = this.streams.acquire(sessionId, principalId);
    if (refusal === undefined || this.standaloneStreams.countOf(sessionId) <= keep) return refusal;
    this.standaloneStreams.endOldest(sessionId);
    return this.streams.acquire(sessionId, principalId);
  }

  /**
   * Opens the SSE answer of a slot already taken from the stream budget, giving it back on close
   * (ended by us, or the client gone: a failed write or a closed socket), with keep-alives.
   */
  private openCounted(
    exchange: HttpExchange,
    sessionId: string,
    principalId: string | undefined,
  ): EventStream {
    const stream = exchange.openStream(streamHeaders);
    stream.onClose(() => this.streams.release(sessionId, principalId));
    return keptAlive(stream, this.options.keepAliveMs);
  }

  /**
   * `GET`: resumes the request stream `Last-Event-ID` names, or opens a standalone stream of the
   * session. A client that comes back is never locked out by a connection of its own that died
   * unnoticed (half-open, dropped by a proxy): a resumed request stream leaves its old connection,
   * and when the stream budget is full the session's oldest standalone stream is ended to make room.
   * The official SDK answers 409 to a second standalone stream; MCP 2025-11-25 ("Multiple
   * Connections") lets a client hold several, and asks only that each message go out on one of them
   * (here the newest), so clients that open a second GET keep both.
   */
  private openStandaloneStream(exchange: HttpExchange, access: SessionAccess): void {
    if (!acceptsEventStream(exchange.header('accept'))) {
      refuse(exchange, 'not_acceptable_stream');
      return;
    }
    const sessionId = this.sessionIdOf(exchange);
    if (sessionId === undefined) return;
    // Another principal's session, and its replayable events, are as unknown as a made-up id.
    if (!this.runtime.has(sessionId, access)) {
      refuse(exchange, 'session_not_found');
      return;
    }
    const principalId = access.principal?.id;
    // A slot is taken only when the stream opens: a refusal holds none.
    const openStream = (): EventStream | undefined => {
      const refusal = this.acquireStream(sessionId, principalId, 0);
      if (refusal === undefined) return this.openCounted(exchange, sessionId, principalId);
      refuseStream(exchange, refusal);
      return undefined;
    };
    const lastEventId = exchange.header('last-event-id');
    if (lastEventId !== undefined && this.resumableStreams.resume(sessionId, lastEventId, openStream)) {
      // A request stream resumed: what the client missed, then the rest of it.
      return;
    }
    const stream = openStream();
    if (stream === undefined) return;
    // Messages of the session that belong to no request (resources/updated, list_changed, a
    // handler's request to the client made outside a request stream) go out on its newest stream.
    this.standaloneStreams.add(sessionId, stream, () =>
      this.runtime.attach(sessionId, (message) => this.standaloneStreams.send(sessionId, message), access),
    );
  }

  /**
   * `DELETE` ends the session: the runtime aborts its running handlers and answers their requests
   * `session_closed`, which ends their streams ("Session Management" §5).
   */
  private deleteSession(exchange: HttpExchange, access: SessionAccess): void {
    const sessionId = this.sessionIdOf(exchange);
    if (sessionId === undefined) return;
    if (this.runtime.remove(sessionId, access)) exchange.respond(200, {});
    else refuse(exchange, 'session_not_found');
  }

  /** Tells `onError`, which must not fail the answer. */
  /** {@link report}, bound: what the serializers call when a handler's result is not JSON. */
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
    else refuse(exchange, 'internal_server_error');
  }
}

/** 429 `too_many_streams` or 503 `overloaded` for a stream past the budget, retry after a second. */
function refuseStream(exchange: HttpExchange, refusal: StreamRefusal): void {
  refuse(exchange, refusal === 'overloaded' ? 'streams_overloaded' : 'too_many_streams', {
    'retry-after': '1',
  });
}

/** 429 `rate_limited`, retry after `seconds`. */
function rateLimited(exchange: HttpExchange, seconds: number): void {
  refuse(exchange, 'rate_limited', { 'retry-after': String(seconds) });
}

function refuse(exchange: HttpExchange, refusal: Refusal, extraHeaders?: ResponseHeaders): void {
  const { status, headers, body } = refusalResponse(refusal);
  exchange.respond(status, extraHeaders === undefined ? headers : { ...headers, ...extraHeaders }, body);
}

/** The serialized origin of an `Origin` value (`HTTPS://App.example.com:443` → `https://app.example.com`). */
function originOf(origin: string): string {
  try {
    return originKey(new URL(origin));
  } catch {
    return '';
  }
}

/** The lazily opened SSE answer of one POST (see `McpHttpEndpoint.lazyStream`). */
interface LazyStream {
  /** What the runtime gets for the request: its notifications and requests open the stream. */
  readonly options: DispatchOptions;
  /** The stream once open. */
  writer: ResumableWriter | undefined;
  /** Opens the stream now if the budget allows; `undefined` past it. */
  open(): ResumableWriter | undefined;
  /** The answers are in: stops the keep-alive clock that would open the stream. */
  settled(): void;
}

function statusOfResponse(response: JsonRpcResponse): number {
  return 'error' in response ? httpStatusOf(response.error) : 200;
}

/**
 * A complete answer: JSON, or one SSE event for a client that does not accept JSON. An error's
 * status comes from the runtime's error table (429/503/404/400…), and an error status always comes
 * with JSON: RFC 9110 §12.5.1 lets a server disregard `Accept` rather than hide the status.
 */
function reply(
  exchange: HttpExchange,
  response: JsonRpcResponse,
  sessionId: string | undefined,
  answer: PostAnswer,
  onError: (error: unknown) => void,
): void {
  const status = statusOfResponse(response);
  if (answer === 'stream' && status === 200) {
    const headers =
      sessionId === undefined ? streamHeaders : { ...streamHeaders, 'mcp-session-id': sessionId };
    const stream = exchange.openStream(headers);
    stream.write(formatSseEvent(response, undefined, onError));
    stream.end();
    return;
  }
  exchange.respond(status, headersFor(response, sessionId), serializeMessage(response, onError) ?? '');
}
