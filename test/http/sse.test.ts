/**
 * SSE framing and the keep-alive of idle streams, on an in-memory stream with a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatPrimingEvent, formatSseEvent, keepAliveComment, keptAlive } from '../../src/http/sse.js';
import { MemoryStream } from './MemoryStream.js';

describe('SSE framing', () => {
  it('frames a message as one event of one data line, with an id when given', () => {
    const message = { jsonrpc: '2.0', method: 'x', params: { text: 'a\nb\r\nc' } };
    expect(formatSseEvent(message)).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","method":"x","params":{"text":"a\\nb\\r\\nc"}}\n\n',
    );
    expect(formatSseEvent(message, '3_7')).toBe(`id: 3_7\n${formatSseEvent(message)}`);
  });

  it('primes a stream with an id and a retry hint and no data, and keeps alive with a comment', () => {
    expect(formatPrimingEvent('1_0', 1_000)).toBe('id: 1_0\nretry: 1000\ndata: \n\n');
    // A comment: a line starting with a colon, which every SSE parser skips.
    expect(keepAliveComment).toMatch(/^:[^\r\n]*\n\n$/);
  });
});

describe('keptAlive', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a comment in every interval in which nothing else was written', () => {
    const inner = new MemoryStream();
    keptAlive(inner, 10_000);
    vi.advanceTimersByTime(9_999);
    expect(inner.events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(inner.events).toEqual([keepAliveComment]);
    vi.advanceTimersByTime(10_000);
    expect(inner.events).toEqual([keepAliveComment, keepAliveComment]);
  });

  it('stays quiet while events flow, and is never silent for two intervals', () => {
    const inner = new MemoryStream();
    const stream = keptAlive(inner, 10_000);
    for (let second = 1; second <= 30; second++) {
      vi.advanceTimersByTime(1_000);
      stream.write(`event ${second}\n\n`);
    }
    expect(inner.events.filter((event) => event === keepAliveComment)).toEqual([]);
    // The last event came at 30 s; the tick at 40 s sees it, the one at 50 s writes the comment.
    vi.advanceTimersByTime(10_000);
    expect(inner.events.at(-1)).toBe('event 30\n\n');
    vi.advanceTimersByTime(10_000);
    expect(inner.events.at(-1)).toBe(keepAliveComment);
  });

  it('stops with the stream, whichever side closes it', () => {
    const endedByUs = new MemoryStream();
    const goneClient = new MemoryStream();
    keptAlive(endedByUs, 1_000).end();
    keptAlive(goneClient, 1_000);
    goneClient.end();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect([endedByUs.events, goneClient.events]).toEqual([[], []]);
  });

  it('passes the stream through untouched when keep-alives are off or it is already closed', () => {
    const inner = new MemoryStream();
    expect(keptAlive(inner, 0)).toBe(inner);
    inner.end();
    expect(keptAlive(inner, 1_000)).toBe(inner);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports the state of the stream it wraps', () => {
    const inner = new MemoryStream();
    const stream = keptAlive(inner, 1_000);
    const closed = vi.fn();
    stream.onClose(closed);
    expect(stream.closed).toBe(false);
    inner.end();
    expect([stream.closed, closed.mock.calls.length]).toEqual([true, 1]);
  });
});
