/**
 * SSE framing, and the registry of standalone streams: the one `GET` stream a session may hold open
 * for messages the server starts itself (MCP 2025-11-25, "Listening for Messages from the Server").
 * Server-initiated notifications and requests will be written here; the registry already ends a
 * stream when its session stops, so a client never listens to a dead session.
 */
import type { EventStream } from './exchange.js';

/**
 * One SSE event carrying one JSON-RPC message. `JSON.stringify` output has no line breaks, so one
 * `data:` line is always enough.
 * @internal
 */
export function formatSseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

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

  /** Registers the stream of a session; it leaves the registry by itself when it closes. */
  add(sessionId: string, stream: EventStream): void {
    this.streams.set(sessionId, stream);
    stream.onClose(() => {
      if (this.streams.get(sessionId) === stream) this.streams.delete(sessionId);
    });
  }

  /** Sends a message on the session's stream; false when the session has none open. */
  send(sessionId: string, message: unknown): boolean {
    const stream = this.streams.get(sessionId);
    if (stream === undefined || stream.closed) return false;
    stream.write(formatSseEvent(message));
    return true;
  }

  /** Ends the session's stream, if any (its session stopped). */
  end(sessionId: string): void {
    this.streams.get(sessionId)?.end();
  }

  /** Ends every stream. */
  endAll(): void {
    for (const stream of [...this.streams.values()]) stream.end();
  }
}
