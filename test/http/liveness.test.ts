/**
 * A client is never locked out by its own dead stream: idle streams carry keep-alive comments, a
 * stream whose socket is gone gives back its slot, and a new GET of a session takes over from a
 * stale one (a paused, half-open socket that never reads again). Against both server forms, with
 * raw sockets where `fetch` cannot play a dead client, and small keep-alive intervals.
 */
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerKind, TestServer, TestServerOptions } from '../e2e/servers.js';
import { initialize, initializeBody, post, startServer } from '../e2e/servers.js';

const kinds: readonly ServerKind[] = ['node', 'hono'];
const streamHeaders = (sessionId: string) => ({ accept: 'text/event-stream', 'mcp-session-id': sessionId });

/** A raw connection that sends a GET for the session's stream and records what comes back. */
async function rawGet(url: URL, sessionId: string): Promise<{ socket: Socket; received: () => string }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect(Number(url.port), url.hostname, () => resolve(opened));
    opened.once('error', reject);
  });
  socket.on('error', () => {});
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.write(
    `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
      `Mcp-Session-Id: ${sessionId}\r\n\r\n`,
  );
  await vi.waitFor(() => expect(text).toMatch(/^HTTP\/1\.1 200/));
  return { socket, received: () => text };
}

/** Reads a streamed body until `done` holds for what came so far. */
async function readUntil(response: Response, done: (text: string) => boolean): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe.each(kinds)('stream liveness (%s handler)', (kind) => {
  let server: TestServer | undefined;
  const start = async (options: TestServerOptions = {}) => {
    server = await startServer(kind, options);
    return server;
  };
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server?.close();
    server = undefined;
  });

  it('sends keep-alive comments on an idle standalone stream', async () => {
    const { url } = await start({ http: { keepAliveMs: 20 } });
    const sessionId = await initialize(url);
    const stream = await fetch(url, { headers: streamHeaders(sessionId) });
    const text = await readUntil(stream, (sofar) => sofar.split(': keep-alive\n\n').length > 3);
    expect(text).toMatch(/^(: keep-alive\n\n)+$/);
    await stream.body?.cancel();
  });

  it('answers a request still running after keepAliveMs as SSE with keep-alives, then its response', async () => {
    const { url } = await start({ http: { keepAliveMs: 20 } });
    const sessionId = await initialize(url);
    // No progress token: nothing of the call itself would stream.
    const call = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 1, delayMs: 200 } },
    };
    const response = await post(url, call, { 'mcp-session-id': sessionId });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const frames = (await response.text()).split('\n\n').filter((frame) => frame !== '');
    expect(frames[0]).toMatch(/^id: 1_0\nretry: \d+\ndata: $/);
    expect(frames.slice(1, -1).length).toBeGreaterThan(0);
    for (const frame of frames.slice(1, -1)) expect(frame).toBe(': keep-alive');
    expect(frames.at(-1)).toMatch(/^id: 1_1\nevent: message\ndata: \{"jsonrpc":"2.0","id":3,"result"/);
  });

  it('answers the same long request as JSON when keep-alives are off (keepAliveMs: false or 0)', async () => {
    for (const keepAliveMs of [false, 0] as const) {
      const { url } = await start({ http: { keepAliveMs } });
      const sessionId = await initialize(url);
      const call = {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'slow', arguments: { steps: 1, delayMs: 50 } },
      };
      const response = await post(url, call, { 'mcp-session-id': sessionId });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ id: 3, result: {} });
      await server?.close();
      server = undefined;
    }
  });

  it('lets a new GET take over from a paused, half-open stream: 200, the slot moves, messages go to the new one', async () => {
    const { url, runtime } = await start({ http: { maxStreamsPerSession: 1, keepAliveMs: false } });
    const sessionId = await initialize(url);
    const dead = await rawGet(url, sessionId);
    sockets.push(dead.socket);
    // The client stops reading and never closes: the server sees nothing.
    dead.socket.pause();
    const fresh = await fetch(url, { headers: streamHeaders(sessionId) });
    expect(fresh.status).toBe(200);
    expect(runtime.notify(sessionId, { method: 'notifications/tools/list_changed' })).toBe(true);
    const text = await readUntil(fresh, (sofar) => sofar.includes('\n\n'));
    expect(text).toBe(
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
    );
    // The old stream was ended (its chunked body terminated), with no message on it.
    dead.socket.resume();
    await vi.waitFor(() => expect(dead.received()).toMatch(/\r\n0\r\n\r\n$/));
    expect(dead.received()).not.toContain('list_changed');
    await fresh.body?.cancel();
  });

  it('lets a streaming request end the oldest of two standalone streams when the budget is full, never the last one', async () => {
    const { url, runtime } = await start({
      runtime: { maxConcurrentRequests: 2 },
      http: { maxStreamsPerSession: 2, keepAliveMs: false },
    });
    const sessionId = await initialize(url);
    const dead = await rawGet(url, sessionId);
    sockets.push(dead.socket);
    dead.socket.pause();
    const live = await fetch(url, { headers: streamHeaders(sessionId) });
    const call = {
      jsonrpc: '2.0',
      id: 8,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 2, delayMs: 1 }, _meta: { progressToken: 'p' } },
    };
    const streamed = await post(url, call, { 'mcp-session-id': sessionId });
    expect(streamed.headers.get('content-type')).toBe('text/event-stream');
    expect(await streamed.text()).toContain('"id":8,"result"');
    dead.socket.resume();
    await vi.waitFor(() => expect(dead.received()).toMatch(/\r\n0\r\n\r\n$/));
    // One standalone stream is left: a request stream that takes the other slot, and a request past
    // the budget, which no longer ends it but answers as JSON.
    const held = await post(
      url,
      { ...call, id: 10, params: { ...call.params, arguments: { steps: 100, delayMs: 20 } } },
      { 'mcp-session-id': sessionId },
    );
    expect(held.headers.get('content-type')).toBe('text/event-stream');
    const unstreamed = await post(url, { ...call, id: 11 }, { 'mcp-session-id': sessionId });
    expect(unstreamed.headers.get('content-type')).toBe('application/json');
    expect(await unstreamed.json()).toMatchObject({ id: 11, result: {} });
    expect(runtime.notify(sessionId, { method: 'notifications/tools/list_changed' })).toBe(true);
    expect(await readUntil(live, (sofar) => sofar.includes('list_changed'))).toContain('list_changed');
    runtime.remove(sessionId);
    await held.text();
    await live.body?.cancel();
  });

  it("never lets another principal's GET take over a session's stream (404, the stream stays)", async () => {
    const { url, runtime } = await start({
      http: {
        keepAliveMs: false,
        authenticate: (request) =>
          request.bearerToken === undefined ? undefined : { id: request.bearerToken },
      },
    });
    const opened = await post(url, initializeBody, { authorization: 'Bearer alice' });
    const sessionId = opened.headers.get('mcp-session-id') as string;
    await opened.body?.cancel();
    const alice = await fetch(url, {
      headers: { ...streamHeaders(sessionId), authorization: 'Bearer alice' },
    });
    expect(alice.status).toBe(200);
    for (const lastEventId of [undefined, '1_0']) {
      const mallory = await fetch(url, {
        headers: {
          ...streamHeaders(sessionId),
          authorization: 'Bearer mallory',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
      });
      expect(mallory.status).toBe(404);
      await mallory.body?.cancel();
    }
    expect(runtime.notify(sessionId, { method: 'notifications/tools/list_changed' })).toBe(true);
    expect(await readUntil(alice, (sofar) => sofar.includes('\n\n'))).toContain('list_changed');
    await alice.body?.cancel();
  });

  it('gives back the slot of a stream whose client reset the connection, with no new GET of that session', async () => {
    const { url } = await start({ http: { maxStreams: 1, keepAliveMs: false } });
    const [first, second] = [await initialize(url), await initialize(url)];
    const dead = await rawGet(url, first);
    const refused = await fetch(url, { headers: streamHeaders(second) });
    expect(refused.status).toBe(503);
    await refused.body?.cancel();
    dead.socket.resetAndDestroy();
    await vi.waitFor(async () => {
      const retried = await fetch(url, { headers: streamHeaders(second) });
      await retried.body?.cancel();
      expect(retried.status).toBe(200);
    });
  });

  it('never turns repeated GETs of one session into 429 (maxStreamsPerSession: 2), and leaks no slot', async () => {
    const { url } = await start({ http: { maxStreamsPerSession: 2, keepAliveMs: false } });
    const sessionId = await initialize(url);
    const streams: Response[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const stream = await fetch(url, { headers: streamHeaders(sessionId) });
      expect(stream.status, `GET ${attempt}`).toBe(200);
      streams.push(stream);
    }
    // Each GET past the budget ended the oldest stream; the newest two are open.
    for (const ended of streams.slice(0, -2)) expect(await ended.text()).toBe('');
    for (const open of streams.slice(-2)) await open.body?.cancel();
    // Both slots are free again: a GET and a streaming request hold them at once.
    const listening = await fetch(url, { headers: streamHeaders(sessionId) });
    expect(listening.status).toBe(200);
    const call = {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 2, delayMs: 1 }, _meta: { progressToken: 'p' } },
    };
    await vi.waitFor(async () => {
      const streamed = await post(url, call, { 'mcp-session-id': sessionId });
      expect(streamed.headers.get('content-type')).toBe('text/event-stream');
      expect(await streamed.text()).toContain('"id":9,"result"');
    });
    await listening.body?.cancel();
  });

  it('lets a resuming GET take over the connection of its request stream, within maxStreamsPerSession: 1', async () => {
    const { url } = await start({ http: { maxStreamsPerSession: 1, keepAliveMs: false } });
    const sessionId = await initialize(url);
    const call = {
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 3, delayMs: 100 }, _meta: { progressToken: 'p' } },
    };
    const first = await post(url, call, { 'mcp-session-id': sessionId });
    const primed = await readUntil(first, (sofar) => sofar.includes('"progress":1'));
    const lastEventId = [...primed.matchAll(/^id: (\S+)$/gm)].at(-1)?.[1] as string;
    // The client thinks the connection died and comes back with the id of the last event it saw.
    const resumed = await fetch(url, {
      headers: { ...streamHeaders(sessionId), 'last-event-id': lastEventId },
    });
    expect(resumed.status).toBe(200);
    const rest = await resumed.text();
    expect(rest).toContain('"progress":3');
    expect(rest).toContain('"id":4,"result"');
    expect(rest).not.toContain('"progress":1,');
  });
});
