/**
 * The MCP server mounted in an Express 5 app, the way most Node MCP servers are built: beside other
 * routes, after `express.json()`. The handler takes the body `express.json()` already parsed from
 * `req.body` (passing it as a third argument, `mcp(req, res, req.body)`, works too).
 *
 *   npx tsx examples/express.ts   # http://127.0.0.1:3000/mcp (PORT and HOST change it)
 *
 * A body parsed by Express was bounded by `express.json()`'s own `limit` (100 kB by default, raised
 * here to the handler's 4 MiB `maxBodyBytes`); Express, not the handler, answers a body it cannot
 * parse, hence the error middleware below, which keeps those answers JSON-RPC. Mounted before
 * `express.json()`, the handler reads the body itself, under `maxBodyBytes` and `bodyTimeoutMs`.
 */
import type { ErrorRequestHandler } from 'express';
import express from 'express';
import { closeGracefully, createNodeHandler } from '../src/http/index.js';
import { exampleDrainMs, exitOnSignals } from './listen.js';
import { createDemoRuntime, logSessionLifecycle } from './tools.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const runtime = createDemoRuntime();
logSessionLifecycle(runtime);
const mcp = createNodeHandler(runtime, { onError: (error) => console.error(error) });

const app = express();
app.use(express.json({ limit: '4mb' }));
app.all('/mcp', (req, res) => mcp(req, res));
app.get('/health', (_req, res) => {
  res.json({ sessions: runtime.size });
});

// `express.json()` refusals as JSON-RPC errors: bad JSON is -32700 (400), too large is 413.
const jsonRpcErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.parse.failed') {
    res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  } else if (type === 'entity.too.large') {
    res.status(413).json({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Payload too large' } });
  } else next(error);
};
app.use(jsonRpcErrors);

const server = app.listen(port, host, (error?: Error) => {
  if (error !== undefined) {
    process.stderr.write(`cannot listen on ${host}:${port}: ${error.message} (set PORT to use another)\n`);
    process.exit(1);
  }
  process.stderr.write(`MCP server (Express) listening on http://${host}:${port}/mcp\n`);
});

// Ctrl-C: refuse new work, let running calls finish (up to 5 s), end every stream, then exit.
// SIGTERM or Ctrl-C: refuse new sessions (503), let running calls finish (DRAIN_MS, default 5 s),
// end every stream, close the listener, exit 0.
exitOnSignals(() => closeGracefully(server, runtime, { drainMs: exampleDrainMs }));
