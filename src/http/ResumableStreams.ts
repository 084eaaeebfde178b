/**
 * Resumable request streams (MCP 2025-11-25, "Resumability and Redelivery"; SEP-1699 polling).
 * Every event of a request's SSE stream carries an id `<stream>_<seq>`, and the stream opens with a
 * priming event (an id, a `retry` hint, no data), so a client whose connection ends before the
 * response can come back with `GET` + `Last-Event-ID` and receive what it missed, then the rest.
 * Events are kept per session, bounded, and only until the response has reached a live connection.
 *
 * Stream numbers count per session (`1_0` is the priming event of a session's first request
 * stream): an id tells a client nothing about other sessions, and one is looked up only among the
 * streams of the session that presents it, so another session's id resumes nothing.
 */
import type { EventStream } from './exchange.js';
import { formatPrimingEvent, formatSseEvent } from './sse.js';

/** Events one request stream keeps for a reconnect; older ones are dropped first. */
const maxEventsPerStream = 256;
/** Request streams one session keeps waiting for a reconnect; the oldest is dropped first. */
const maxStreamsPerSession = 32;

class RequestStream {
  readonly events: { readonly seq: number; readonly text: string }[] = [];
  private nextSeq = 1;
  done = false;

  constructor(
    readonly key: string,
    public live: EventStream | undefined,
    private readonly onSettled: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Logs and sends one message; `final` marks the last one, after which the stream ends. */
  write(message: unknown, final: boolean): void {
    if (message !== undefined) {
      const text = formatSseEvent(message, `${this.key}_${this.nextSeq}`, this.onError);
      this.events.push({ seq: this.nextSeq++, text });
      if (this.events.length > maxEventsPerStream) this.events.shift();
    }
    if (final) this.done = true;
    this.flush();
  }

  /** Ends the live connection (the server asks the client to poll); the log stays. */
  disconnect(): void {
    const live = this.live;
    this.live = undefined;
    live?.end();
  }

  /** Attaches a reconnected client and replays what came after `afterSeq`. */
  resume(live: EventStream, afterSeq: number): void {
    this.live?.end();
    this.live = live;
    live.onClose(() => {
      if (this.live === live) this.live = undefined;
    });
    for (const event of this.events) if (event.seq > afterSeq) live.write(event.text);
    this.events.length = 0;
    this.finishIfDone();
  }

  private flush(): void {
    const live = this.live;
    if (live === undefined || live.closed) return;
    for (const event of this.events) live.write(event.text);
    this.events.length = 0;
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (!this.done || this.live === undefined) return;
    this.live.end();
    this.live = undefined;
    this.onSettled();
  }
}

/** What the POST handlers (through `EventStreams.lazyStream`) use to write one request's stream. @internal */
export interface ResumableWriter {
  write(message: unknown): void;
  /** Sends the response (none for a cancelled request) and ends the stream, now or on reconnect. */
  finish(response: unknown): void;
  /** Ends the connection but not the stream: the client reconnects with `Last-Event-ID`. */
  disconnect(): void;
}

/** One session's request streams awaiting delivery, and the number of the next one. */
interface SessionStreams {
  readonly streams: Map<string, RequestStream>;
  /** Never reused within the session: an old event id cannot resume a newer stream. */
  nextKey: number;
}

/** Session id → its request streams awaiting delivery. @internal */
export class ResumableStreams {
  private readonly sessions = new Map<string, SessionStreams>();

  constructor(
    private readonly retryMs: number,
    /** Hears why a message could not be serialized (it is sent as -32603 for its id). */
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Starts a request stream on `live` with its priming event. */
  begin(sessionId: string, live: EventStream): ResumableWriter {
    let session = this.sessions.get(sessionId);
    if (session === undefined) {
      session = { streams: new Map(), nextKey: 1 };
      this.sessions.set(sessionId, session);
    }
    const { streams } = session;
    if (streams.size >= maxStreamsPerSession) {
      const oldest = streams.keys().next().value as string;
      streams.delete(oldest);
    }
    const key = (session.nextKey++).toString(36);
    const stream = new RequestStream(key, live, () => streams.delete(key), this.onError);
    streams.set(key, stream);
    live.write(formatPrimingEvent(`${key}_0`, this.retryMs));
    live.onClose(() => {
      if (stream.live === live) stream.live = undefined;
    });
    return {
      write: (message) => stream.write(message, false),
      finish: (response) => stream.write(response, true),
      disconnect: () => stream.disconnect(),
    };
  }

  /**
   * Resumes the stream an event id belongs to; false when the id is not one of this session's
   * (unknown, malformed, or already delivered in full). The connection the stream had, if any, is
   * ended first (the client came back on a new one; the old one is dead or about to be), so that
   * `openLive` finds its stream slot free; `openLive` returns `undefined` when it refused the
   * request itself, and the stream then waits for another reconnect.
   */
  resume(sessionId: string, lastEventId: string, openLive: () => EventStream | undefined): boolean {
    const separator = lastEventId.lastIndexOf('_');
    const seq = Number(lastEventId.slice(separator + 1));
    const stream = this.sessions.get(sessionId)?.streams.get(lastEventId.slice(0, separator));
    if (separator <= 0 || !Number.isSafeInteger(seq) || stream === undefined) return false;
    stream.disconnect();
    const live = openLive();
    if (live !== undefined) stream.resume(live, seq);
    return true;
  }

  /** Drops a stopped session's streams. */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
