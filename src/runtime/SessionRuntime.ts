/**
 * The public face of the runtime: `SessionRuntime`, which hands each message to its session's
 * actor through the directory (insert-if-absent), and its implementation.
 */

import { context } from '@opentelemetry/api';
import type { CacheHint, RequestEnvelope } from '../protocol/envelope.js';
import {
  ALL_PROTOCOL_VERSIONS,
  discoverResult,
  MODERN_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSIONS,
  REMOVED_METHODS,
  stampResult,
} from '../protocol/envelope.js';
import { errorResponse, errorTable, markRefusal } from '../protocol/errors.js';
import type {
  JsonRpcErrorResponse,
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
} from '../protocol/jsonrpc.js';
import { isRecord, jsonRpcNotification } from '../protocol/jsonrpc.js';
import type { ServerIdentity } from '../protocol/lifecycle.js';
import type { ParamHeaderDeclaration } from '../protocol/mcpHeaders.js';
import type { IncomingMessage, IncomingRequest } from '../protocol/messages.js';
import { parseMessage } from '../protocol/messages.js';
import { createRequestStateCodec } from '../protocol/requestState.js';
import { TASKS_EXTENSION, taskIdOf } from '../protocol/tasks.js';
import type { RuntimeConfig } from './config.js';
import type { ClaimRefusal, LookupRefusal } from './Directory.js';
import { Directory } from './Directory.js';
import { RuntimeEventEmitter } from './events.js';
import { HandleRegistry } from './HandleRegistry.js';
import type { HandleKindConfig } from './handleAccess.js';
import type { Listen, ListenCapabilities, ListenFilter, ListenSink, ListKind } from './ListenFeed.js';
import { ListenFeed } from './ListenFeed.js';
import type { MailboxEnvironment } from './Mailbox.js';
import { MethodLatencies } from './methodLatency.js';
import { COUNT_REFUSAL, MetricsRecorder } from './metrics.js';
import type { PendingRequest } from './PendingRequest.js';
import type { ActorKey, ClusterNotification, Location, Placement } from './placement.js';
import { PlacementUnavailableError, placementIdOf } from './placement.js';
import { RecentEvents } from './RecentEvents.js';
import type { SessionEnvironment } from './Session.js';
import { Session } from './Session.js';
import type { StatelessEnvironment } from './StatelessRequest.js';
import { StatelessRequest } from './StatelessRequest.js';
import { Subscriptions } from './Subscriptions.js';
import type { RuntimeSnapshot, SnapshotCandidate, SnapshotOptions } from './snapshot.js';
import { RecentTop, snapshotLimitOf, summaryOf } from './snapshot.js';
import type { TasksConfig, TaskTool } from './Tasks.js';
import { DEFAULT_TASKS_CONFIG, Tasks } from './Tasks.js';
import { RequestObservation } from './telemetry/requestSpan.js';
import { RuntimeGauges } from './telemetry/runtimeGauges.js';
import { recordSessionDuration } from './telemetry/sessionDuration.js';
import type {
  DispatchOptions,
  DispatchResult,
  Principal,
  RequestHandler,
  RuntimeMetrics,
  SessionInfo,
} from './types.js';

/**
 * Who is asking, for the calls a transport makes on a client's behalf (`has`, `attach`, `remove`).
 * Given, the session must be bound to `principal` (both absent counts as a match); omitted, the
 * call is the server's own and reaches any session.
 */
export interface SessionAccess {
  readonly principal: Principal | undefined;
}

/** Options of {@link SessionRuntime.close}. */
export interface CloseOptions {
  /**
   * How long running and queued requests may go on before they are cancelled.
   * @default 5_000
   */
  readonly drainMs?: number;
}

/** A runtime that owns the sessions of one MCP server. */
export interface SessionRuntime {
  /**
   * Hands one JSON-RPC message (already parsed from JSON) to session `sessionId`. Resolves with the
   * response for a request, or `undefined` for an accepted notification, a client's response, or a
   * request cancelled by the client. Never rejects; every outcome is a JSON-RPC response. A
   * notification the runtime refuses (unknown session, shutdown) resolves with an error response
   * whose `id` is `null`, so a transport can answer it with a status.
   */
  dispatch(sessionId: string, message: unknown, options?: DispatchOptions): Promise<DispatchResult>;
  /**
   * {@link SessionRuntime.dispatch} for a message the caller has classified already with
   * `parseMessage` (a transport classifies each message once, at the edge, and hands the result
   * here). An `invalid` message is answered with its error response. Same outcomes as `dispatch`.
   */
  deliver(sessionId: string, message: IncomingMessage, options?: DispatchOptions): Promise<DispatchResult>;
  /**
   * Serves one MCP 2026-07-28 request without a session (SEP-2575): `envelope` is what its
   * `params._meta` says (`classifyEra` in the protocol layer reads it). Answers `server/discover`;
   * the removed methods (`initialize`, `ping`, `logging/setLevel`, `resources/subscribe|unsubscribe`)
   * and unknown ones get -32601; a version this server does not speak gets `unsupported_version`
   * (-32022, `data.supported`, `data.requested`); every result carries `resultType`, the server's
   * identity in `_meta` and, where SEP-2549 asks, cache hints. Never rejects; `undefined` when the
   * request was cancelled (`options.signal`).
   */
  serve(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options?: DispatchOptions,
  ): Promise<DispatchResult>;
  /** What this server says of itself: `serverInfo`, capabilities (derived from what is registered), instructions. */
  readonly server: ServerIdentity;
  /**
   * The `x-mcp-header` declarations of tool `name` (MCP 2026-07-28, SEP-2243): the arguments a
   * client mirrors in `Mcp-Param-*` headers; an empty list for a tool without any or an unknown one.
   */
  paramHeadersOf(name: string): readonly ParamHeaderDeclaration[];
  /**
   * Attaches the listener for a session's messages that belong to no request: requests its handlers
   * send outside a request stream, notifications from {@link SessionRuntime.notify}. One listener per
   * session; attaching another replaces it. Returns a detach function, or `undefined` if no such
   * session is live. The listener is dropped when the session stops.
   */
  attach(
    sessionId: string,
    listener: (message: JsonRpcMessage) => void,
    access?: SessionAccess,
  ): (() => void) | undefined;
  /**
   * Sends a notification to one session's attached listener (e.g. `notifications/tools/list_changed`).
   * Returns false if the session is not live or nobody is attached.
   */
  notify(sessionId: string, notification: Omit<JsonRpcNotification, 'jsonrpc'>): boolean;
  /**
   * Tells every session subscribed to `uri` (`resources/subscribe`) that it changed, through its
   * attached listener. Returns how many sessions were told here. With a `placement`, also
   * published to the other instances, which tell their own sessions.
   */
  notifyResourceUpdated(uri: string): number;
  /**
   * Tells clients that a list changed: every 2025 session through its attached listener, and every
   * 2026-07-28 `subscriptions/listen` that asked for that kind. Returns how many were told here.
   * With a `placement`, also published to the other instances, which tell their own.
   */
  notifyListChanged(list: ListKind): number;
  /**
   * Opens a `subscriptions/listen` of MCP 2026-07-28 for a transport: `sink` gets the notifications
   * the client asked for and the server serves (`honored`); `'limit'` when the principal holds
   * `maxSubscriptionsPerPrincipal` listens already, `'too_many_uris'` past 100 `resourceSubscriptions` or `taskIds`,
   * `'closed'` once the runtime is closing; each refusal counts in `metrics().rejected` under the
   * reason a transport answers it with (`overloaded`, `invalid_params`, `shutting_down`). On
   * `close()` every listen's `sink.end()` is called. `taskIds` honoured: without a `placement`, the
   * caller's own live tasks; with one, every id listed (a task may run on another instance), and a
   * task's status reaches only its own principal's listens, on every instance.
   */
  listen(
    filter: ListenFilter,
    sink: ListenSink,
    access?: SessionAccess,
  ): Listen | 'limit' | 'too_many_uris' | 'closed';
  /** Whether a session is live (and reachable by `access.principal`): cheaper than `info`. */
  has(sessionId: string, access?: SessionAccess): boolean;
  /** A snapshot of a live session, or `undefined`. */
  info(sessionId: string): SessionInfo | undefined;
  /**
   * Stops a session now: its queued requests are answered `session_closed`, running ones aborted.
   * With `access`, only a session bound to `access.principal` is removed.
   */
  remove(sessionId: string, access?: SessionAccess): boolean;
  /**
   * Where this runtime's actors run in a cluster (the `placement` option), or `undefined` for a
   * runtime that is a cluster of one.
   */
  readonly placement: Placement | undefined;
  /**
   * The actor a 2026-07-28 request is addressed to, for routing it in a cluster: the task of
   * `tasks/get|update|cancel` (its `taskId`), the state handle of a `tools/call` of a tool that takes
   * one (its id argument); `undefined` for a request any instance may serve.
   */
  actorOf(message: IncomingRequest): ActorKey | undefined;
  /**
   * Where `key`'s actor runs. `local` when it is live here (and this instance still holds it), and
   * always without a `placement` (this runtime then answers an unknown id itself); else what
   * `placement.locate` says, a `remote` naming this instance being `local`. Rejects with
   * `PlacementUnavailableError` only, when the placement's store cannot answer.
   */
  locate(key: ActorKey): Promise<Location>;
  /** Live sessions. */
  readonly size: number;
  /** True until `close()` is called: the runtime takes new sessions and requests (readiness). */
  readonly accepting: boolean;
  /** Stops every session with no work and no traffic for `thresholdMs`; returns how many stopped. */
  sweepIdle(thresholdMs: number): number;
  /** A copy of the counters. */
  metrics(): RuntimeMetrics;
  /**
   * What a dashboard shows, in one pass over the live actors: sessions by state, handles by kind,
   * tasks by status, resting actors, in flight and queued, request counters, handler durations per
   * method, the latest 50 stops and refusals, and a page of at most `limit` actors (default 50, at
   * most 500; the most recently active first) with shortened ids and no payloads. Linear in the live
   * actors (with a bounded heap for the page); meant for a once-a-second poll, not for the request
   * path.
   * @throws TypeError when `limit` is not an integer from 0 to 500.
   * @example
   * ```ts
   * const { sessions, actors } = runtime.snapshot({ limit: 10 });
   * console.log(sessions.live, actors[0]?.id); // 3 '1f0c9a2e…'
   * ```
   */
  snapshot(options?: SnapshotOptions): RuntimeSnapshot;
  /** Runtime events: `sessionStarted`, `sessionStopped`, `overload`, `handlerError`, `listenerError`. */
  readonly events: RuntimeEventEmitter;
  /**
   * Stops accepting messages (`shutting_down`), lets running and queued requests finish for up to
   * `drainMs`, then cancels the rest. Resolves when every session has stopped. Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
}

const RESOURCE_NOT_FOUND = errorTable.resource_not_found.jsonRpcCode;
const INVALID_PARAMS = errorTable.invalid_params.jsonRpcCode;

const LOCAL: Location = Object.freeze({ kind: 'local' });

const LIST_KINDS: ReadonlySet<string> = new Set(['tools', 'prompts', 'resources']);

const NO_DECLARATIONS: readonly ParamHeaderDeclaration[] = Object.freeze([]);

/** SEP-2549's defaults: a client may not reuse a result, nor share it between users. */
const DEFAULT_CACHE_HINT: CacheHint = Object.freeze({ ttlMs: 0, cacheScope: 'private' });

/**
 * The capabilities a 2026-07-28 client is told of: the registered ones, and for each list served
 * `listChanged` (announced on `subscriptions/listen` by `notifyListChanged`); resource updates
 * come through a listen's `resourceSubscriptions`.
 */
function modernCapabilitiesOf(
  capabilities: Readonly<Record<string, unknown>>,
  served: ListenCapabilities,
  tasks: boolean,
): Readonly<Record<string, unknown>> {
  const modern: Record<string, unknown> = { ...capabilities };
  // The tasks extension (SEP-2663) is announced under `extensions`, never as a `tasks` capability.
  if (tasks) {
    const extensions = modern.extensions as Readonly<Record<string, unknown>> | undefined;
    modern.extensions = { ...extensions, [TASKS_EXTENSION]: {} };
  }
  for (const kind of ['tools', 'prompts', 'resources'] as const) {
    const own = capabilities[kind] as Readonly<Record<string, unknown>> | undefined;
    if (own !== undefined && served[kind]) modern[kind] = { ...own, listChanged: true };
  }
  return modern;
}

/**
 * The runtime facade over the directory of session actors. It routes each message to its key's
 * actor and knows nothing of tools, resources or prompts: the composition root hands it the
 * method → handler map and the server's identity.
 *
 * @internal
 */
export class SessionRuntimeImpl implements SessionRuntime {
  readonly events = new RuntimeEventEmitter();
  private readonly metricsRecorder = new MetricsRecorder();
  private readonly directory: Directory<Session>;
  private readonly options: RuntimeConfig;
  private readonly subscriptions: Subscriptions | undefined;
  private readonly stateless: StatelessEnvironment;
  private readonly listens: ListenFeed;
  /** The state handles of every kind the tools take or open. */
  private readonly handles: HandleRegistry;
  /** Sessionless requests not yet answered (`maxStatelessRequests` bounds them; `close()` drains them). */
  private readonly serving = new Set<StatelessRequest>();
  /** Resolves the drain of sessionless requests when the last is answered; set while closing. */
  private drainedStateless: (() => void) | undefined;
  /** The capabilities `server/discover` answers with (the 2026 revision's subset). */
  private readonly modernCapabilities: Readonly<Record<string, unknown>>;
  readonly server: ServerIdentity;
  private closing: Promise<void> | undefined;
  /** The latest stops and refusals; listens from the first `snapshot()` on. */
  private recent: RecentEvents | undefined;
  /** The tasks extension (SEP-2663): the live tasks and `tasks/*`, on the 2026-07-28 path. */
  private readonly tasks: Tasks;
  /** The observable instruments' readings, taken from the counters at collection time. */
  private readonly gauges: RuntimeGauges;
  /** What the placement returned from `onLost` and `onNotification`: called once closed. */
  private readonly detachPlacement: (() => void)[] = [];

  /**
   * @param options validated settings with defaults applied.
   * @param handlers method → handler, built-in session methods excluded.
   * @param server what `initialize` answers with.
   * @param resourceSubscriptions whether `resources/subscribe` is served.
   * @param toolParamHeaders each tool's `x-mcp-header` declarations, for {@link paramHeadersOf}.
   * @param handleKinds the kinds of state handle the tools take or open.
   * @param interleaves which requests start at once beside a session's ordered ones (interleaving tools).
   * @param taskTools the tools that may run as tasks (the tasks extension), by name.
   * @param tasksConfig the tasks extension's settings.
   * @param handleArguments for each tool that takes a state handle, the name of its handle id
   *   argument, for {@link actorOf}.
   */
  constructor(
    options: RuntimeConfig,
    handlers: ReadonlyMap<string, RequestHandler<unknown>>,
    server: ServerIdentity,
    resourceSubscriptions: boolean,
    private readonly toolParamHeaders: ReadonlyMap<string, readonly ParamHeaderDeclaration[]> = new Map(),
    handleKinds: readonly HandleKindConfig[] = [],
    interleaves?: MailboxEnvironment['interleaves'],
    taskTools: ReadonlyMap<string, TaskTool> = new Map(),
    tasksConfig: TasksConfig = DEFAULT_TASKS_CONFIG,
    private readonly handleArguments: ReadonlyMap<string, string> = new Map(),
  ) {
    this.options = options;
    this.server = server;
    this.subscriptions = resourceSubscriptions ? new Subscriptions() : undefined;
    const listed = (prefix: string) => handlers.has(`${prefix}/list`);
    const served = { tools: listed('tools'), prompts: listed('prompts'), resources: listed('resources') };
    this.listens = new ListenFeed(
      served,
      options.maxSubscriptionsPerPrincipal,
      this.subscriptions,
      this.metricsRecorder,
      // In a cluster a task may run on another instance, which this one cannot ask synchronously:
      // every id is honoured there, and `taskChanged` tells only the task's own principal.
      (taskId, principal) => options.placement !== undefined || this.tasks.has(taskId, principal),
    );
    const dispatch: SessionEnvironment['dispatch'] = (sessionId, message, options, caller) =>
      this.route(sessionId, message, options, caller);
    this.handles = new HandleRegistry(handleKinds, options, this.events, dispatch, this.metricsRecorder);
    this.modernCapabilities = modernCapabilitiesOf(server.capabilities, served, taskTools.size > 0);
    const environment: SessionEnvironment = {
      options,
      handlers,
      server,
      metrics: this.metricsRecorder,
      events: this.events,
      subscriptions: this.subscriptions,
      dispatch,
      handles: this.handles,
      interleaves,
    };
    this.stateless = {
      requestState: createRequestStateCodec({
        keys: options.requestStateKeys,
        now: () => options.clock.now(),
      }),
      options,
      handlers,
      metrics: this.metricsRecorder,
      events: this.events,
      dispatch,
      handles: this.handles,
    };
    this.tasks = new Tasks(options, this.stateless, tasksConfig, taskTools);
    // Task status notifications (SEP-2663) go to the listens that asked for the task, on every
    // instance of a cluster.
    this.tasks.listener = (taskId, owner, task) => {
      this.listens.taskChanged(taskId, owner, task);
      options.placement?.publish({ type: 'taskStatus', taskId, principal: owner, task });
    };
    const { metricsRecorder: metrics, events } = this;
    const { placement } = options;
    this.directory = new Directory<Session>(
      {
        maxEntries: options.maxSessions,
        maxPerPrincipal: options.maxSessionsPerPrincipal,
        // Sessions opened without a principal are not limited per principal (only by maxSessions).
        anonymousIsOnePrincipal: false,
        create: (sessionId, owner, parent) => new Session(sessionId, owner, environment, parent),
        started: (sessionId) => {
          metrics.sessions++;
          metrics.sessionsStarted++;
          events.safeEmit('sessionStarted', { sessionId });
        },
        stopped: (sessionId, _owner, reason, session) => {
          metrics.sessions--;
          metrics.sessionsStopped[reason]++;
          if (session !== undefined) recordSessionDuration(session, reason, options.clock.now());
          events.safeEmit('sessionStopped', { sessionId, reason });
        },
        refused: (sessionId, reason, limit) => {
          events.safeEmit('overload', {
            sessionId,
            reason: reason === 'overloaded' ? 'overloaded' : 'too_many_sessions',
            limit,
          });
        },
        inspect: options.inspect,
      },
      placement === undefined ? undefined : { placement, kind: 'session' },
    );
    this.gauges = new RuntimeGauges(this);
    this.gauges.sync();
    if (placement !== undefined) {
      const lost = placement.onLost((id) => this.lost(id));
      const notified = placement.onNotification((notification) => this.deliverNotification(notification));
      for (const detach of [lost, notified])
        if (typeof detach === 'function') this.detachPlacement.push(detach);
    }
  }

  /** Unregisters this runtime's listeners from its placement, once closed. */
  private detachFromPlacement(): void {
    for (const detach of this.detachPlacement.splice(0)) {
      try {
        detach();
      } catch (error) {
        // The placement's failure must not fail the close; it is told like a listener's failure.
        this.events.safeEmit('listenerError', { event: 'placement', error });
      }
    }
  }

  /** The placement lost `id` (`<kind>:<id>`): its actor, if live here, stops now (`lease_lost`). */
  private lost(id: string): void {
    const colon = id.indexOf(':');
    const kind = id.slice(0, colon);
    const key = id.slice(colon + 1);
    if (kind === 'session') this.directory.lost(key);
    else if (kind === 'handle') this.handles.lost(key);
    else if (kind === 'task') this.tasks.lost(key);
  }

  /** Another instance's notification: told to this instance's clients, never published again. */
  private deliverNotification(notification: ClusterNotification): void {
    if (notification.type === 'resourceUpdated') this.tellResourceUpdated(notification.uri);
    else if (notification.type === 'listChanged' && LIST_KINDS.has(notification.list))
      this.tellListChanged(notification.list);
    else if (notification.type === 'taskStatus')
      this.listens.taskChanged(notification.taskId, notification.principal, notification.task);
  }

  get size(): number {
    return this.directory.size;
  }

  get accepting(): boolean {
    return this.closing === undefined;
  }

  dispatch(sessionId: string, message: unknown, options?: DispatchOptions): Promise<DispatchResult> {
    return this.route(sessionId, message, options, undefined);
  }

  deliver(sessionId: string, message: IncomingMessage, options?: DispatchOptions): Promise<DispatchResult> {
    return this.deliverFrom(sessionId, message, options, undefined);
  }

  serve(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options?: DispatchOptions,
  ): Promise<DispatchResult> {
    const observation = RequestObservation.start(message, undefined, options?.telemetry);
    if (observation === undefined) return this.serveModern(message, envelope, options);
    if (this.closing === undefined) this.gauges.sync(observation.meterInstruments);
    const traceContext = observation.context;
    const served =
      traceContext === undefined
        ? this.serveModern(message, envelope, options)
        : context.with(traceContext, this.serveModern, this, message, envelope, options);
    return served.then((response) => {
      observation.end(response, envelope.protocolVersion);
      return response;
    });
  }

  private serveModern(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options: DispatchOptions | undefined,
  ): Promise<DispatchResult> {
    const { id, method } = message;
    const metrics = this.metricsRecorder;
    if (!MODERN_PROTOCOL_VERSIONS.includes(envelope.protocolVersion)) {
      metrics.reject('unsupported_version');
      return Promise.resolve(
        errorResponse(id, 'unsupported_version', undefined, {
          supported: ALL_PROTOCOL_VERSIONS,
          requested: envelope.protocolVersion,
        }),
      );
    }
    if (REMOVED_METHODS.has(method)) {
      metrics.reject('method_not_found');
      return Promise.resolve(
        errorResponse(
          id,
          'method_not_found',
          `Method not found: ${method} (removed in ${MODERN_PROTOCOL_VERSION})`,
        ),
      );
    }
    if (!this.directory.accepting) {
      metrics.reject('shutting_down');
      return Promise.resolve(
        markRefusal(
          errorResponse(id, 'shutting_down', undefined, {
            retryAfterSeconds: this.options.retryAfterSeconds,
          }),
        ),
      );
    }
    if (method === 'server/discover') {
      const result = discoverResult(this.modernCapabilities, this.server.instructions);
      return Promise.resolve({ jsonrpc: '2.0', id, result: this.stamp(method, result) });
    }
    // The tasks extension (SEP-2663): `tasks/*`, and the calls of tools that may run as tasks.
    if (this.tasks.served) {
      if (this.tasks.handles(method))
        return Promise.resolve(this.answerModern(method, this.tasks.serve(message, envelope, options)));
      if (method === 'tools/call') {
        const run = (step: IncomingRequest, stepOptions: DispatchOptions | undefined) =>
          this.runStateless(step, envelope, stepOptions);
        const tasked = this.tasks.call(message, envelope, options, run);
        if (tasked !== undefined) return tasked.then((response) => this.answerModern(method, response));
      }
    }
    return this.runStateless(message, envelope, options).then((response) =>
      this.answerModern(method, response),
    );
  }

  /** Runs a 2026-07-28 request in a `StatelessRequest` (bounded by `maxStatelessRequests`); the answer unstamped. */
  private runStateless(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options: DispatchOptions | undefined,
  ): Promise<DispatchResult> {
    const metrics = this.metricsRecorder;
    const { id } = message;
    if (this.serving.size >= this.options.maxStatelessRequests) {
      metrics.reject('overloaded');
      this.events.safeEmit('overload', {
        sessionId: '',
        reason: 'overloaded',
        limit: this.options.maxStatelessRequests,
      });
      return Promise.resolve(
        errorResponse(id, 'overloaded', undefined, {
          retryAfterSeconds: this.options.retryAfterSeconds,
          limit: this.options.maxStatelessRequests,
        }),
      );
    }
    const request = new StatelessRequest(options?.principal?.id, this.stateless, envelope);
    // Tracked until answered, so that `close()` drains it like a session's work.
    this.serving.add(request);
    return request.serve(message, options).then((response) => {
      this.served(request);
      return response;
    });
  }

  /** A 2026-07-28 answer on its way out: results stamped, an unknown resource's -32002 made -32602. */
  private answerModern(method: string, response: DispatchResult): DispatchResult {
    if (response === undefined) return response;
    if ('result' in response)
      return { jsonrpc: '2.0', id: response.id, result: this.stamp(method, response.result) };
    // 2026-07-28 ("Resources" › "Error Handling"): an unknown resource is -32602 with `data.uri`;
    // -32002 must not be sent at this revision.
    if (response.error.code !== RESOURCE_NOT_FOUND) return response;
    return { jsonrpc: '2.0', id: response.id, error: { ...response.error, code: INVALID_PARAMS } };
  }

  get placement(): Placement | undefined {
    return this.options.placement;
  }

  actorOf(message: IncomingRequest): ActorKey | undefined {
    const { method, params } = message;
    if (method === 'tasks/get' || method === 'tasks/update' || method === 'tasks/cancel') {
      const taskId = taskIdOf(params);
      return taskId === undefined ? undefined : { kind: 'task', id: taskId };
    }
    if (method === 'tools/call') {
      const { name } = params;
      const argument = typeof name === 'string' ? this.handleArguments.get(name) : undefined;
      if (argument === undefined) return undefined;
      const args = params.arguments;
      const id = isRecord(args) ? args[argument] : undefined;
      return typeof id === 'string' && id.length > 0 ? { kind: 'handle', id } : undefined;
    }
    return undefined;
  }

  locate(key: ActorKey): Promise<Location> {
    const { placement } = this.options;
    if (placement === undefined || this.isLiveHere(key)) return Promise.resolve(LOCAL);
    const { instanceId } = placement;
    return placement
      .locate(placementIdOf(key))
      .then((location) =>
        location.kind === 'remote' && location.instanceId === instanceId ? LOCAL : location,
      );
  }

  /** Whether `key`'s actor is live here and this instance holds its id (else it stops now). */
  private isLiveHere(key: ActorKey): boolean {
    switch (key.kind) {
      case 'session':
        return this.directory.get(key.id) !== undefined;
      case 'handle':
        return this.handles.has(key.id);
      default:
        return this.tasks.live(key.id);
    }
  }

  paramHeadersOf(name: string): readonly ParamHeaderDeclaration[] {
    return this.toolParamHeaders.get(name) ?? NO_DECLARATIONS;
  }

  /** A sessionless request was answered: it no longer holds up a drain. */
  private served(request: StatelessRequest): void {
    this.serving.delete(request);
    if (this.serving.size === 0) this.drainedStateless?.();
  }

  private stamp(method: string, result: Readonly<Record<string, unknown>>): Record<string, unknown> {
    return stampResult(
      method,
      result,
      this.server.serverInfo,
      this.options.cacheHints[method] ?? DEFAULT_CACHE_HINT,
    );
  }

  private route(
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ): Promise<DispatchResult> {
    return this.deliverFrom(sessionId, parseMessage(message), options, caller);
  }

  /**
   * A request observed (its SERVER span, its duration) when telemetry is collected; anything else,
   * or everything while no OpenTelemetry SDK is registered, straight to {@link deliverUnobserved}.
   * Notifications get no span: the runtime answers them in the same step, with nothing to time.
   */
  private deliverFrom(
    sessionId: string,
    incoming: IncomingMessage,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ): Promise<DispatchResult> {
    if (incoming.kind !== 'request') return this.deliverUnobserved(sessionId, incoming, options, caller);
    const observation = RequestObservation.start(incoming, sessionId, options?.telemetry);
    if (observation === undefined) return this.deliverUnobserved(sessionId, incoming, options, caller);
    if (this.closing === undefined) this.gauges.sync(observation.meterInstruments);
    const traceContext = observation.context;
    const delivered =
      traceContext === undefined
        ? this.deliverUnobserved(sessionId, incoming, options, caller)
        : context.with(traceContext, this.deliverUnobserved, this, sessionId, incoming, options, caller);
    return delivered.then((response) => {
      observation.end(response, this.protocolVersionOf(sessionId, response));
      return response;
    });
  }

  /** The revision a 2025 session speaks (the one `initialize` just agreed on, for its answer). */
  private protocolVersionOf(sessionId: string, response: DispatchResult): string | undefined {
    const agreed =
      response !== undefined && 'result' in response ? response.result.protocolVersion : undefined;
    if (typeof agreed === 'string') return agreed;
    return this.directory.get(sessionId)?.protocolVersion;
  }

  private deliverUnobserved(
    sessionId: string,
    incoming: IncomingMessage,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ): Promise<DispatchResult> {
    if (incoming.kind === 'invalid') {
      this.metricsRecorder.reject(incoming.reason);
      return Promise.resolve(incoming.response);
    }
    const id = incoming.kind === 'notification' ? null : incoming.id;
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      this.metricsRecorder.reject('session_not_found');
      return Promise.resolve(errorResponse(id, 'session_not_found', 'Session id missing'));
    }
    const mayCreate = options?.mayCreate !== false && this.mayCreate(incoming);
    const owner = options?.principal?.id;
    const { directory } = this;
    // In a cluster a new session's id is claimed before its actor starts, so the `initialize`
    // answer that reveals it follows the claim. A live session takes the synchronous path.
    if (mayCreate && this.options.placement !== undefined && directory.accepting) {
      if (directory.get(sessionId) === undefined) {
        return directory
          .claimed(sessionId, () => directory.getOrCreate(sessionId, true, owner))
          .then((session) => {
            if (session instanceof PlacementUnavailableError || session === 'claim_refused')
              return this.claimRefusal(id, session);
            if (typeof session === 'string') return this.refusal(id, session);
            return this.handOver(session, incoming, options, caller);
          });
      }
    }
    const session = directory.getOrCreate(sessionId, mayCreate, owner);
    if (typeof session === 'string') return Promise.resolve(this.refusal(id, session));
    return this.handOver(session, incoming, options, caller);
  }

  /** Hands a classified message to its session. */
  private handOver(
    session: Session,
    incoming: Exclude<IncomingMessage, { readonly kind: 'invalid' }>,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ): Promise<DispatchResult> {
    switch (incoming.kind) {
      case 'request':
        return session.request(incoming, options, caller);
      case 'notification':
        return session.notification(incoming);
      default:
        // A client's answer to a server-initiated request: straight to the handler awaiting it.
        session.response(incoming);
        return Promise.resolve(undefined);
    }
  }

  /**
   * The answer to a message for a new session whose id could not be claimed: another instance holds
   * it (answered as an unknown session, `session_not_found`), or the placement's store cannot
   * answer (`cluster_unavailable`, with its `retryAfterSeconds`). Counted as refused by that reason.
   */
  private claimRefusal(id: JsonRpcId | null, refusal: ClaimRefusal): JsonRpcErrorResponse {
    if (refusal === 'claim_refused') {
      this.metricsRecorder.reject('claim_refused');
      return errorResponse(id, 'session_not_found');
    }
    this.metricsRecorder.reject('cluster_unavailable');
    return errorResponse(id, 'cluster_unavailable', undefined, {
      retryAfterSeconds: refusal.retryAfterSeconds,
    });
  }

  /** The error answer to a message the directory could not hand to a session (counted as refused). */
  private refusal(id: JsonRpcId | null, refusal: LookupRefusal): JsonRpcErrorResponse {
    const { options } = this;
    switch (refusal) {
      case 'not_found':
        this.metricsRecorder.reject('session_not_found');
        return errorResponse(id, 'session_not_found');
      case 'shutting_down':
        this.metricsRecorder.reject('shutting_down');
        return markRefusal(
          errorResponse(id, 'shutting_down', undefined, { retryAfterSeconds: options.retryAfterSeconds }),
        );
      case 'overloaded':
        this.metricsRecorder.reject('overloaded');
        return errorResponse(id, 'overloaded', undefined, {
          retryAfterSeconds: options.retryAfterSeconds,
          limit: options.maxSessions,
        });
      default:
        this.metricsRecorder.reject('too_many_sessions');
        return errorResponse(id, 'too_many_sessions', undefined, {
          retryAfterSeconds: options.retryAfterSeconds,
          limit: options.maxSessionsPerPrincipal,
        });
    }
  }

  private mayCreate(message: IncomingMessage): boolean {
    if (this.options.spawnPolicy === 'any')
      return message.kind === 'request' || message.kind === 'notification';
    return message.kind === 'request' && message.method === 'initialize';
  }

  /** The session, checked against the caller's principal when the caller names one. */
  private lookUp(sessionId: string, access: SessionAccess | undefined) {
    return access === undefined
      ? this.directory.get(sessionId)
      : this.directory.reach(sessionId, access.principal?.id);
  }

  attach(
    sessionId: string,
    listener: (message: JsonRpcMessage) => void,
    access?: SessionAccess,
  ): (() => void) | undefined {
    return this.lookUp(sessionId, access)?.attach(listener);
  }

  notify(sessionId: string, notification: Omit<JsonRpcNotification, 'jsonrpc'>): boolean {
    const message = jsonRpcNotification(notification.method, notification.params);
    return this.directory.get(sessionId)?.send(message) ?? false;
  }

  notifyResourceUpdated(uri: string): number {
    const told = this.tellResourceUpdated(uri);
    this.options.placement?.publish({ type: 'resourceUpdated', uri });
    return told;
  }

  private tellResourceUpdated(uri: string): number {
    return this.subscriptions?.notifyUpdated(uri) ?? 0;
  }

  notifyListChanged(list: ListKind): number {
    if (list !== 'tools' && list !== 'prompts' && list !== 'resources') {
      throw new TypeError(`Expected \`list\` to be 'tools', 'prompts' or 'resources', got ${String(list)}`);
    }
    const told = this.tellListChanged(list);
    this.options.placement?.publish({ type: 'listChanged', list });
    return told;
  }

  private tellListChanged(list: ListKind): number {
    let told = this.listens.listChanged(list);
    const message = jsonRpcNotification(`notifications/${list}/list_changed`);
    for (const session of [...this.directory.values()]) if (session.live && session.send(message)) told++;
    return told;
  }

  listen(
    filter: ListenFilter,
    sink: ListenSink,
    access?: SessionAccess,
  ): Listen | 'limit' | 'too_many_uris' | 'closed' {
    return this.listens.open(filter, access?.principal?.id, sink);
  }

  has(sessionId: string, access?: SessionAccess): boolean {
    return this.lookUp(sessionId, access) !== undefined;
  }

  info(sessionId: string): SessionInfo | undefined {
    return this.directory.get(sessionId)?.info();
  }

  remove(sessionId: string, access?: SessionAccess): boolean {
    const session = this.lookUp(sessionId, access);
    if (session === undefined) return false;
    session.actor.send({ type: 'remove' });
    return true;
  }

  sweepIdle(thresholdMs: number): number {
    if (!(thresholdMs >= 0))
      throw new TypeError(`Expected \`thresholdMs\` to be a number >= 0, got ${thresholdMs}`);
    let stopped = 0;
    for (const session of [...this.directory.values()]) {
      session.sweep(thresholdMs);
      if (!session.live) stopped++;
    }
    return stopped;
  }

  /** A transport's own refusal, counted with the runtime's (`countRefusal`). @internal */
  [COUNT_REFUSAL](reason: string): void {
    this.metricsRecorder.reject(reason);
  }

  metrics(): RuntimeMetrics {
    return { ...this.metricsRecorder.snapshot(), handles: this.handles.metrics() };
  }

  /** For the gauges, at collection time: live actors resting, by kind. @internal */
  restingActors(): Readonly<Record<'session' | 'handle' | 'task', number>> {
    let session = 0;
    for (const entry of this.directory.values()) if (entry.isResting) session++;
    return { session, handle: this.handles.resting(), task: this.tasks.resting() };
  }

  /** For the gauges, at collection time: live tasks by status. @internal */
  tasksByStatus(): Readonly<Record<string, number>> {
    return this.tasks.byStatus();
  }

  /** For the gauges, at collection time: server→client requests awaiting the client. @internal */
  outboundPending(): number {
    let pending = 0;
    for (const session of this.directory.values()) pending += session.outboundPending;
    return pending;
  }

  snapshot(options?: SnapshotOptions): RuntimeSnapshot {
    const limit = snapshotLimitOf(options);
    const { clock } = this.options;
    // What is recorded only for a watched runtime starts now.
    this.recent ??= new RecentEvents(this.events, () => clock.now());
    this.metricsRecorder.latencies ??= new MethodLatencies();
    const latencies = this.metricsRecorder.latencies;
    const now = clock.now();
    const top = new RecentTop(limit);
    const sessionStates: Record<string, number> = {};
    let restingSessions = 0;
    let live = 0;
    for (const session of this.directory.values()) {
      if (!session.live) continue;
      live++;
      const state = session.state;
      sessionStates[state] = (sessionStates[state] ?? 0) + 1;
      if (session.isResting) restingSessions++;
      top.offer({ entry: session, kind: 'session', handleKind: undefined, state });
    }
    const handles: Record<string, { live: number; resting: number }> = {};
    for (const name of this.handles.kindNames()) handles[name] = { live: 0, resting: 0 };
    let restingHandles = 0;
    this.handles.forEach((kind, handle) => {
      if (!handle.live) return;
      const counts = handles[kind] as { live: number; resting: number };
      counts.live++;
      if (handle.isResting) {
        counts.resting++;
        restingHandles++;
      }
      top.offer({ entry: handle, kind: 'handle', handleKind: kind, state: handle.lifecycle });
    });
    const taskStatuses: Record<string, number> = {};
    let liveTasks = 0;
    for (const task of this.tasks.values()) {
      if (!task.live) continue;
      liveTasks++;
      const status = task.status;
      taskStatuses[status] = (taskStatuses[status] ?? 0) + 1;
      top.offer({ entry: task, kind: 'task', handleKind: undefined, state: status });
    }
    const metrics = this.metricsRecorder;
    let rejected = 0;
    for (const reason in metrics.rejected) rejected += metrics.rejected[reason] as number;
    return {
      at: now,
      sessions: { live, resting: restingSessions, byState: sessionStates },
      handles,
      tasks: { live: liveTasks, byStatus: taskStatuses },
      resting: restingSessions + restingHandles,
      inFlight: metrics.inFlight,
      queued: metrics.queued,
      requests: {
        accepted: metrics.accepted,
        completed: metrics.completed,
        failed: metrics.failed,
        cancelled: metrics.cancelled,
        rejected,
      },
      methods: latencies.summary(),
      actors: top.sorted().map((candidate: SnapshotCandidate) => summaryOf(candidate, now)),
      recent: this.recent.list(),
    };
  }

  close(options: CloseOptions = {}): Promise<void> {
    // Lease losses still stop actors during the drain; once every actor has stopped, the placement
    // has nothing left to tell this runtime.
    if (this.closing !== undefined) return this.closing;
    // Set before the shutdown starts: it stops idle actors synchronously and tells listeners, and a
    // listener that calls `close()` again (or asks `accepting`) must find the runtime closing.
    let settle: { resolve(): void; reject(error: unknown): void } | undefined;
    this.closing = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const { resolve, reject } = settle as { resolve(): void; reject(error: unknown): void };
    this.shutDown(options.drainMs ?? 5_000)
      .then(() => this.detachFromPlacement())
      .then(resolve, reject);
    return this.closing;
  }

  private shutDown(drainMs: number): Promise<void> {
    const { clock } = this.options;
    // A listen has no work to drain: it ends at once, with its completion result.
    this.listens.endAll();
    const sessionsClosed = this.directory.emptied();
    // Sessionless requests drain beside the sessions: `serve` refuses new ones from now on.
    const statelessDrained = new Promise<void>((resolve) => {
      if (this.serving.size === 0) resolve();
      else this.drainedStateless = resolve;
    });
    // Handles and tasks drain beside them: finished tasks stop at once, running work may finish.
    const handlesClosed = this.handles.close();
    const tasksClosed = this.tasks.close();
    // The gauges go on reporting through the drain, and stop once every actor has stopped.
    const closed = Promise.all([sessionsClosed, statelessDrained, handlesClosed, tasksClosed]).then(() =>
      this.gauges.close(),
    );
    this.directory.close();
    const expire = () => {
      // Handles first: a caller ended before its handle would cancel its call there, and the
      // handle would start the next queued call (with no cancel grace) just before it stops.
      this.handles.expire();
      for (const session of [...this.directory.values()]) session.actor.send({ type: 'drainExpired' });
      this.tasks.expire();
      for (const request of [...this.serving]) request.shutDown();
    };
    if (drainMs <= 0) {
      expire();
      return closed;
    }
    const timer = clock.setTimeout(expire, drainMs);
    return closed.then(() => clock.clearTimeout(timer));
  }
}
