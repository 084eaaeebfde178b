/**
 * Server-Sent Events framing (HTML Living Standard, "Server-sent events" › "Parsing an event
 * stream"), written once for every stream of the transport, and the keep-alive that makes an idle
 * stream visible to the proxies on its way and reveals a client that is gone.
 */
import { serializeMessage } from '../protocol/serialize.js';
import type { EventStream } from './exchange.js';

/** A CR or LF: either ends an SSE field, and what follows would be read as another field. */
const lineBreak = /[\r\n]/;
/** The line breaks of an SSE stream (CRLF, CR, LF), at which `data` is cut into `data:` lines. */
const lineBreaks = /\r\n|\r|\n/;

function checkedField(name: string, value: string): string {
  if (lineBreak.test(value)) {
    throw new TypeError(`Expected the SSE \`${name}\` to hold no CR or LF, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The one SSE writer of the transport: frames one event, fields in this order: `id`, `event`,
 * `retry` (milliseconds, a non-negative integer), then `data` as one `data:` line per line of it
 * (CRLF, CR and LF all end a line, as the parser reads them), or, with `data` undefined, the
 * `comment` line instead (a comment alone is an event the client skips). Ends with the blank line
 * that dispatches the event. `data: ''` is an empty `data:` line.
 *
 * @throws TypeError when `id`, `event` or `comment` holds a CR or LF: it would end the field and
 * forge another (an id of ours, a made-up event), or when `retryMs` is not a non-negative integer.
 * @example
 * ```ts
 * frameSseEvent('a\nb', '1_2', 'message'); // 'id: 1_2\nevent: message\ndata: a\ndata: b\n\n'
 * ```
 * @internal
 */
export function frameSseEvent(
  data: string | undefined,
  id?: string,
  event?: string,
  retryMs?: number,
  comment?: string,
): string {
  let text = id === undefined ? '' : `id: ${checkedField('id', id)}\n`;
  if (event !== undefined) text += `event: ${checkedField('event', event)}\n`;
  if (retryMs !== undefined) {
    if (!Number.isSafeInteger(retryMs) || retryMs < 0) {
      throw new TypeError(`Expected the SSE \`retry\` to be a non-negative integer, got ${retryMs}`);
    }
    text += `retry: ${retryMs}\n`;
  }
  if (data === undefined) {
    return comment === undefined ? `${text}\n` : `${text}: ${checkedField('comment', comment)}\n\n`;
  }
  if (!lineBreak.test(data)) return `${text}data: ${data}\n\n`;
  for (const line of data.split(lineBreaks)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/**
 * One SSE event carrying one JSON-RPC message, with an event id when the stream is resumable.
 * `JSON.stringify` output has no line breaks, so it is one `data:` line. An id is ours, never the
 * client's. `onError` hears why a message could not be serialized.
 * @internal
 */
export function formatSseEvent(message: unknown, id?: string, onError?: (error: unknown) => void): string {
  // A response whose result is not JSON goes out as -32603 for its id; a notification that is not
  // JSON leaves only a comment where it would have been (see `serializeMessage`).
  const text = serializeMessage(message, onError);
  return text === undefined
    ? frameSseEvent(undefined, id, undefined, undefined, 'a message that is not JSON was dropped')
    : frameSseEvent(text, id, 'message');
}

/**
 * The priming event of a resumable stream: an id and a reconnection delay, no data, so a client that
 * loses the connection before the first message can still resume (MCP 2025-11-25, SEP-1699).
 * @internal
 */
export function formatPrimingEvent(id: string, retryMs: number): string {
  return frameSseEvent('', id, undefined, retryMs);
}

/** A comment line: clients ignore it, proxies see traffic. @internal */
export const keepAliveComment = frameSseEvent(undefined, undefined, undefined, undefined, 'keep-alive');

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

  write(event: string): boolean {
    this.written = true;
    return this.stream.write(event);
  }

  onDrain(listener: () => void): void {
    this.stream.onDrain(listener);
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
