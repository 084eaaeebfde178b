/**
 * MCP 2026-07-28 (sessionless) over the `node:http` handler on a real socket: discover, a plain
 * tools/call, progress streamed on the POST, a refusal's status, and a client that hangs up
 * cancelling the handler.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { deferred } from '../helpers.js';

/** Both eras' versions, newest first: what discover and -32022 list. */
const ALL = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

const V = '2026-07-28';
const SERVER_INFO = { name: 'modern-node-server', version: '3.1.4' };
const serverInfoKey = 'io.modelcontextprotocol/serverInfo';

interface JsonRpcBody {
  readonly id?: unknown;
  readonly method?: string;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: number; readonly data?: Record<string, unknown> };
  readonly params?: Record<string, unknown>;
}

let server: Server | undefined;
let runtime: SessionRuntime | undefined;
let aborted = deferred<void>();
let silentStarted = deferred<void>();

async function listen(keepAliveMs?: number): Promise<URL> {
  aborted = deferred<void>();
  silentStarted = deferred<void>();
  runtime = createSessionRuntime({
    serverInfo: SERVER_INFO,
    tools: [
      defineTool({
        name: 'echo',
        description: 'Returns its text',
        inputSchema: z.object({ text: z.string() }),
        handler: ({ text }) => text,
      }),
      defineTool({
        name: 'steps',
        description: 'Reports two progress steps',
        handler: async (_args, ctx) => {
          ctx.progress({ progress: 1, total: 2 });
          await sleep(5);
          ctx.progress({ progress: 2, total: 2 });
          return 'stepped';
        },
      }),
      defineTool({
        name: 'silent',
        description: 'Sends nothing and waits until cancelled',
        handler: async (_args, ctx) => {
          silentStarted.resolve();
          await new Promise<void>((resolve) => {
            ctx.signal.addEventListener(
              'abort',
              () => {
                aborted.resolve();
                resolve();
              },
              { once: true },
            );
          });
          return 'cancelled';
        },
      }),
      defineTool({
        name: 'hang',
        description: 'Reports progress once, then waits until cancelled',
        handler: async (_args, ctx) => {
          ctx.progress({ progress: 1 });
          await new Promise<void>((resolve) => {
            ctx.signal.addEventListener(
              'abort',
              () => {
                aborted.resolve();
                resolve();
              },
              { once: true },
            );
          });
          return 'cancelled';
        },
      }),
    ],
  });
  const mcp = createNodeHandler(runtime, keepAliveMs === undefined ? {} : { keepAliveMs });
  server = createServer(mcp).listen(0, '127.0.0.1');
  await new Promise((resolve) => server?.once('listening', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  runtime = undefined;
});

function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'node-client', version: '1.0.0' },
    ...extra,
  };
}

function post(
  url: URL,
  id: number | string,
  method: string,
  params: Record<string, unknown>,
  extra: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const name = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': method,
      ...name,
      ...extra.headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    ...(extra.signal === undefined ? {} : { signal: extra.signal }),
  });
}

function sseMessages(text: string): JsonRpcBody[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5).trim()) as JsonRpcBody);
}

describe('MCP 2026-07-28 over createNodeHandler', () => {
  it('answers server/discover without a session', async () => {
    const url = await listen();
    const response = await post(url, 1, 'server/discover', { _meta: envelope() });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as JsonRpcBody;
    expect(body).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      result: {
        supportedVersions: ALL,
        capabilities: { tools: expect.any(Object) },
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { [serverInfoKey]: SERVER_INFO },
      },
    });
    expect(runtime?.size).toBe(0);
  });

  it('answers a tools/call as JSON, stamped, and keeps no session', async () => {
    const url = await listen();
    const response = await post(url, 'call-1', 'tools/call', {
      name: 'echo',
      arguments: { text: 'over the wire' },
      _meta: envelope(),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const body = (await response.json()) as JsonRpcBody;
    expect(body).toMatchObject({
      id: 'call-1',
      result: {
        content: [{ type: 'text', text: 'over the wire' }],
        resultType: 'complete',
        _meta: { [serverInfoKey]: SERVER_INFO },
      },
    });
    expect(runtime?.size).toBe(0);
    expect(runtime?.metrics()).toMatchObject({ accepted: 1, completed: 1, sessionsStarted: 0 });
  });

  it('streams progress on the POST, then the result', async () => {
    const url = await listen();
    const response = await post(url, 7, 'tools/call', {
      name: 'steps',
      arguments: {},
      _meta: envelope({ progressToken: 'pt' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const messages = sseMessages(await response.text());
    expect(messages.map((message) => message.method ?? message.id)).toEqual([
      'notifications/progress',
      'notifications/progress',
      7,
    ]);
    expect(messages[0]?.params).toEqual({ progressToken: 'pt', progress: 1, total: 2 });
    expect(messages[2]?.result).toMatchObject({ content: [{ text: 'stepped' }], resultType: 'complete' });
  });

  it('refuses with the 2026 statuses: 404 for a removed method, 400 for an unsupported version', async () => {
    const url = await listen();
    const ping = await post(url, 5, 'ping', { _meta: envelope() });
    expect(ping.status).toBe(404);
    expect(await ping.json()).toMatchObject({ id: 5, error: { code: -32601 } });
    const future = await post(
      url,
      6,
      'server/discover',
      { _meta: envelope({ 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }) },
      { headers: { 'mcp-protocol-version': 'v999.0.0' } },
    );
    expect(future.status).toBe(400);
    expect(await future.json()).toMatchObject({
      id: 6,
      error: { code: -32022, data: { supported: ALL, requested: 'v999.0.0' } },
    });
    const missingMeta = await post(url, 8, 'tools/list', {});
    expect(missingMeta.status).toBe(400);
    expect(await missingMeta.json()).toMatchObject({ id: 8, error: { code: -32602 } });
  });

  it("aborting the fetch after the first progress event aborts the handler's ctx.signal", async () => {
    const url = await listen();
    const controller = new AbortController();
    const response = await post(
      url,
      9,
      'tools/call',
      { name: 'hang', arguments: {}, _meta: envelope({ progressToken: 1 }) },
      { signal: controller.signal },
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('notifications/progress')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error('stream ended before the progress event');
      text += decoder.decode(chunk.value);
    }
    controller.abort();
    await aborted.promise;
    await sleep(20);
    expect(runtime?.metrics()).toMatchObject({ cancelled: 1, inFlight: 0 });
    expect(runtime?.size).toBe(0);
  });

  it('a client that hangs up before anything was written cancels the handler too', async () => {
    // No keep-alive: nothing is ever written, so only the hang-up itself can tell the handler.
    const url = await listen(0);
    const controller = new AbortController();
    const pending = post(
      url,
      10,
      'tools/call',
      { name: 'silent', arguments: {}, _meta: envelope() },
      { signal: controller.signal },
    ).catch((error: unknown) => error);
    await silentStarted.promise;
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await aborted.promise;
    await sleep(20);
    expect(runtime?.metrics()).toMatchObject({ cancelled: 1, inFlight: 0 });
  });
});
