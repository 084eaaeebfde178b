/**
 * `closeGracefully` in process: the order of its steps (runtime first, listener after), its bounds,
 * a second call joining the first, and its argument checks. The deploy itself, with real clients
 * and SIGTERM, is test/e2e/gracefulShutdown.test.ts.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closeGracefully, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';

let runtime: SessionRuntime | undefined;
let server: Server | undefined;
afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  if (server?.listening) await new Promise((resolve) => server?.close(resolve));
});

async function start(): Promise<{ runtime: SessionRuntime; server: Server; url: string }> {
  runtime = createSessionRuntime({
    tools: [
      defineTool({
        name: 'wait',
        description: 'Waits `ms`',
        inputSchema: z.object({ ms: z.number() }),
        handler: async ({ ms }, ctx) => {
          await sleep(ms, undefined, { signal: ctx.signal });
          return 'waited';
        },
      }),
    ],
  });
  server = createServer(createNodeHandler(runtime, { health: true })).listen(0, '127.0.0.1');
  await new Promise((resolve) => server?.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return { runtime, server, url: `http://127.0.0.1:${port}` };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });

async function session(url: string): Promise<Record<string, string>> {
  const response = await post(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });
  await response.text();
  const headers = {
    'mcp-session-id': response.headers.get('mcp-session-id') as string,
    'mcp-protocol-version': '2025-11-25',
  };
  await (await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).text();
  return headers;
}

const call = (url: string, headers: Record<string, string>, id: number, ms: number) =>
  post(
    url,
    { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'wait', arguments: { ms } } },
    headers,
  );

describe('closeGracefully', () => {
  it('keeps listening while running calls finish, refusing new sessions with 503, then closes the listener', async () => {
    const { runtime, server, url } = await start();
    const running = call(url, await session(url), 1, 150);
    await sleep(30);
    const closed = closeGracefully(server, runtime, { drainMs: 2_000 });
    // Draining: still listening, and new work is refused with Retry-After.
    expect(server.listening).toBe(true);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    const late = await post(url, {
      jsonrpc: '2.0',
      id: 2,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    // The running call completes.
    const answer = (await (await running).json()) as { result?: { content: { text: string }[] } };
    expect(answer.result?.content[0]?.text).toBe('waited');
    const started = Date.now();
    await closed;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.listening).toBe(false);
    expect(runtime.size).toBe(0);
  });

  it('cancels a call past drainMs with a shutting_down answer and resolves within drainMs + flushMs', async () => {
    const { runtime, server, url } = await start();
    const running = call(url, await session(url), 1, 10_000);
    await sleep(30);
    const started = Date.now();
    const closed = closeGracefully(server, runtime, { drainMs: 200, flushMs: 300 });
    // A second call (a second signal) joins the first close.
    expect(closeGracefully(server, runtime, { drainMs: 0 })).toBe(closed);
    const response = await running;
    // The call was accepted: its error goes in the JSON-RPC body of a 200, with Retry-After.
    expect(response.status).toBe(200);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({
      id: 1,
      error: { code: -32013, data: { reason: 'shutting_down', retryAfterSeconds: 1 } },
    });
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(200 + 300 + 400);
    expect(server.listening).toBe(false);
  });

  it('cuts a connection still busy after flushMs (a request whose body never ends)', async () => {
    const { runtime, server, url } = await start();
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const cut = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      'POST /mcp HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\ncontent-length: 100\r\n\r\n{"js',
    );
    await sleep(30);
    const started = Date.now();
    await closeGracefully(server, runtime, { drainMs: 0, flushMs: 200 });
    await cut;
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.listening).toBe(false);
  });

  it('refuses what is not a server or a runtime, and a negative or non-finite time', () => {
    runtime = createSessionRuntime();
    const fake = { close: () => undefined };
    expect(() => closeGracefully({} as Server, runtime as SessionRuntime)).toThrow(TypeError);
    expect(() => closeGracefully(fake, {} as SessionRuntime)).toThrow(TypeError);
    expect(() => closeGracefully(fake, runtime as SessionRuntime, { drainMs: -1 })).toThrow(/drainMs/);
    expect(() => closeGracefully(fake, runtime as SessionRuntime, { flushMs: Number.NaN })).toThrow(
      /flushMs/,
    );
  });
});
