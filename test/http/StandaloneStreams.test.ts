/**
 * The registry of standalone (GET) streams, with an in-memory stream.
 */
import { describe, expect, it } from 'vitest';
import type { EventStream } from '../../src/http/exchange.js';
import { StandaloneStreams } from '../../src/http/StandaloneStreams.js';
import { formatSseEvent } from '../../src/http/sse.js';

class MemoryStream implements EventStream {
  readonly events: string[] = [];
  private listeners: (() => void)[] = [];
  closed = false;
  write(event: string): void {
    if (!this.closed) this.events.push(event);
  }
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }
}

describe('StandaloneStreams', () => {
  it('frames one JSON-RPC message as one SSE event of one data line', () => {
    expect(formatSseEvent({ jsonrpc: '2.0', method: 'x', params: { text: 'a\nb' } })).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","method":"x","params":{"text":"a\\nb"}}\n\n',
    );
  });

  it("sends to a session's open stream, and reports when it has none", () => {
    const streams = new StandaloneStreams();
    const stream = new MemoryStream();
    streams.add('s1', stream);
    expect(streams.send('s1', { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })).toBe(true);
    expect(streams.send('s2', { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })).toBe(false);
    expect(stream.events).toEqual([
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
    ]);
  });

  it('forgets a stream once it closes, whichever side closed it', () => {
    const streams = new StandaloneStreams();
    const ended = new MemoryStream();
    const dropped = new MemoryStream();
    streams.add('s1', ended);
    streams.add('s2', dropped);
    streams.end('s1');
    dropped.end();
    expect(ended.closed).toBe(true);
    expect([streams.has('s1'), streams.has('s2'), streams.size]).toEqual([false, false, 0]);
  });

  it('lets a newer stream of a session take over: the older one is ended, and its close leaves the newer', () => {
    const streams = new StandaloneStreams();
    const older = new MemoryStream();
    const newer = new MemoryStream();
    streams.add('s1', older);
    streams.add('s1', newer);
    expect([older.closed, newer.closed, streams.size]).toEqual([true, false, 1]);
    older.end();
    expect(streams.has('s1')).toBe(true);
    expect(streams.send('s1', { jsonrpc: '2.0', method: 'm' })).toBe(true);
    expect([older.events, newer.events.length]).toEqual([[], 1]);
    streams.endAll();
    expect(newer.closed).toBe(true);
  });
});
