/**
 * Resumable request streams (MCP 2025-11-25, "Resumability and Redelivery"; SEP-1699 polling).
 * Every event of a request's SSE stream carries an id `<stream>_<seq>`, and the stream opens with a
 * priming event (an id, a `retry` hint, no data), so a client whose connection ends before the
 * response can come back with `GET` + `Last-Event-ID` and receive what it missed, then the rest.
 * Events are kept per session, bounded, and only until the response has reached a live connection.
 */
import type { EventStream } from './exchange.js';

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
  ) {}

  /** Logs and sends one message; `final` marks the last one, after which the stream ends. */
  write(message: unknown, final: boolean): void {
    if (message !== undefined) {
      const text = `id: ${this.key}_${this.nextSeq}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`;
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

/** What `McpHttpEndpoint` uses to write one request's stream. @internal */
export interface ResumableWriter {
  write(message: unknown): void;
  /** Sends the response (none for a cancelled request) and ends the stream, now or on reconnect. */
  finish(response: unknown): void;
  /** Ends the connection but not the stream: the client reconnects with `Last-Event-ID`. */
  disconnect(): void;
}

/** Session id → its request streams awaiting delivery. @internal */
export class ResumableStreams {
  private readonly sessions = new Map<string, Map<string, RequestStream>>();
  private counter = 0;

  constructor(private readonly retryMs: number) {}

  /** Starts a request stream on `live` with its priming event. */
  begin(sessionId: string, live: EventStream): ResumableWriter {
    let streams = this.sessions.get(sessionId);
    if (streams === undefined) {
      streams = new Map();
      this.sessions.set(sessionId, streams);
    }
    if (streams.size >= maxStreamsPerSession) {
      const oldest = streams.keys().next().value as string;
      streams.delete(oldest);
    }
    const key = (++this.counter).toString(36);
    const owner = streams;
    const stream = new RequestStream(key, live, () => owner.delete(key));
    streams.set(key, stream);
    live.write(`id: ${key}_0\nretry: ${this.retryMs}\ndata: \n\n`);
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
   * Resumes the stream an event id belongs to on `live`; false when the id is not one of this
   * session's (unknown, malformed, or already delivered in full).
   */
  resume(sessionId: string, lastEventId: string, openLive: () => EventStream): boolean {
    const separator = lastEventId.lastIndexOf('_');
    const seq = Number(lastEventId.slice(separator + 1));
    const stream = this.sessions.get(sessionId)?.get(lastEventId.slice(0, separator));
    if (separator <= 0 || !Number.isSafeInteger(seq) || stream === undefined) return false;
    stream.resume(openLive(), seq);
    return true;
  }

  /** Drops a stopped session's streams. */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
