/**
 * The registry of standalone streams: the `GET` streams a session holds open for messages the server
 * starts itself (MCP 2025-11-25, "Listening for Messages from the Server"). A client may hold several
 * ("Multiple Connections"); each message goes out on one of them, the newest, for a client that
 * opens a new one does so because it believes the older ones dead. The oldest gives way when a new
 * `GET` finds the stream budget full (or a request stream does, while another standalone stream
 * remains), so a client whose connection died without a word (a half-open
 * socket, a proxy that dropped it) is never locked out by it. The registry also ends a session's
 * streams when it stops, so a client never listens to a dead session.
 */
import type { EventStream } from './exchange.js';
import { formatSseEvent } from './sse.js';

/** A session's open streams, oldest first, and how to stop receiving its messages. */
interface SessionStreams {
  readonly streams: EventStream[];
  detach: (() => void) | undefined;
}

/** Session id → its open standalone streams. @internal */
export class StandaloneStreams {
  private readonly sessions = new Map<string, SessionStreams>();

  /** `onError` hears why a message could not be serialized (it is then not sent). */
  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  /** Sessions with an open stream now. */
  get size(): number {
    return this.sessions.size;
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Open streams of a session. */
  countOf(sessionId: string): number {
    return this.sessions.get(sessionId)?.streams.length ?? 0;
  }

  /**
   * Registers a stream of a session; it leaves the registry by itself when it closes. `attach` is
   * called when the session gets its first open stream, and the function it returns when the last
   * one closes: it connects the session's messages to {@link send}.
   */
  add(sessionId: string, stream: EventStream, attach: () => (() => void) | undefined): void {
    let entry = this.sessions.get(sessionId);
    if (entry === undefined) {
      entry = { streams: [], detach: undefined };
      this.sessions.set(sessionId, entry);
      entry.detach = attach();
    }
    entry.streams.push(stream);
    const owner = entry;
    stream.onClose(() => this.remove(sessionId, owner, stream));
  }

  private remove(sessionId: string, entry: SessionStreams, stream: EventStream): void {
    const index = entry.streams.indexOf(stream);
    if (index !== -1) entry.streams.splice(index, 1);
    if (entry.streams.length > 0 || this.sessions.get(sessionId) !== entry) return;
    this.sessions.delete(sessionId);
    entry.detach?.();
  }

  /** Sends a message on the session's newest stream; false when the session has none open. */
  send(sessionId: string, message: unknown): boolean {
    const stream = this.sessions.get(sessionId)?.streams.at(-1);
    if (stream === undefined || stream.closed) return false;
    stream.write(formatSseEvent(message, undefined, this.onError));
    return true;
  }

  /** Ends the session's oldest stream to make room for a new one; false when it has none. */
  endOldest(sessionId: string): boolean {
    const oldest = this.sessions.get(sessionId)?.streams[0];
    oldest?.end();
    return oldest !== undefined;
  }

  /** Ends the session's streams, if any (its session stopped). */
  end(sessionId: string): void {
    for (const stream of [...(this.sessions.get(sessionId)?.streams ?? [])]) stream.end();
  }

  /** Ends every stream. */
  endAll(): void {
    for (const sessionId of [...this.sessions.keys()]) this.end(sessionId);
  }
}
