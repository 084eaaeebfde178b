/**
 * SSE framing and the keep-alive of idle streams, on an in-memory stream with a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  formatPrimingEvent,
  formatSseEvent,
  frameSseEvent,
  keepAliveComment,
  keptAlive,
} from '../../src/http/sse.js';
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

describe('frameSseEvent, the one SSE writer', () => {
  it('writes id, event and retry before the data, and ends with a blank line', () => {
    expect(frameSseEvent('x', '1_2', 'message', 500)).toBe(
      'id: 1_2\nevent: message\nretry: 500\ndata: x\n\n',
    );
    expect(frameSseEvent('x')).toBe('data: x\n\n');
    expect(frameSseEvent('')).toBe('data: \n\n');
  });

  it('splits multi-line data into one data line per line, at CRLF, CR and LF alike', () => {
    expect(frameSseEvent('a\nb\r\nc\rd', undefined, 'note')).toBe(
      'event: note\ndata: a\ndata: b\ndata: c\ndata: d\n\n',
    );
    expect(frameSseEvent('a\n')).toBe('data: a\ndata: \n\n');
  });

  it('writes a comment instead of data when there is none', () => {
    expect(frameSseEvent(undefined, '4_1', undefined, undefined, 'dropped')).toBe('id: 4_1\n: dropped\n\n');
    expect(keepAliveComment).toBe(': keep-alive\n\n');
  });

  it.each(['a\nb', 'a\rb', 'a\r\nb', '\n'])('refuses an id, event name or comment holding %j', (value) => {
    expect(() => frameSseEvent('x', value)).toThrow(TypeError);
    expect(() => frameSseEvent('x', undefined, value)).toThrow(TypeError);
    expect(() => frameSseEvent(undefined, undefined, undefined, undefined, value)).toThrow(TypeError);
    expect(() => formatSseEvent({ jsonrpc: '2.0', method: 'x' }, value)).toThrow(/no CR or LF/);
    expect(() => formatPrimingEvent(value, 1_000)).toThrow(TypeError);
  });

  it('refuses a retry that is not a non-negative integer', () => {
    for (const retry of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => frameSseEvent('', '1_0', undefined, retry)).toThrow(TypeError);
    }
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
