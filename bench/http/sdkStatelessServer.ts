/**
 * Child process: the 2026-07-28 baseline, `createMcpHandler` from the official TypeScript SDK 2.x
 * (`@modelcontextprotocol/server`) written the way its documentation shows: a factory that builds a
 * fresh `McpServer` with the `echo` tool, called by the handler once per HTTP request, and
 * `legacy: 'reject'` (modern-only: the contest sends nothing else, and the stateless 2025 fallback
 * would only add a branch that is never taken).
 *
 * The handler is fetch-shaped (`Request` → `Response`); on `node:http` it is served through
 * `getRequestListener` of `@hono/node-server`, the adapter the SDK's own Node package builds on (that
 * package, `@modelcontextprotocol/node`, is not a dependency here; its `toNodeHandler` is the same
 * bridge).
 *
 * `--mode=json` sets `responseMode: 'json'` (one JSON body; no notification is sent, since JSON
 * calls carry no progress token); `--mode=sse` sets `responseMode: 'sse'` (every request answered
 * with an event stream: the progress notification, then the response). The `echo` tool sends one
 * progress notification before it answers when the call carried `_meta.progressToken`, exactly as
 * ours does. The server holds no sessions: it reports 0 live.
 */
import { getRequestListener } from '@hono/node-server';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { argumentOf, serveBenchmarkChild } from './childControl.js';

const responseMode = argumentOf('mode') === 'sse' ? 'sse' : 'json';

function createServer(): McpServer {
  const server = new McpServer({ name: 'bench-sdk2', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: z.object({ text: z.string() }) },
    async ({ text }, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: 1, total: 1 },
        });
      }
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

const handler = createMcpHandler(createServer, { legacy: 'reject', responseMode });
// Hono passes its Node bindings as the second argument; the SDK's second argument is its own options.
const listener = getRequestListener((request) => handler.fetch(request));

serveBenchmarkChild(
  (req, res) => {
    if (req.url === '/mcp') void listener(req, res);
    else res.writeHead(404).end();
  },
  () => 0,
);
