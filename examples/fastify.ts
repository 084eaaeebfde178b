/**
 * The MCP server mounted in a Fastify 5 app. Fastify's content-type parser reads JSON bodies before
 * any route runs, so the route hands `request.body` to the handler, and `reply.hijack()` leaves the
 * raw response (JSON answers and SSE streams alike) to it.
 *
 *   npx tsx examples/fastify.ts   # http://127.0.0.1:3000/mcp (PORT and HOST change it)
 *
 * The body was bounded by Fastify's `bodyLimit` (1 MiB by default, set here to the handler's 4 MiB
 * `maxBodyBytes`); Fastify, not the handler, refuses a body it cannot parse, hence the error handler
 * below, which keeps those answers JSON-RPC.
 */
import type { FastifyError } from 'fastify';
import Fastify from 'fastify';
import { createNodeHandler } from '../src/http/index.js';
import { exampleDrainMs, exitOnSignals } from './listen.js';
import { createDemoRuntime, logSessionLifecycle } from './tools.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const runtime = createDemoRuntime();
logSessionLifecycle(runtime);
const mcp = createNodeHandler(runtime, { onError: (error) => console.error(error) });

const app = Fastify({ bodyLimit: 4 * 1024 * 1024 });
app.all('/mcp', async (request, reply) => {
  reply.hijack();
  mcp(request.raw, reply.raw, request.body);
});
app.get('/health', async () => ({ sessions: runtime.size }));

// Fastify's body refusals as JSON-RPC errors: bad or empty JSON is -32700 (400), too large is 413.
app.setErrorHandler((error: FastifyError, _request, reply) => {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return reply
      .status(400)
      .send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply
      .status(413)
      .send({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Payload too large' } });
  }
  return reply.send(error);
});

try {
  await app.listen({ port, host });
  process.stderr.write(`MCP server (Fastify) listening on http://${host}:${port}/mcp\n`);
} catch (error) {
  process.stderr.write(`cannot listen on ${host}:${port}: ${String(error)} (set PORT to use another)\n`);
  process.exit(1);
}

// Ctrl-C: refuse new work, let running calls finish (up to 5 s), end every stream, then exit.
// SIGTERM or Ctrl-C: the runtime drains first (new sessions get 503, running calls get DRAIN_MS,
// default 5 s, every stream ends), then Fastify closes (its onClose hooks run), then exit 0.
exitOnSignals(async () => {
  await runtime.close({ drainMs: exampleDrainMs });
  await app.close();
});
