/**
 * Resumable request streams: event ids, the priming event, a handler closing its stream mid-call
 * (ctx.closeStream), and replay after GET + Last-Event-ID.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { deferred } from '../helpers.js';

const url = 'http://localhost:3000/mcp';
const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
let runtime: SessionRuntime | undefined;
afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

function setUp() {
  const release = deferred();
  runtime = createSessionRuntime({
    tools: [
      defineTool({
        name: 'poll_me',
        inputSchema: z.object({}),
        handler: async (_args, ctx) => {
          ctx.progress({ progress: 1 });
          ctx.closeStream();
          ctx.progress({ progress: 2 }); // sent while no connection is open: kept for the reconnect
          await release.promise;
          return 'finished';
        },
      }),
    ],
  });
  return { handler: createFetchHandler(runtime), release };
}

async function open(handler: ReturnType<typeof createFetchHandler>): Promise<string> {
  const response = await handler(
    new Request(url, {
      method: 'POST',
      headers: postHeaders,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    }),
  );
  return response.headers.get('mcp-session-id') as string;
}

const frames = (text: string) => text.split('\n\n').filter((frame) => frame !== '');
const idOf = (frame: string) => /^id: (\S+)/.exec(frame)?.[1];

describe('resumable request streams', () => {
  it('replays what a closed stream missed after GET with Last-Event-ID, then delivers the response', async () => {
    const { handler, release } = setUp();
    const sessionId = await open(handler);
    const session = { ...postHeaders, 'mcp-session-id': sessionId };
    const first = await handler(
      new Request(url, {
        method: 'POST',
        headers: session,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'poll_me', arguments: {}, _meta: { progressToken: 't' } },
        }),
      }),
    );
    // The server ended the first connection after the priming event and progress 1.
    const before = frames(await first.text());
    expect(before[0]).toMatch(/^id: \S+_0\nretry: \d+\ndata: $/);
    expect(before[1]).toContain('"progress":1');
    expect(before).toHaveLength(2);
    const resumed = await handler(
      new Request(url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          'mcp-session-id': sessionId,
          'last-event-id': idOf(before[1] as string) as string,
        },
      }),
    );
    expect(resumed.status).toBe(200);
    release.resolve(undefined);
    const after = frames(await resumed.text());
    expect(after.map((frame) => JSON.parse(frame.split('data: ')[1] as string))).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 2 } },
      { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'finished' }] } },
    ]);
    // Delivered in full: the same id no longer resumes anything and opens the standalone stream.
    const again = await handler(
      new Request(url, {
        method: 'GET',
        headers: {
          accept: 'text/event-stream',
          'mcp-session-id': sessionId,
          'last-event-id': idOf(before[1] as string) as string,
        },
      }),
    );
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it('numbers request streams per session: ids reveal nothing of other sessions and carry no line break', async () => {
    const { handler, release } = setUp();
    release.resolve(undefined);
    const call = async (sessionId: string, id: number) => {
      const response = await handler(
        new Request(url, {
          method: 'POST',
          headers: { ...postHeaders, 'mcp-session-id': sessionId },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { name: 'poll_me', arguments: {}, _meta: { progressToken: 't' } },
          }),
        }),
      );
      return frames(await response.text()).map((frame) => idOf(frame) as string);
    };
    const busy = await open(handler);
    const busyIds = [await call(busy, 11), await call(busy, 12), await call(busy, 13)];
    expect(busyIds).toEqual([
      ['1_0', '1_1'],
      ['2_0', '2_1'],
      ['3_0', '3_1'],
    ]);
    const fresh = await open(handler);
    expect(await call(fresh, 21)).toEqual(['1_0', '1_1']);
    // The same id in another session names that session's own stream, never the first one's.
    const resumed = await handler(
      new Request(url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'mcp-session-id': fresh, 'last-event-id': '1_1' },
      }),
    );
    const replayed = frames(await resumed.text());
    expect(replayed.map((frame) => JSON.parse(frame.split('data: ')[1] as string).id)).toEqual([
      undefined,
      21,
    ]);
    for (const frame of replayed) expect(idOf(frame)).toMatch(/^[0-9a-z]+_[0-9]+$/);
  });

  it('does not resume another session’s stream with a stolen event id', async () => {
    const { handler, release } = setUp();
    const owner = await open(handler);
    const thief = await open(handler);
    const first = await handler(
      new Request(url, {
        method: 'POST',
        headers: { ...postHeaders, 'mcp-session-id': owner },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'poll_me', arguments: {} },
        }),
      }),
    );
    const eventId = idOf(frames(await first.text())[0] as string) as string;
    const stolen = await handler(
      new Request(url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'mcp-session-id': thief, 'last-event-id': eventId },
      }),
    );
    // The thief gets its own, empty standalone stream, never the owner's events.
    const reader = (stolen.body as ReadableStream<Uint8Array>).getReader();
    release.resolve(undefined);
    const read = await Promise.race([
      reader.read(),
      new Promise((resolve) => setTimeout(() => resolve('quiet'), 50)),
    ]);
    expect(read).toBe('quiet');
    await reader.cancel();
  });
});
