/**
 * `POST` of one JSON-RPC message (MCP 2025-11-25, "Transports" › "Streamable HTTP" › "Sending
 * Messages to the Server"). The message is classified once, here, with the protocol's parser, and
 * the verdict decides the answer: `initialize` mints a session, a request is answered as JSON or SSE,
 * a notification or a client's response is 202, a message that is neither is answered with its
 * error. The runtime gets the classified message (`deliver`) and never parses it again. An array
 * goes to {@link BatchHandler}.
 */
import { claimsEnvelope, classifyEra } from '../protocol/envelope.js';
import { errorResponse } from '../protocol/errors.js';
import type { JsonRpcResponse } from '../protocol/jsonrpc.js';
import { stripOws } from '../protocol/mcpHeaders.js';
import type { IncomingRequest } from '../protocol/messages.js';
import { parseMessage } from '../protocol/messages.js';
import type { SessionAccess, SessionRuntime } from '../server/createSessionRuntime.js';
import { refuse, reply, sessionIdOf, streamHeaders } from './answers.js';
import { BatchHandler } from './BatchHandler.js';
import type { ClusterRouter } from './ClusterRouter.js';
import type { EventStreams } from './EventStreams.js';
import type { HttpExchange } from './exchange.js';
import type { PostAnswer } from './headers.js';
import { isJsonContentType, postAnswerFor } from './headers.js';
import { ModernHandler } from './ModernHandler.js';
import type { ResolvedHttpOptions } from './options.js';
import type { RateLimiter } from './RateLimiter.js';

/** What the operator is told when a framework consumed the body and kept it nowhere we look. */
const bodyAlreadyReadHint =
  'The request body was read before the MCP handler and not passed on: mount the handler before ' +
  'body parsers, or pass the parsed body on (Node handler: `mcp(req, res, body)`, e.g. ' +
  "Fastify's `request.body` or Koa's `ctx.request.body`; fetch handler: do not read the Request first)";
/** Session ids are visible ASCII (MCP 2025-11-25, "Session Management"). */
const visibleAscii = /^[\x21-\x7e]+$/;

/** A header with RFC 9110 optional whitespace stripped, as the 2026-07-28 header checks compare it. */
function headerValue(exchange: HttpExchange, name: string): string | undefined {
  const value = exchange.header(name);
  return value === undefined ? undefined : stripOws(value);
}

/** Whether a batch member's params carry the 2026-07-28 `_meta` envelope. */
function carriesEnvelope(member: unknown): boolean {
  if (typeof member !== 'object' || member === null) return false;
  const params = (member as { params?: unknown }).params;
  return typeof params === 'object' && params !== null && claimsEnvelope(params as Record<string, unknown>);
}

/** Serves the POSTs of one endpoint. @internal */
export class PostHandler {
  private readonly batches: BatchHandler;
  private readonly modern: ModernHandler;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly options: ResolvedHttpOptions,
    private readonly streams: EventStreams,
    rateLimiter: RateLimiter | undefined,
    /** Tells `onError`; never throws. */
    private readonly report: (error: unknown) => void,
    /** Forwards requests of ids owned by another instance; only in a cluster. */
    private readonly router?: ClusterRouter,
  ) {
    this.batches = new BatchHandler(runtime, streams, rateLimiter, report);
    this.modern = new ModernHandler(runtime, options, report, router);
  }

  async post(exchange: HttpExchange, access: SessionAccess, rateKey: string): Promise<void> {
    const answer = postAnswerFor(exchange.header('accept'));
    if (answer === undefined) return refuse(this.runtime, exchange, 'not_acceptable');
    if (!isJsonContentType(exchange.header('content-type'))) {
      return refuse(this.runtime, exchange, 'unsupported_media_type');
    }
    const body = await exchange.readJson(this.options.maxBodyBytes, this.options.bodyTimeoutMs);
    if (!body.ok) {
      if (body.reason === 'body_already_read') this.report(new TypeError(bodyAlreadyReadHint));
      return refuse(this.runtime, exchange, body.reason);
    }
    if (Array.isArray(body.value)) {
      // 2026-07-28 has no batches: an array with a member of that era is refused whole (-32600).
      if (body.value.some(carriesEnvelope)) {
        const refused = await this.runtime.deliver('', {
          kind: 'invalid',
          reason: 'invalid_request',
          response: errorResponse(null, 'invalid_request', 'MCP 2026-07-28 requests cannot be batched'),
        });
        return reply(exchange, refused as JsonRpcResponse, undefined, answer, this.report);
      }
      // A batch of a session lives where its session does.
      const batchSession = exchange.header('mcp-session-id');
      if (
        this.router !== undefined &&
        batchSession !== undefined &&
        batchSession !== '' &&
        (await this.router.routeSession(exchange, batchSession, body.value))
      ) {
        return;
      }
      return this.batches.serve(exchange, body.value, access, rateKey, answer);
    }
    const message = parseMessage(body.value);
    // Body first (MCP 2026-07-28): a `_meta` envelope makes the message the sessionless era's, served
    // without a session; everything else goes on as a 2025 session message.
    if (message.kind === 'request' || message.kind === 'notification') {
      const verdict = classifyEra(message, headerValue(exchange, 'mcp-protocol-version'));
      if (verdict.era !== 'legacy') {
        return this.modern.serve(exchange, message, verdict, access, answer, body.value);
      }
    }
    if (message.kind === 'request' && message.method === 'initialize') {
      return this.initialize(exchange, message, access, answer);
    }
    // A message that is not a valid one is answered with its own error (-32600 or -32602, 400),
    // whatever its headers say: that is the more specific fault, and a malformed `initialize`
    // has no session id to show. The runtime counts it.
    if (message.kind === 'invalid') {
      const refused = await this.runtime.deliver('', message);
      return reply(exchange, refused ?? message.response, undefined, answer, this.report);
    }
    const sessionId = sessionIdOf(this.runtime, exchange);
    if (sessionId === undefined) return;
    // In a cluster, a session that lives on another instance is served there: requests,
    // notifications and the client's answers to the session's own requests alike.
    if (this.router !== undefined && (await this.router.routeSession(exchange, sessionId, body.value))) {
      return;
    }
    if (message.kind === 'request') return this.serveRequest(exchange, sessionId, message, access, answer);
    // Notifications and the client's responses: 202 and no body ("Sending Messages to the Server").
    const refused = await this.runtime.deliver(sessionId, message, {
      principal: access.principal,
      mayCreate: false,
    });
    if (refused === undefined) exchange.respond(202, {});
    else reply(exchange, refused, undefined, answer, this.report);
  }

  /**
   * `initialize` creates a session under an id we mint: never one the client chose, so ids stay
   * unguessable. A failed handshake leaves no session behind.
   */
  private async initialize(
    exchange: HttpExchange,
    message: IncomingRequest,
    access: SessionAccess,
    answer: PostAnswer,
  ): Promise<void> {
    const claimed = exchange.header('mcp-session-id');
    // A live session of this caller answers "already initialized" (-32600, 400). An unknown or
    // stale id (a server restart, an idle stop) starts a fresh session under an id we mint, never
    // the client's: a client that re-initializes with its old header must not loop on 404s.
    if (claimed !== undefined && this.runtime.has(claimed, access)) {
      return this.serveRequest(exchange, claimed, message, access, answer);
    }
    const sessionId = this.mintSessionId();
    const response = await this.runtime.deliver(sessionId, message, {
      principal: access.principal,
      telemetry: exchange.telemetry,
    });
    // A refused handshake leaves no session: the runtime stops one whose initialize failed.
    if (response === undefined) return refuse(this.runtime, exchange, 'internal_server_error');
    reply(exchange, response, 'error' in response ? undefined : sessionId, answer, this.report);
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
    message: IncomingRequest,
    access: SessionAccess,
    answer: PostAnswer,
  ): Promise<void> {
    const stream = this.streams.lazyStream(exchange, sessionId, access);
    const response = await this.runtime.deliver(sessionId, message, stream.options);
    stream.settled();
    const writer = stream.writer;
    if (writer !== undefined) return writer.finish(response);
    if (response !== undefined) return reply(exchange, response, undefined, answer, this.report);
    // Cancelled by the client: no response may be sent for it (MCP "Cancellation"), and an SSE
    // stream that ends without one is the spec's way to finish the POST.
    exchange.openStream(streamHeaders).end();
  }
}
