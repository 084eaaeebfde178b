/**
 * The SSE streams of one endpoint: the budget they are opened under (`StreamBudget`), the lazily
 * opened answer of a POST (resumable: `ResumableStreams`), and the `GET` that opens a standalone
 * stream of a session or resumes a request stream (`StandaloneStreams`).
 */
import type { JsonRpcRequest } from '../protocol/jsonrpc.js';
import type { DispatchOptions } from '../runtime/types.js';
import type { SessionAccess, SessionRuntime } from '../server/createSessionRuntime.js';
import { refuse, refuseStream, sessionIdOf, streamHeaders } from './answers.js';
import type { ClusterRouter } from './ClusterRouter.js';
import type { EventStream, HttpExchange } from './exchange.js';
import { acceptsEventStream } from './headers.js';
import type { ResolvedHttpOptions } from './options.js';
import type { ResumableWriter } from './ResumableStreams.js';
import { ResumableStreams } from './ResumableStreams.js';
import { StandaloneStreams } from './StandaloneStreams.js';
import type { StreamRefusal } from './StreamBudget.js';
import { StreamBudget } from './StreamBudget.js';
import { keptAlive } from './sse.js';

/** The lazily opened SSE answer of one POST (see {@link EventStreams.lazyStream}). @internal */
export interface LazyStream {
  /** What the runtime gets for the request: its notifications and requests open the stream. */
  readonly options: DispatchOptions;
  /** The stream once open. */
  writer: ResumableWriter | undefined;
  /** Opens the stream now if the budget allows; `undefined` past it. */
  open(): ResumableWriter | undefined;
  /** The answers are in: stops the keep-alive clock that would open the stream. */
  settled(): void;
}

/** @internal */
export class EventStreams {
  readonly standalone: StandaloneStreams;
  private readonly resumable: ResumableStreams;
  private readonly budget: StreamBudget;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly options: ResolvedHttpOptions,
    /** Tells `onError`; never throws. */
    report: (error: unknown) => void,
    /** Fails an exchange from a timer, where a throw would end the process. */
    private readonly fail: (exchange: HttpExchange, error: unknown) => void,
    /** Forwards the streams of sessions owned by another instance; only in a cluster. */
    private readonly router?: ClusterRouter,
  ) {
    this.standalone = new StandaloneStreams(report);
    this.resumable = new ResumableStreams(1_000, report);
    this.budget = new StreamBudget(
      options.maxStreams,
      options.maxStreamsPerSession,
      options.maxStreamsPerPrincipal,
    );
  }

  /** A stopped session's streams end, so a client never listens to a session that will not speak. */
  endSession(sessionId: string): void {
    this.standalone.end(sessionId);
    this.resumable.forget(sessionId);
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
  lazyStream(
    exchange: HttpExchange,
    sessionId: string,
    access: SessionAccess,
    onOpen?: (writer: ResumableWriter) => void,
  ): LazyStream {
    let overBudget = false;
    const principalId = access.principal?.id;
    const open = (): ResumableWriter | undefined => {
      if (handle.writer !== undefined || overBudget) return handle.writer;
      if (this.acquire(sessionId, principalId, 1) !== undefined) {
        overBudget = true;
        return undefined;
      }
      const writer = this.resumable.begin(sessionId, this.openCounted(exchange, sessionId, principalId));
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
      telemetry: exchange.telemetry,
    };
    const keepAliveMs =
      this.router === undefined
        ? this.options.keepAliveMs
        : this.router.streamAfterMs(exchange, this.options.keepAliveMs);
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
   * `GET`: resumes the request stream `Last-Event-ID` names, or opens a standalone stream of the
   * session. A client that comes back is never locked out by a connection of its own that died
   * unnoticed (half-open, dropped by a proxy): a resumed request stream leaves its old connection,
   * and when the stream budget is full the session's oldest standalone stream is ended to make room.
   * The official SDK answers 409 to a second standalone stream; MCP 2025-11-25 ("Multiple
   * Connections") lets a client hold several, and asks only that each message go out on one of them
   * (here the newest), so clients that open a second GET keep both.
   */
  async openStandaloneStream(exchange: HttpExchange, access: SessionAccess): Promise<void> {
    if (!acceptsEventStream(exchange.header('accept'))) {
      refuse(this.runtime, exchange, 'not_acceptable_stream');
      return;
    }
    const sessionId = sessionIdOf(this.runtime, exchange);
    if (sessionId === undefined) return;
    // In a cluster, the stream of a session owned elsewhere (and its resumption) comes from there.
    if (this.router !== undefined && (await this.router.routeSession(exchange, sessionId))) return;
    // Another principal's session, and its replayable events, are as unknown as a made-up id.
    if (!this.runtime.has(sessionId, access)) {
      refuse(this.runtime, exchange, 'session_not_found');
      return;
    }
    const principalId = access.principal?.id;
    // A slot is taken only when the stream opens: a refusal holds none.
    const openStream = (): EventStream | undefined => {
      const refusal = this.acquire(sessionId, principalId, 0);
      if (refusal === undefined) return this.openCounted(exchange, sessionId, principalId);
      refuseStream(this.runtime, exchange, refusal);
      return undefined;
    };
    const lastEventId = exchange.header('last-event-id');
    if (lastEventId !== undefined && this.resumable.resume(sessionId, lastEventId, openStream)) {
      // A request stream resumed: what the client missed, then the rest of it.
      return;
    }
    const stream = openStream();
    if (stream === undefined) return;
    // Messages of the session that belong to no request (resources/updated, list_changed, a
    // handler's request to the client made outside a request stream) go out on its newest stream.
    this.standalone.add(sessionId, stream, () =>
      this.runtime.attach(sessionId, (message) => this.standalone.send(sessionId, message), access),
    );
  }

  /**
   * Takes a stream slot for the session. When a limit refuses, the session's oldest standalone
   * stream gives way if more than `keep` would remain (its slot counts in every limit that can
   * refuse): it is the likeliest to be dead, and the client asking is the one it belongs to.
   */
  private acquire(
    sessionId: string,
    principalId: string | undefined,
    keep: number,
  ): StreamRefusal | undefined {
    const refusal = this.budget.acquire(sessionId, principalId);
    if (refusal === undefined || this.standalone.countOf(sessionId) <= keep) return refusal;
    this.standalone.endOldest(sessionId);
    return this.budget.acquire(sessionId, principalId);
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
    stream.onClose(() => this.budget.release(sessionId, principalId));
    return keptAlive(stream, this.options.keepAliveMs);
  }
}
