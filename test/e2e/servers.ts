/**
 * Real servers on ephemeral ports for the end-to-end tests: the demo runtime of the examples behind
 * the Node handler (`node:http`) or the fetch handler (Hono on `@hono/node-server`).
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Hono } from 'hono';
import { createDemoRuntime } from '../../examples/tools.js';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';

export type ServerKind = 'node' | 'hono';

export interface TestServer {
  readonly url: URL;
  readonly runtime: SessionRuntime;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly runtime?: SessionRuntimeOptions;
  readonly http?: StreamableHttpOptions;
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => {
    if (server.listening) resolve((server.address() as AddressInfo).port);
    else server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
}

function nodeServer(runtime: SessionRuntime, options: StreamableHttpOptions | undefined): Server {
  const mcp = createNodeHandler(runtime, options);
  return createServer((req, res) => {
    if (req.url === '/mcp') mcp(req, res);
    else res.writeHead(404).end();
  }).listen(0, '127.0.0.1');
}

function honoServer(runtime: SessionRuntime, options: StreamableHttpOptions | undefined): Server {
  const mcp = createFetchHandler(runtime, options);
  const app = new Hono();
  app.all('/mcp', (c) => mcp(c.req.raw));
  return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
}

/** Starts the demo server; `close()` shuts the runtime (cancelling what runs) and the sockets. */
export async function startServer(kind: ServerKind, options: TestServerOptions = {}): Promise<TestServer> {
  const runtime = createDemoRuntime(options.runtime);
  const server = kind === 'node' ? nodeServer(runtime, options.http) : honoServer(runtime, options.http);
  const port = await listening(server);
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    runtime,
    async close() {
      await runtime.close({ drainMs: 0 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An official SDK client, connected (initialize + initialized + standalone GET stream). */
export async function connectClient(
  url: URL,
  name = 'e2e',
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

export const initializeBody = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A raw POST with the headers a correct client sends, plus `headers`. */
export function post(url: URL, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...postHeaders, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A raw `initialize`; resolves with the new session id. */
export async function initialize(url: URL): Promise<string> {
  const response = await post(url, initializeBody);
  const sessionId = response.headers.get('mcp-session-id');
  await response.body?.cancel();
  if (response.status !== 200 || sessionId === null) throw new Error(`initialize failed: ${response.status}`);
  return sessionId;
}

/** A JSON-RPC message as it travels, loosely typed for assertions. */
export interface WireMessage {
  readonly jsonrpc: '2.0';
  readonly id?: string | number | null;
  readonly method?: string;
  readonly result?: { readonly [key: string]: unknown; readonly tools?: readonly { name: string }[] };
  readonly error?: {
    readonly code: number;
    readonly message: string;
    readonly data?: { readonly reason?: string; readonly supported?: readonly string[] };
  };
}

/** The body of a JSON answer. */
export function jsonOf(response: Response): Promise<WireMessage> {
  return response.json() as Promise<WireMessage>;
}
