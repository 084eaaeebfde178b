/**
 * The registry of standalone (GET) streams, with an in-memory stream.
 */
import { describe, expect, it } from 'vitest';
import { StandaloneStreams } from '../../src/http/StandaloneStreams.js';
import { formatSseEvent } from '../../src/http/sse.js';
import { MemoryStream } from './MemoryStream.js';

describe('StandaloneStreams', () => {
  it('frames one JSON-RPC message as one SSE event of one data line', () => {
    expect(formatSseEvent({ jsonrpc: '2.0', method: 'x', params: { text: 'a\nb' } })).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","method":"x","params":{"text":"a\\nb"}}\n\n',
    );
  });

  it("sends to a session's open stream, and reports when it has none", () => {
    const streams = new StandaloneStreams();
    const stream = new MemoryStream();
    streams.add('s1', stream, () => undefined);
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
    streams.add('s1', ended, () => undefined);
    streams.add('s2', dropped, () => undefined);
    streams.end('s1');
    dropped.end();
    expect(ended.closed).toBe(true);
    expect([streams.has('s1'), streams.has('s2'), streams.size]).toEqual([false, false, 0]);
  });

  it('sends each message on one stream only, the newest, and falls back to an older one when it closes', () => {
    const streams = new StandaloneStreams();
    const [older, newer] = [new MemoryStream(), new MemoryStream()];
    streams.add('s1', older, () => undefined);
    streams.add('s1', newer, () => undefined);
    streams.send('s1', { jsonrpc: '2.0', method: 'first' });
    newer.end();
    streams.send('s1', { jsonrpc: '2.0', method: 'second' });
    expect(newer.events.map((event) => event.includes('first'))).toEqual([true]);
    expect(older.events.map((event) => event.includes('second'))).toEqual([true]);
  });

  it('ends the oldest stream of a session to make room, and says when there is none', () => {
    const streams = new StandaloneStreams();
    const [first, second] = [new MemoryStream(), new MemoryStream()];
    streams.add('s1', first, () => undefined);
    streams.add('s1', second, () => undefined);
    expect(streams.endOldest('s1')).toBe(true);
    expect([first.closed, second.closed]).toEqual([true, false]);
    expect(streams.endOldest('s1')).toBe(true);
    expect(streams.endOldest('s1')).toBe(false);
    expect(streams.endOldest('other')).toBe(false);
  });

  it('attaches a session when its first stream opens and detaches it when its last one closes', () => {
    const streams = new StandaloneStreams();
    const log: string[] = [];
    const attach = (name: string) => () => {
      log.push(`attach ${name}`);
      return () => log.push(`detach ${name}`);
    };
    const [a, b, c] = [new MemoryStream(), new MemoryStream(), new MemoryStream()];
    streams.add('s1', a, attach('a'));
    streams.add('s1', b, attach('b'));
    a.end();
    b.end();
    streams.add('s1', c, attach('c'));
    const gone = new MemoryStream();
    gone.end();
    streams.add('s2', gone, attach('gone'));
    streams.endAll();
    expect(log).toEqual(['attach a', 'detach a', 'attach c', 'attach gone', 'detach gone', 'detach c']);
    expect(streams.size).toBe(0);
  });
});
