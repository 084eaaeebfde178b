/**
 * The demo server of examples/http-server.ts (the same runtime, tools, `node:http` handler, and
 * `closeGracefully` on SIGTERM), plus one stderr line per HTTP request as it arrives and one when
 * its answer ends, so that a test can count what reached each process across a restart:
 *
 *   request 3 POST session=<Mcp-Session-Id sent, or ->
 *   answer 3 404
 *
 * `PORT`, `HOST` and `DRAIN_MS` as for the examples.
 */
import { createServer } from 'node:http';
import {
  exampleDrainMs,
  exampleEndpoint,
  exitOnSignals,
  explainListenErrors,
  exampleHost as host,
  examplePort as port,
} from '../../examples/listen.js';
import { createDemoRuntime, logSessionLifecycle } from '../../examples/tools.js';
import { closeGracefully, createNodeHandler } from '../../src/http/index.js';

const runtime = createDemoRuntime();
logSessionLifecycle(runtime);
const mcp = createNodeHandler(runtime, { health: true });

let requests = 0;
const server = createServer((req, res) => {
  const n = ++requests;
  process.stderr.write(`request ${n} ${req.method} session=${req.headers['mcp-session-id'] ?? '-'}\n`);
  res.once('close', () => process.stderr.write(`answer ${n} ${res.statusCode}\n`));
  mcp(req, res);
});

explainListenErrors(server);
server.listen(port, host, () => {
  process.stderr.write(`MCP server listening on ${exampleEndpoint(server)}\n`);
});
exitOnSignals(() => closeGracefully(server, runtime, { drainMs: exampleDrainMs }));
