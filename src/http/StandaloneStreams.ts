/**
 * The registry of standalone streams: the `GET` stream a session holds open for messages the server
 * starts itself (MCP 2025-11-25, "Listening for Messages from the Server"). One per session: a new
 * `GET` of the session takes over and the stream it replaces is ended, so a client whose connection
 * died without a word (a half-open socket, a proxy that dropped it) is never locked out by it. The
 * registry also ends a stream when its session stops, so a client never listens to a dead session.
 */
import type { EventStream } from './exchange.js';
import { formatSseEvent } from './sse.js';

/** Session id → its open standalone stream. @internal */
export class StandaloneStreams {
  private readonly streams = new Map<string, EventStream>();

  /** Open streams now. */
  get size(): number {
    return this.streams.size;
  }

  has(sessionId: string): boolean {
    return this.streams.has(sessionId);
  }

  /**
   * Registers the stream of a session, ending the one it replaces; a stream leaves the registry by
   * itself when it closes.
   */
  add(sessionId: string, stream: EventStream): void {
    const replaced = this.streams.get(sessionId);
    this.streams.set(sessionId, stream);
    stream.onClose(() => {
      if (this.streams.get(sessionId) === stream) this.streams.delete(sessionId);
    });
    replaced?.end();
  }

  /** Sends a message on the session's stream; false when the session has none open. */
  send(sessionId: string, message: unknown): boolean {
    const stream = this.streams.get(sessionId);
    if (stream === undefined || stream.closed) return false;
    stream.write(formatSseEvent(message));
    return true;
  }

  /** Ends the session's stream, if any (its session stopped, or a new `GET` takes over). */
  end(sessionId: string): void {
    this.streams.get(sessionId)?.end();
  }

  /** Ends every stream. */
  endAll(): void {
    for (const stream of [...this.streams.values()]) stream.end();
  }
}
