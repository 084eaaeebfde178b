/**
 * Server-Sent Events framing (HTML Living Standard, "Server-sent events" › "Parsing an event
 * stream"), written once for every stream of the transport, and the keep-alive that makes an idle
 * stream visible to the proxies on its way and reveals a client that is gone.
 */
import { serializeMessage } from '../protocol/serialize.js';
import type { EventStream } from './exchange.js';

/**
 * One SSE event carrying one JSON-RPC message, with an event id when the stream is resumable.
 * `JSON.stringify` output has no line breaks, so one `data:` line is always enough; an id is ours,
 * never the client's, and holds no CR or LF (it would end the field and forge another). `onError`
 * hears why a message could not be serialized.
 * @internal
 */
export function formatSseEvent(message: unknown, id?: string, onError?: (error: unknown) => void): string {
  // A response whose result is not JSON goes out as -32603 for its id; a notification that is not
  // JSON leaves only a comment where it would have been (see `serializeMessage`).
  const text = serializeMessage(message, onError);
  const data =
    text === undefined ? ': a message that is not JSON was dropped\n\n' : `event: message\ndata: ${text}\n\n`;
  return id === undefined ? data : `id: ${id}\n${data}`;
}

/**
 * The priming event of a resumable stream: an id and a reconnection delay, no data, so a client that
 * loses the connection before the first message can still resume (MCP 2025-11-25, SEP-1699).
 * @internal
 */
export function formatPrimingEvent(id: string, retryMs: number): string {
  return `id: ${id}\nretry: ${retryMs}\ndata: \n\n`;
}

/** A comment line: clients ignore it, proxies see traffic. @internal */
export const keepAliveComment = ': keep-alive\n\n';

/**
 * Writes {@link keepAliveComment} on `stream` every `intervalMs` in which nothing else was written,
 * until the stream closes, so it is never silent for `2 × intervalMs`. Proxies commonly cut a
 * connection idle for 60 s, and a write is what makes a vanished peer's connection fail (then the
 * stream closes and gives back what it held). Returns the stream to write through; `intervalMs` 0
 * keeps `stream` as it is.
 * @internal
 */
export function keptAlive(stream: EventStream, intervalMs: number): EventStream {
  if (intervalMs <= 0 || stream.closed) return stream;
  return new KeptAliveStream(stream, intervalMs);
}

/**
 * {@link keptAlive}'s stream. A class, not an object literal with a `closed` getter: an accessor on a
 * fresh literal per stream showed as several µs of server CPU per call in the HTTP benchmark.
 */
class KeptAliveStream implements EventStream {
  private written = false;

  constructor(
    private readonly stream: EventStream,
    intervalMs: number,
  ) {
    const timer = setInterval(() => {
      if (!this.written) stream.write(keepAliveComment);
      this.written = false;
    }, intervalMs);
    // Node's timers can be unreferenced; a keep-alive must not hold a process open by itself.
    (timer as { unref?: () => void }).unref?.();
    stream.onClose(() => clearInterval(timer));
  }

  write(event: string): void {
    this.written = true;
    this.stream.write(event);
  }

  end(): void {
    this.stream.end();
  }

  get closed(): boolean {
    return this.stream.closed;
  }

  onClose(listener: () => void): void {
    this.stream.onClose(listener);
  }
}
