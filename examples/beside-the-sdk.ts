/**
 * Beside the official TypeScript SDK: a team whose tools live on the SDK's `McpServer` keeps them,
 * and serves both protocol eras from one endpoint:
 *
 * - 2026-07-28 requests go to the SDK's own `createMcpHandler` (a fresh `McpServer` per request,
 *   as the SDK serves that revision);
 * - 2025 requests (the `initialize` handshake, session requests, GET streams, DELETE) go to a
 *   runtime of this library, which gives them sessions (`Mcp-Session-Id`), session limits
 *   (`maxSessions`, per-session mailboxes), idle expiry and graceful shutdown. Its tools are the
 *   SDK server's own: each session gets its own `McpServer` from the same factory, reached in
 *   process over the SDK's `InMemoryTransport` through its `Client`, so state the server keeps per
 *   instance is per session, and is dropped when the session stops.
 *
 * The split is the SDK's `isLegacyRequest`, the very classification `createMcpHandler` runs. Only
 * the SDK's public API is used: `McpServer`, `Client`, `InMemoryTransport`, `createMcpHandler`,
 * `isLegacyRequest`.
 *
 *   npx tsx examples/beside-the-sdk.ts     # http://127.0.0.1:3000/mcp (PORT, HOST change it)
 *
 * See docs/beside-the-sdk.md for the recipe and its limits.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/client';
import {
  createMcpHandler,
  InMemoryTransport,
  isLegacyRequest,
  McpServer,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { StreamableHttpOptions } from '../src/http/index.js';
import { closeGracefully, createFetchHandler } from '../src/http/index.js';
import type { CallToolResult, SessionRuntime, SessionRuntimeOptions, ToolDefinition } from '../src/index.js';
import { createSessionRuntime, defineTool } from '../src/index.js';
import { exampleDrainMs, exampleEndpoint, exampleHost, examplePort, exitOnSignals } from './listen.js';

// ── The team's existing server, unchanged: an McpServer factory ─────────────────────────────────

/** The team's tools, on the SDK's McpServer. `visits` is state the instance keeps. */
export function createTeamServer(): McpServer {
  const server = new McpServer({ name: 'team-server', version: '1.0.0' });
  let visits = 0;
  server.registerTool(
    'greet',
    { description: 'Greets someone', inputSchema: z.object({ name: z.string() }) },
    async ({ name }) => ({ content: [{ type: 'text', text: `Hello, ${name}!` }] }),
  );
  server.registerTool(
    'visits',
    { description: 'Counts the calls this server instance has had', inputSchema: z.object({}) },
    async () => {
      visits++;
      return { content: [{ type: 'text', text: String(visits) }], structuredContent: { visits } };
    },
  );
  return server;
}

// ── The bridge: an McpServer factory's tools as tools of a runtime ──────────────────────────────

/** A connected in-process client of one McpServer instance. */
async function connectInProcess(factory: () => McpServer | Promise<McpServer>): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = await factory();
  await server.connect(serverSide);
  const client = new Client({ name: 'mcp-session-runtime-bridge', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/**
 * The tools of the McpServer that `factory` builds, as tool definitions for `createSessionRuntime`.
 * Their listing (name, title, description, input schema, annotations) is read once from a probe
 * instance; each call is forwarded, with its progress and its cancellation, to an instance of the
 * session's own (built at its first call and closed when the session stops, `bind(runtime)`), so
 * the server validates the arguments and answers as it does today. A sessionless call (2026-07-28,
 * when the runtime serves that era too) gets an instance of its own.
 */
export async function toolsOfMcpServer(factory: () => McpServer | Promise<McpServer>): Promise<{
  tools: ToolDefinition[];
  bind(runtime: SessionRuntime): void;
}> {
  const probe = await connectInProcess(factory);
  const listed = [];
  let cursor: string | undefined;
  do {
    const page = await probe.listTools(cursor === undefined ? {} : { cursor });
    listed.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  await probe.close();

  const perSession = new Map<string, Promise<Client>>();
  const clientFor = (sessionId: string): Promise<Client> => {
    let client = perSession.get(sessionId);
    if (client === undefined) {
      client = connectInProcess(factory);
      perSession.set(sessionId, client);
    }
    return client;
  };
  const tools = listed.map((tool) =>
    defineTool({
      name: tool.name,
      ...(tool.title === undefined ? {} : { title: tool.title }),
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
      // The SDK server validates the arguments against its own schema; it is advertised as written.
      inputSchema: z.looseObject({}),
      advertisedInputSchema: tool.inputSchema,
      handler: async (args, ctx) => {
        const sessionless = ctx.sessionId === '';
        const client = sessionless ? await connectInProcess(factory) : await clientFor(ctx.sessionId);
        try {
          // The SDK's result is a CallToolResult already (content, structuredContent, isError).
          return (await client.callTool(
            { name: tool.name, arguments: args },
            {
              signal: ctx.signal,
              onprogress: ({ progress, total, message }) =>
                ctx.progress({
                  progress,
                  ...(total === undefined ? {} : { total }),
                  ...(message === undefined ? {} : { message }),
                }),
            },
          )) as CallToolResult;
        } finally {
          if (sessionless) await client.close();
        }
      },
    }),
  ) as ToolDefinition[];
  return {
    tools,
    bind(runtime) {
      runtime.events.on('sessionStopped', ({ sessionId }) => {
        const client = perSession.get(sessionId);
        perSession.delete(sessionId);
        void client?.then((connected) => connected.close()).catch(() => {});
      });
    },
  };
}

// ── One endpoint, split by the SDK's own classification ─────────────────────────────────────────

/** Both halves and the fetch-shaped endpoint that splits between them. */
export interface BesideTheSdk {
  /** The endpoint: `isLegacyRequest` → the runtime, else → the SDK's handler. */
  fetch(request: Request): Promise<Response>;
  /** The runtime serving the 2025 sessions. */
  readonly runtime: SessionRuntime;
  /** The SDK's handler serving 2026-07-28. */
  readonly modern: ReturnType<typeof createMcpHandler>;
}

/**
 * Builds the split endpoint over `factory` (default: {@link createTeamServer}). `runtime` options
 * set the sessions' limits and idle expiry (here: at most 1,000 sessions, 30 minutes idle).
 */
export async function createBesideTheSdk(
  options: {
    factory?: () => McpServer | Promise<McpServer>;
    runtime?: SessionRuntimeOptions;
    http?: StreamableHttpOptions;
  } = {},
): Promise<BesideTheSdk> {
  const factory = options.factory ?? createTeamServer;
  const bridged = await toolsOfMcpServer(factory);
  const runtime = createSessionRuntime({
    serverInfo: { name: 'team-server', version: '1.0.0' },
    maxSessions: 1_000,
    idleTimeoutMs: 30 * 60_000,
    ...options.runtime,
    tools: bridged.tools,
  });
  bridged.bind(runtime);
  const legacy = createFetchHandler(runtime, options.http);
  // Modern-only: 2025 traffic never reaches it (the split sends it to the runtime).
  const modern = createMcpHandler(factory, { legacy: 'reject' });
  return {
    runtime,
    modern,
    fetch: async (request) => ((await isLegacyRequest(request)) ? legacy(request) : modern.fetch(request)),
  };
}

/** Serves `endpoint` at `/mcp` on `node:http` (the SDK's Node adapter builds on the same listener). */
export function serveOnNode(endpoint: BesideTheSdk): Server {
  const listener = getRequestListener((request) => endpoint.fetch(request));
  return createServer((req, res) => {
    if (req.url?.split('?')[0] === '/mcp') void listener(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the MCP endpoint is /mcp\n');
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const endpoint = await createBesideTheSdk();
  const server = serveOnNode(endpoint);
  server.listen(examplePort, exampleHost, () => {
    process.stderr.write(`MCP server (beside the SDK) listening on ${exampleEndpoint(server)}\n`);
  });
  exitOnSignals(async () => {
    await closeGracefully(server, endpoint.runtime, { drainMs: exampleDrainMs });
    await endpoint.modern.close();
  });
}
