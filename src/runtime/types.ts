/**
 * The public types of the runtime: handlers and their context, session info, metrics and events.
 */
import type { SessionStopReason } from '../machines/stopReason.js';
import type { JsonRpcId, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { LoggingLevel } from '../protocol/logging.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';

/** Where a session is in the MCP lifecycle (the state of its machine). */
export type SessionState = 'awaitingInitialize' | 'initialized' | 'ready' | 'stopping' | 'stopped';

/**
 * Why a session stopped: `idle` (idle timeout), `removed` (`runtime.remove`), `swept`
 * (`runtime.sweepIdle`) or `closed` (`runtime.close`). The session machine's own type, so the two
 * cannot differ.
 */
export type StopReason = SessionStopReason;

/** The `clientInfo` a client sends in `initialize`. */
export interface ClientInfo {
  readonly name: string;
  readonly version: string;
  readonly [key: string]: unknown;
}

/** A snapshot of one session, as {@link SessionRuntime.info} returns it. */
export interface SessionInfo {
  readonly sessionId: string;
  readonly state: SessionState;
  /** True once `initialize` was answered. */
  readonly initialized: boolean;
  readonly protocolVersion: string | undefined;
  readonly clientInfo: ClientInfo | undefined;
  readonly clientCapabilities: Readonly<Record<string, unknown>> | undefined;
  /** Clock time the session was created. */
  readonly createdAt: number;
  /** Clock time of the last message in or response out. */
  readonly lastActivity: number;
  /** Requests waiting in the mailbox. */
  readonly queued: number;
  /** Handlers holding a slot: running ones the runtime still waits for (not those past `requestTimeoutMs` or `cancelGraceMs`). */
  readonly inFlight: number;
}

/**
 * Who a message comes from, as the transport verified it (the subject of a bearer token, never a
 * value the client chose). A session is bound to the principal that created it.
 */
export interface Principal {
  /** A stable user id (e.g. the token's `sub`). */
  readonly id: string;
  /** Anything else the transport wants handlers to see (scopes, tenant, expiry). */
  readonly [claim: string]: unknown;
}

/** Progress a handler reports (`notifications/progress` without the token, which the runtime adds). */
export interface ProgressUpdate {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

/**
 * What a handler gets beside its params.
 *
 * @typeParam TContext the shared `context` given in the runtime options.
 */
export interface HandlerContext<TContext = unknown> {
  readonly sessionId: string;
  readonly requestId: JsonRpcId;
  readonly method: string;
  /** The session as it is when the handler reads this property. */
  readonly session: SessionInfo;
  /** Aborted when the request is cancelled, times out, or its session is removed or closed. */
  readonly signal: AbortSignal;
  /** The user's shared context object from the runtime options. */
  readonly context: TContext;
  /** The verified principal of this request (its latest token), if the transport authenticates. */
  readonly auth: Principal | undefined;
  /**
   * Reports progress to the caller when the request carried `_meta.progressToken`; otherwise does
   * nothing. Updates must increase strictly (MCP, "Progress"); one that does not, or that comes after
   * the response, is dropped.
   */
  progress(update: ProgressUpdate): void;
  /** Sends a notification to the caller of this request (before its response); dropped once it finished. */
  notify(notification: Omit<JsonRpcNotification, 'jsonrpc'>): void;
  /**
   * Sends a message to another session of the same runtime, carrying this request's call chain.
   * A request that would re-enter a session already on the chain (A → B → A) is answered at once
   * with the `call_cycle` error instead of deadlocking on a busy mailbox.
   */
  dispatch(sessionId: string, message: unknown, options?: DispatchOptions): Promise<DispatchResult>;
  /**
   * Sends a request to the client (`sampling/createMessage`, `elicitation/create`, `roots/list`) on
   * this request's stream and resolves with the client's result. Rejects with a
   * `SessionRuntimeError` (`client_capability_missing` when the client did not declare what the
   * method needs, `client_unreachable`, `request_timeout`, `request_cancelled`, `session_closed`) or a
   * `ClientRequestError` carrying the client's own error. Cancelling this request cancels it too.
   */
  request(
    method: string,
    params?: Readonly<Record<string, unknown>>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * Sends `notifications/message` to the caller if `level` passes the session's `logging/setLevel`
   * minimum (all levels pass until the client sets one).
   */
  log(level: LoggingLevel, data: unknown, logger?: string): void;
  /**
   * Ends the caller's event stream now while the request goes on (SSE polling, SEP-1699): a client
   * of a resumable transport reconnects with `Last-Event-ID` and receives the rest, response
   * included. Does nothing when the transport cannot resume.
   */
  closeStream(): void;
}

/** A method handler: params in, a JSON-RPC `result` out (or a thrown error). */
export type RequestHandler<TContext = unknown> = (
  params: Readonly<Record<string, unknown>>,
  context: HandlerContext<TContext>,
) => unknown;

/** Options of one {@link SessionRuntime.dispatch} call. */
export interface DispatchOptions {
  /**
   * Receives the notifications this request produces (progress, logs), in order, before the
   * dispatch promise resolves with the response.
   */
  readonly onNotification?: (notification: JsonRpcNotification) => void;
  /**
   * Receives the requests a handler sends the client (`ctx.request`) while this request runs. Without
   * it they go to the session's attached listener (`runtime.attach`), if any.
   */
  readonly onRequest?: (request: JsonRpcRequest) => void;
  /**
   * The verified caller. A new session is bound to it; a session bound to another principal answers
   * exactly as an unknown one (`session_not_found`), so its existence is not revealed.
   */
  readonly principal?: Principal | undefined;
  /**
   * Ends the caller's event stream without ending the request (SSE polling, SEP-1699); a transport
   * that supports resumption gives it. See {@link HandlerContext.closeStream}.
   */
  readonly onCloseStream?: () => void;
  /** Aborting it cancels the request exactly as `notifications/cancelled` would. */
  readonly signal?: AbortSignal;
  /**
   * `false`: this message may not create a session, whatever `spawnPolicy` says; an unknown id gets
   * `session_not_found`. For transports that mint session ids themselves and must never let a
   * client name one (the Streamable HTTP transport passes it for everything but `initialize`).
   */
  readonly mayCreate?: boolean;
  /**
   * What the transport knows of the connection, for OpenTelemetry (see docs/observability.md):
   * `attributes` go on the request's SERVER span (`network.transport`: `tcp` for HTTP, `pipe` for
   * stdio; `network.protocol.name`, `network.protocol.version`, `client.address`, `client.port`),
   * and the `network.*` ones on `mcp.server.operation.duration` too. Ignored while no OpenTelemetry
   * SDK is registered.
   */
  readonly telemetry?: RequestTelemetry | undefined;
}

/** Transport facts about one request, for its telemetry (semantic conventions for MCP, status: Development). */
export interface RequestTelemetry {
  /** Attribute name → value, e.g. `{ 'network.transport': 'tcp', 'client.port': 52144 }`. */
  readonly attributes?: Readonly<Record<string, string | number>> | undefined;
}

/** What {@link SessionRuntime.dispatch} resolves with. */
export type DispatchResult = JsonRpcResponse | undefined;

/** Counters the runtime keeps; {@link SessionRuntime.metrics} returns a copy. */
export interface RuntimeMetrics {
  /** Live sessions now. */
  readonly sessions: number;
  readonly sessionsStarted: number;
  readonly sessionsStopped: Readonly<Record<StopReason, number>>;
  /** Requests waiting in mailboxes now, over all sessions. */
  readonly queued: number;
  /** Handlers holding a slot over all sessions (running ones the runtime still waits for). */
  readonly inFlight: number;
  /** Requests taken into a mailbox. Every one ends as completed, failed or cancelled. */
  readonly accepted: number;
  /** Accepted requests answered with a result. */
  readonly completed: number;
  /**
   * Accepted requests answered with an error (handler error, timeout, session removed or closed),
   * and tool calls whose tool failed (answered with a generic `isError` result, see `handlerError`).
   * A `ToolError` or invalid arguments are answers, counted as completed.
   */
  readonly failed: number;
  /** Accepted requests cancelled by the client: no response was produced. */
  readonly cancelled: number;
  /** Messages refused before reaching a mailbox, by reason. */
  readonly rejected: Readonly<Record<string, number>>;
  /**
   * State handles by kind: live now, started, stopped by reason, creations refused by a limit.
   * Calls on a handle are counted once, as their `tools/call` request.
   */
  readonly handles: Readonly<
    Record<
      string,
      {
        readonly live: number;
        readonly started: number;
        readonly stopped: Readonly<Record<StopReason, number>>;
        readonly refused: number;
      }
    >
  >;
  /** Time accepted requests waited in their mailbox before their handler started. */
  readonly mailboxWait: {
    readonly count: number;
    readonly totalMs: number;
    readonly maxMs: number;
    readonly meanMs: number;
  };
}

/** Events the runtime emits (through eventemitter3). */
export interface RuntimeEvents {
  sessionStarted: (event: { readonly sessionId: string }) => void;
  sessionStopped: (event: { readonly sessionId: string; readonly reason: StopReason }) => void;
  overload: (event: {
    readonly sessionId: string;
    readonly reason: 'overloaded' | 'mailbox_full' | 'too_many_sessions';
    readonly limit: number;
  }) => void;
  /**
   * A handler failed: it threw (or rejected with) something that carries no JSON-RPC code, or a
   * tool returned something that is not a `CallToolResult`. The client got `internal_error`, or for
   * a tool an `isError` result with a generic text; `error` (never sent to the client) says what
   * happened. Not emitted for a `ToolError`, for an error the handler gave a JSON-RPC code, nor for
   * a handler that ends after its request was cancelled (`notifications/cancelled`, the caller's
   * signal, `remove`, `close`): no one waits for its answer, and its abort is not a fault.
   */
  handlerError: (event: {
    readonly sessionId: string;
    /** The JSON-RPC id of the failed request. */
    readonly requestId: JsonRpcId;
    readonly method: string;
    /** The tool (`tools/call`), prompt (`prompts/get`) or resource URI (`resources/read`) it addressed. */
    readonly target: string | undefined;
    readonly error: unknown;
  }) => void;
  /** A state handle was created (`handleId` is the id its creating tool returns). */
  handleStarted: (event: { readonly kind: string; readonly handleId: string }) => void;
  /**
   * A state handle stopped: `idle` (its kind's `idleTimeoutMs` passed without a call), `removed`
   * (a handler called `ctx.handle.close()`, or its creating call failed), `swept`
   * (`runtime.sweepIdle`), `closed` (`runtime.close`) or `lease_lost` (in a cluster, this instance
   * no longer holds its id).
   */
  handleStopped: (event: {
    readonly kind: string;
    readonly handleId: string;
    readonly reason: StopReason;
  }) => void;
  /**
   * A state handle was not created: `overloaded` (its kind's `maxHandles` live handles) or
   * `too_many_per_principal` (the caller holds `maxPerPrincipal` of them); `limit` is the limit.
   */
  handleRefused: (event: {
    readonly kind: string;
    readonly reason: 'overloaded' | 'too_many_per_principal';
    readonly limit: number;
  }) => void;
  /**
   * A state handle's store (`defineHandle({ store })`) failed to `load` a record (the call that
   * would have revived the handle got a tool execution error) or to `delete` one (the record stays).
   * A failed `save` is a `handlerError` of the call it followed. `error` is a `HandleStoreError`
   * whose `cause` is what the store rejected with.
   */
  handleStoreError: (event: {
    readonly kind: string;
    readonly handleId: string;
    readonly operation: 'load' | 'delete';
    readonly error: unknown;
  }) => void;
  /**
   * A callback of the application's threw (or a placement's unsubscribe did); the runtime caught it
   * and carried on. `event` says which: the name of another runtime event whose listener threw;
   * `onNotification`, a `dispatch` caller's `DispatchOptions.onNotification` (the handler goes on
   * and its response arrives); `placement`, a function the placement's `onLost` or `onNotification`
   * returned to unregister the runtime's listener, which threw when `close()` called it (the close
   * completes regardless).
   */
  listenerError: (event: {
    readonly event: Exclude<keyof RuntimeEvents, 'listenerError'> | 'onNotification' | 'placement';
    readonly error: unknown;
  }) => void;
}
