/**
 * The same MCP server mounted in a Hono app, through the Web-standard `Request → Response` handler:
 * the form Hono, Bun and Deno speak. The runtime and tools are the ones of `http-server.ts`; only
 * the server around them changes. Hono serves other routes beside it (here `/health`).
 *
 *   npx tsx examples/hono.ts      # http://127.0.0.1:3000/mcp (PORT and HOST change it)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { closeGracefully, createFetchHandler } from '../src/http/index.js';
import {
  exampleDrainMs,
  exitOnSignals,
  explainListenErrors,
  exampleHost as hostname,
  examplePort as port,
} from './listen.js';
import { createDemoRuntime, logHandlerFailures, logSessionLifecycle } from './tools.js';

const runtime = createDemoRuntime();
logSessionLifecycle(runtime);
logHandlerFailures(runtime);
// Failures the transport hides from clients (they see "Internal error") go to stderr too.
const mcp = createFetchHandler(runtime, {
  onError: (error) =>
    process.stderr.write(`transport error: ${error instanceof Error ? error.stack : String(error)}\n`),
});

const app = new Hono();
app.all('/mcp', (c) => mcp(c.req.raw));
app.get('/health', (c) => c.json({ sessions: runtime.size }));

const server = serve({ fetch: app.fetch, port, hostname }, () => {
  process.stderr.write(`MCP server (Hono) listening on http://${hostname}:${port}/mcp\n`);
});
explainListenErrors(server);

// SIGTERM or Ctrl-C: refuse new sessions (503), let running calls finish (DRAIN_MS, default 5 s),
// end every stream, close the listener (serve() returns a node:http server), exit 0.
exitOnSignals(() => closeGracefully(server, runtime, { drainMs: exampleDrainMs }));
