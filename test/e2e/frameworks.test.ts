/**
 * The Node handler mounted the way users of each framework mount it, end to end with the official
 * SDK client: Express 5 with and without `express.json()` (the official SDK's examples put it before
 * the MCP route), Fastify 5 (its content-type parser consumes JSON bodies: `reply.hijack()` and
 * `request.body` passed on) and Koa 3 with and without `@koa/bodyparser` (`ctx.respond = false`).
 * Each: initialize, tools/list, tools/call with progress over SSE, a message on the GET stream,
 * a JSON-RPC batch at 2025-03-26, DELETE.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import { createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { connectClient, initializeBody, post } from './servers.js';

interface Mounted {
  readonly url: URL;
  close(): Promise<void>;
}

type Mount = (runtime: SessionRuntime) => Promise<Mounted>;

async function listening(server: Server): Promise<URL> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

function closing(server: Server): () => Promise<void> {
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
}

const mounts: Record<string, Mount> = {
  async 'Express 5 with express.json()'(runtime) {
    const mcp = createNodeHandler(runtime);
    const app = express();
    app.use(express.json({ limit: '4mb' }));
    // As the official SDK's examples mount their transport: the parsed body is on req.body.
    app.all('/mcp', (req, res) => mcp(req, res));
    const server = app.listen(0, '127.0.0.1');
    return { url: await listening(server), close: closing(server) };
  },
  async 'Express 5 with express.json(), passing req.body'(runtime) {
    const mcp = createNodeHandler(runtime);
    const app = express();
    app.use(express.json({ limit: '4mb' }));
    app.all('/mcp', (req, res) => mcp(req, res, req.body));
    const server = app.listen(0, '127.0.0.1');
    return { url: await listening(server), close: closing(server) };
  },
  async 'Express 5 without a body parser'(runtime) {
    const mcp = createNodeHandler(runtime);
    const app = express();
    app.all('/mcp', (req, res) => mcp(req, res));
    const server = app.listen(0, '127.0.0.1');
    return { url: await listening(server), close: closing(server) };
  },
  async 'Fastify 5'(runtime) {
    const mcp = createNodeHandler(runtime);
    const app = Fastify();
    app.all('/mcp', async (request, reply) => {
      // Fastify already parsed the JSON body; the handler answers on the raw response.
      reply.hijack();
      mcp(request.raw, reply.raw, request.body);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: await listening(app.server), close: () => app.close() };
  },
  async 'Koa 3 with @koa/bodyparser'(runtime) {
    const mcp = createNodeHandler(runtime);
    const app = new Koa();
    app.use(bodyParser());
    app.use(async (ctx) => {
      if (ctx.path !== '/mcp') return;
      ctx.respond = false;
      mcp(ctx.req, ctx.res, ctx.request.body);
    });
    const server = app.listen(0, '127.0.0.1');
    return { url: await listening(server), close: closing(server) };
  },
  async 'Koa 3 without a body parser'(runtime) {
    const mcp = createNodeHandler(runtime);
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.path !== '/mcp') return;
      ctx.respond = false;
      mcp(ctx.req, ctx.res);
    });
    const server = app.listen(0, '127.0.0.1');
    return { url: await listening(server), close: closing(server) };
  },
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function start(mount: Mount): Promise<{ runtime: SessionRuntime; url: URL }> {
  const runtime = createDemoRuntime();
  const mounted = await mount(runtime);
  closers.push(async () => {
    await runtime.close({ drainMs: 0 });
    await mounted.close();
  });
  return { runtime, url: mounted.url };
}

describe.each(Object.keys(mounts))('the Node handler in %s, with the official SDK client', (name) => {
  const mount = mounts[name] as Mount;

  it('initializes, lists and calls tools with progress over SSE, hears the GET stream, and DELETEs', async () => {
    const { runtime, url } = await start(mount);
    const { client, transport } = await connectClient(url);
    closers.unshift(() => client.close());
    const sessionId = transport.sessionId as string;
    expect(runtime.has(sessionId)).toBe(true);

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'add', 'slow', 'counter']);

    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow', arguments: { steps: 3, delayMs: 1 } }, undefined, {
      onprogress: ({ progress: value }) => progress.push(value),
    });
    expect(progress).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'done after 3 steps' }] });

    // A message that belongs to no request reaches the client on its standalone GET stream.
    let heard = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      heard++;
    });
    await vi.waitFor(() =>
      expect(runtime.notify(sessionId, { method: 'notifications/tools/list_changed' })).toBe(true),
    );
    await vi.waitFor(() => expect(heard).toBeGreaterThan(0));

    await transport.terminateSession();
    expect(runtime.has(sessionId)).toBe(false);
  });

  it('serves a JSON-RPC batch in a 2025-03-26 session, its body parsed by the framework or by us', async () => {
    const { url } = await start(mount);
    const opened = await post(url, {
      ...initializeBody,
      params: { ...initializeBody.params, protocolVersion: '2025-03-26' },
    });
    expect(opened.status).toBe(200);
    const headers = { 'mcp-session-id': opened.headers.get('mcp-session-id') as string };
    await opened.body?.cancel();
    expect((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).status).toBe(
      202,
    );
    const batch = [
      { jsonrpc: '2.0', id: 'a', method: 'ping' },
      { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } },
    ];
    const response = await post(url, batch, headers);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject([
      { id: 'a', result: {} },
      { id: 'b', result: { structuredContent: { sum: 3 } } },
    ]);
  });
});
