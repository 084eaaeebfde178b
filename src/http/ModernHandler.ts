/**
 * The MCP 2026-07-28 leg of a POST (SEP-2575, "Transports" › "Streamable HTTP"): a request that
 * carries its own `_meta` envelope is served without a session — no `Mcp-Session-Id` read or
 * issued, nothing kept after the answer. The body decided the era (`classifyEra`); this checks
 * the standard headers against the body, hands the request to `runtime.serve`, and writes the
 * answer as JSON, or as an SSE stream once the handler sends a notification first (progress, a
 * log the request asked for) or has not answered within `keepAliveMs`. Closing that stream
 * cancels the handler ("closing the stream is cancellation"); there is no resumption.
 */
import { SubscriptionFilterSchema } from '@modelcontextprotocol/core';
import type { EraVerdict, RequestEnvelope } from '../protocol/envelope.js';
import { ALL_PROTOCOL_VERSIONS, META_KEYS, MODERN_PROTOCOL_VERSIONS } from '../protocol/envelope.js';
import { errorResponse, markRefusal } from '../protocol/errors.js';
import type { IncomingNotification, IncomingRequest } from '../protocol/incoming.js';
import type { JsonRpcErrorResponse, JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { jsonRpcNotification } from '../protocol/jsonrpc.js';
import type { HeaderProblem } from '../protocol/mcpHeaders.js';
import { checkParamHeaders, checkStandardHeaders, stripOws } from '../protocol/mcpHeaders.js';
import { serializeMessage } from '../protocol/serialize.js';
import { declaresTasks, TASKS_REQUIRED_CAPABILITIES } from '../protocol/tasks.js';
import type { ListenSink } from '../runtime/ListenFeed.js';
import type { SessionAccess, SessionRuntime } from '../server/createSessionRuntime.js';
import { countRefused, headersFor, statusOfResponse, streamHeaders } from './answers.js';
import type { ClusterRouter } from './ClusterRouter.js';
import type { EventStream, HttpExchange } from './exchange.js';
import type { PostAnswer } from './headers.js';
import type { ResolvedHttpOptions } from './options.js';
import { formatSseEvent, keepAliveComment, keptAlive } from './sse.js';

/**
 * The HTTP status of a 2026-07-28 answer: -32601 is 404 here (removed or unknown method); the rest
 * as the table says, except `shutting_down` of accepted work (200, see `statusOfResponse`).
 */
export function modernStatusOf(response: JsonRpcResponse): number {
  if (!('error' in response)) return 200;
  if (response.error.code === -32601) return 404;
  return statusOfResponse(response);
}

/**
 * The answer of one 2026-07-28 request: nothing is written until the handler produces something;
 * the first notification (or `keepAliveMs` of silence) opens an SSE stream, after which the
 * response ends it. A class, not a literal with closures per POST (see `EventStreams.lazyStream`).
 */
class ModernAnswer {
  private stream: EventStream | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  readonly controller = new AbortController();

  /**
   * @param openAfterMs when the stream opens if nothing was written (`0`: never); `keepAliveMs`, or
   * less for a forwarded request (`ClusterRouter.streamAfterMs`).
   */
  constructor(
    private readonly exchange: HttpExchange,
    private readonly keepAliveMs: number,
    private readonly report: (error: unknown) => void,
    openAfterMs = keepAliveMs,
  ) {
    if (openAfterMs > 0) {
      this.timer = setTimeout(() => this.open(), openAfterMs);
      this.timer.unref?.();
    }
    // The client leaving before the answer is cancellation too, stream or not.
    exchange.onClientGone(() => this.controller.abort());
  }

  /** Opens the SSE stream (once); its close before the answer cancels the request. */
  private open(): EventStream {
    if (this.stream !== undefined) return this.stream;
    const stream = this.exchange.openStream(streamHeaders);
    this.stream = stream;
    stream.onClose(() => {
      if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
      this.controller.abort();
    });
    if (this.keepAliveMs > 0) {
      this.keepAlive = setInterval(() => stream.write(keepAliveComment), this.keepAliveMs);
      this.keepAlive.unref?.();
    }
    return stream;
  }

  /** A notification of this request (progress, a log): on the stream, opened for it. */
  notify(message: JsonRpcMessage): void {
    this.open().write(formatSseEvent(message, undefined, this.report));
  }

  /**
   * The response: ends the stream if one is open, else goes out as JSON with its status.
   */
  finish(response: JsonRpcResponse | undefined, answer: PostAnswer): void {
    this.settle();
    const stream = this.stream;
    if (stream !== undefined) {
      if (response !== undefined) stream.write(formatSseEvent(response, undefined, this.report));
      stream.end();
      return;
    }
    // Cancelled before anything was written: an empty stream ends the POST.
    if (response === undefined) {
      this.exchange.openStream(streamHeaders).end();
      return;
    }
    const status = modernStatusOf(response);
    if (answer === 'stream' && status === 200) {
      const opened = this.exchange.openStream(streamHeaders);
      opened.write(formatSseEvent(response, undefined, this.report));
      opened.end();
      return;
    }
    this.exchange.respond(
      status,
      headersFor(response, undefined),
      serializeMessage(response, this.report) ?? '',
    );
  }

  private settle(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
  }
}

/** @internal */
export class ModernHandler {
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly options: ResolvedHttpOptions,
    private readonly report: (error: unknown) => void,
    /** Forwards requests of actors owned by another instance; only in a cluster. */
    private readonly router?: ClusterRouter,
  ) {}

  /**
   * Serves a message the body put in the 2026-07-28 era (or refused while deciding). `body` is the
   * parsed body, sent on when the request is forwarded.
   */
  async serve(
    exchange: HttpExchange,
    message: IncomingRequest | IncomingNotification,
    verdict: Exclude<EraVerdict, { readonly era: 'legacy' }>,
    access: SessionAccess,
    answer: PostAnswer,
    body?: unknown,
  ): Promise<void> {
    if (verdict.era === 'refused') return this.refuse(exchange, verdict.response, answer);
    const { envelope } = verdict;
    const supported = MODERN_PROTOCOL_VERSIONS.includes(envelope.protocolVersion);
    if (message.kind === 'notification') {
      // Accepted, nothing to answer (202, "Sending Messages to the Server"), once its version and
      // Mcp-Method agree with what this server speaks and the body.
      if (!supported) {
        const refused = errorResponse(null, 'unsupported_version', undefined, {
          supported: ALL_PROTOCOL_VERSIONS,
          requested: envelope.protocolVersion,
        });
        return this.refuse(exchange, refused, answer);
      }
      const header = exchange.header('mcp-method');
      const method = header === undefined ? undefined : stripOws(header);
      if (method !== undefined && method !== message.method) {
        const refused = errorResponse(null, 'header_mismatch', 'Mcp-Method differs from the body', {
          header: 'Mcp-Method',
          problem: 'mismatch',
          expected: message.method,
          received: method,
        });
        return this.refuse(exchange, refused, answer);
      }
      exchange.respond(202, {});
      return;
    }
    // A version this server does not speak is answered -32022 first (by `serve`), as the SDK does.
    const problem = supported
      ? headerProblemOf(exchange, message, envelope.protocolVersion, this.runtime)
      : undefined;
    if (problem !== undefined) return this.refuse(exchange, headerMismatch(message, problem), answer);
    // In a cluster, a request for a task or handle that lives on another instance is served there.
    if (this.router !== undefined && (await this.router.routeRequest(exchange, message, body))) return;
    // A listen is served here, not by `serve`: it gets the version gate of every other request.
    if (message.method === 'subscriptions/listen' && supported)
      return this.listen(exchange, message, envelope, access, answer);
    const keepAliveMs = this.options.keepAliveMs;
    const openAfterMs =
      this.router === undefined ? keepAliveMs : this.router.streamAfterMs(exchange, keepAliveMs);
    const pending = new ModernAnswer(exchange, keepAliveMs, this.report, openAfterMs);
    const response = await this.runtime.serve(message, envelope, {
      principal: access.principal,
      onNotification: (notification) => pending.notify(notification),
      signal: pending.controller.signal,
      telemetry: exchange.telemetry,
    });
    pending.finish(response, answer);
  }

  /**
   * `subscriptions/listen`: an SSE stream that starts with `notifications/subscriptions/acknowledged`
   * (the honoured subset), then carries only the kinds asked for, each tagged with the listen's id
   * in `_meta["io.modelcontextprotocol/subscriptionId"]`, keep-alive comments meanwhile. The client
   * closing it ends the listen; the server closing it (shutdown, or nothing it can honour) sends the
   * listen's result first.
   */
  private listen(
    exchange: HttpExchange,
    message: IncomingRequest,
    envelope: RequestEnvelope,
    access: SessionAccess,
    answer: PostAnswer,
  ): void {
    const filter = SubscriptionFilterSchema.safeParse(message.params.notifications);
    const taskIds = taskIdsOf(message.params.notifications);
    if (!filter.success || taskIds === false) {
      const response = errorResponse(
        message.id,
        'invalid_params',
        taskIds === false
          ? 'Expected `params.notifications.taskIds` to be an array of task id strings'
          : 'Expected `params.notifications` to be a SubscriptionFilter object',
      );
      this.refuseListen(exchange, response, answer);
      return;
    }
    // SEP-2663, "Task Status Notifications": a client that asks for task notifications without
    // declaring the extension MUST get -32021 naming it.
    if (taskIds !== undefined && !declaresTasks(envelope.clientCapabilities)) {
      const response = errorResponse(message.id, 'missing_required_client_capability', undefined, {
        requiredCapabilities: TASKS_REQUIRED_CAPABILITIES,
      });
      this.refuseListen(exchange, response, answer);
      return;
    }
    const id = message.id;
    const tagged = { [META_KEYS.subscriptionId]: id };
    let stream: EventStream | undefined;
    const sink: ListenSink = {
      send: (notification) => {
        if (stream === undefined || stream.closed) return false;
        const params = (notification as { params?: Record<string, unknown> }).params ?? {};
        const meta = params._meta as Record<string, unknown> | undefined;
        const message = { ...notification, params: { ...params, _meta: { ...meta, ...tagged } } };
        stream.write(formatSseEvent(message, undefined, this.report));
        return true;
      },
      end: () => {
        if (stream === undefined || stream.closed) return;
        const result = {
          resultType: 'complete',
          _meta: { ...tagged, [META_KEYS.serverInfo]: this.runtime.server.serverInfo },
        };
        stream.write(formatSseEvent({ jsonrpc: '2.0', id, result }, undefined, this.report));
        stream.end();
      },
    };
    const opened = this.runtime.listen(
      taskIds === undefined ? filter.data : { ...filter.data, taskIds },
      sink,
      access,
    );
    if (typeof opened === 'string') {
      const response =
        opened === 'limit'
          ? errorResponse(id, 'overloaded', 'Too many subscriptions for this principal', {
              retryAfterSeconds: 1,
            })
          : opened === 'too_many_uris'
            ? errorResponse(
                id,
                'invalid_params',
                'Too many resourceSubscriptions or taskIds in one listen (at most 100 each)',
                {
                  limit: 100,
                },
              )
            : markRefusal(errorResponse(id, 'shutting_down', undefined, { retryAfterSeconds: 1 }));
      // Counted by the runtime, which refused it (`ListenFeed`): answered here, not counted again.
      this.answerNow(exchange, response, answer);
      return;
    }
    stream = keptAlive(exchange.openStream(streamHeaders), this.options.keepAliveMs);
    stream.onClose(() => opened.close());
    const acknowledged = jsonRpcNotification('notifications/subscriptions/acknowledged', {
      notifications: opened.honored,
      _meta: tagged,
    });
    stream.write(formatSseEvent(acknowledged, undefined, this.report));
    // Nothing it can honour: the listen is over at once, gracefully.
    if (Object.keys(opened.honored).length === 0) {
      opened.close();
      sink.end();
    }
  }

  /**
   * Answers a message refused at the edge (envelope, headers, version); the runtime counts it as
   * a refusal like any other message that never reached a handler.
   */
  private async refuse(
    exchange: HttpExchange,
    response: JsonRpcErrorResponse,
    answer: PostAnswer,
  ): Promise<void> {
    const reason = (response.error.data as { reason?: unknown } | undefined)?.reason;
    const counted = await this.runtime.deliver('', {
      kind: 'invalid',
      reason: reason === 'header_mismatch' || reason === 'invalid_envelope' ? reason : 'invalid_request',
      response,
    });
    this.answerNow(exchange, counted ?? response, answer);
  }

  /**
   * Answers a listen refused here (a malformed filter, an undeclared tasks extension) and counts it
   * in the runtime's refusals under the reason its body carries, as the runtime counts the listens
   * it refuses itself (its limits, closing).
   */
  private refuseListen(exchange: HttpExchange, response: JsonRpcErrorResponse, answer: PostAnswer): void {
    countRefused(this.runtime, response);
    this.answerNow(exchange, response, answer);
  }

  private answerNow(exchange: HttpExchange, response: JsonRpcResponse, answer: PostAnswer): void {
    new ModernAnswer(exchange, 0, this.report).finish(response, answer);
  }
}

/**
 * The standard headers against the body (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), then,
 * for `tools/call`, the `Mcp-Param-*` headers of the tool's `x-mcp-header` arguments (SEP-2243).
 */
function headerProblemOf(
  exchange: HttpExchange,
  message: IncomingRequest,
  version: string,
  runtime: SessionRuntime,
): HeaderProblem | undefined {
  const header = (name: string) => exchange.header(name);
  const problem = checkStandardHeaders(message.method, message.params, version, header);
  if (problem !== undefined || message.method !== 'tools/call') return problem;
  const { name, arguments: args } = message.params;
  if (typeof name !== 'string') return undefined;
  const declarations = runtime.paramHeadersOf(name);
  if (declarations.length === 0 || typeof args !== 'object' || args === null) return undefined;
  return checkParamHeaders(declarations, args as Readonly<Record<string, unknown>>, header);
}

/** The -32020 answer naming the header (`data.header`, `data.problem`, and what was expected and received). */
function headerMismatch(message: IncomingRequest, problem: HeaderProblem): JsonRpcErrorResponse {
  const text =
    problem.problem === 'missing'
      ? `${problem.header} is required`
      : problem.problem === 'invalid_encoding'
        ? `${problem.header} is not valid (see the =?base64?…?= form)`
        : `${problem.header} differs from the body`;
  return errorResponse(message.id, 'header_mismatch', text, {
    header: problem.header,
    problem: problem.problem,
    ...(problem.expected === undefined ? {} : { expected: problem.expected }),
    ...(problem.received === undefined ? {} : { received: problem.received }),
  });
}

/**
 * The `taskIds` of a listen's filter (tasks extension, SEP-2663), which the SDK's filter schema
 * does not know: `undefined` when absent, `false` when not an array of non-empty strings.
 */
function taskIdsOf(notifications: unknown): readonly string[] | undefined | false {
  if (typeof notifications !== 'object' || notifications === null) return undefined;
  const taskIds = (notifications as { taskIds?: unknown }).taskIds;
  if (taskIds === undefined) return undefined;
  if (!Array.isArray(taskIds) || !taskIds.every((id) => typeof id === 'string' && id.length > 0))
    return false;
  return taskIds as string[];
}
