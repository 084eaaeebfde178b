/**
 * An MCP server over Streamable HTTP on plain `node:http`: http://127.0.0.1:3000/mcp (PORT and HOST
 * change it). It shows one runtime serving many isolated sessions: each client that sends
 * `initialize` gets its own `Mcp-Session-Id`, its own `counter`, progress from `slow`, and its
 * session ends on DELETE or after 30 minutes of silence (logged to stderr).
 *
 *   npx tsx examples/http-server.ts
 *
 * It binds 127.0.0.1 by default, and the handler refuses other `Host`/`Origin` values (DNS
 * rebinding). To serve other machines, bind 0.0.0.0 and pass `allowedHosts`. The operator's views,
 * http://127.0.0.1:3000/dashboard (live sessions) and http://127.0.0.1:3000/metrics (Prometheus),
 * answer this machine only.
 */
import { createServer } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { closeGracefully, createNodeHandler } from '../src/http/index.js';
import { createTransitionLog } from '../src/index.js';
import {
  exampleDrainMs,
  exampleEndpoint,
  exitOnSignals,
  explainListenErrors,
  exampleHost as host,
  examplePort as port,
} from './listen.js';
import { createDemoRuntime, logHandlerFailures, logSessionLifecycle } from './tools.js';

// GET /metrics: whatever is measured through @opentelemetry/api, in the Prometheus text format.
// The provider is registered before the runtime exists, so that instruments made at start-up see it.
const exporter = new PrometheusExporter({ preventServerStart: true });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));

// The dashboard's Transitions panel: the latest lifecycle transitions of every actor.
const transitions = createTransitionLog();
const runtime = createDemoRuntime({ inspect: transitions.inspect });
logSessionLifecycle(runtime);
logHandlerFailures(runtime);
// Failures the transport hides from clients (they see "Internal error") go to stderr too.
const mcp = createNodeHandler(runtime, {
  // GET /health and /ready for a load balancer or an orchestrator's probes.
  health: true,
  // GET /metrics for Prometheus and GET /dashboard for a person: both answer this machine only.
  metrics: { exporter },
  dashboard: { transitions },
  onError: (error) =>
    process.stderr.write(`transport error: ${error instanceof Error ? error.stack : String(error)}\n`),
});

const server = createServer((req, res) => {
  const path = req.url?.split('?')[0];
  if (
    path === '/mcp' ||
    path === '/health' ||
    path === '/ready' ||
    path === '/metrics' ||
    path === '/dashboard' ||
    path === '/dashboard/events'
  )
    mcp(req, res);
  else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the MCP endpoint is /mcp\n');
});

explainListenErrors(server);
server.listen(port, host, () => {
  const endpoint = exampleEndpoint(server);
  const base = endpoint.slice(0, -'/mcp'.length);
  process.stderr.write(
    `MCP server listening on ${endpoint}\n` +
      `Also serving ${base}/health, ${base}/ready, ${base}/metrics (Prometheus) and ${base}/dashboard ` +
      '(sessions and transitions); metrics and dashboard answer this machine only\n',
  );
});

// SIGTERM (a deploy) or Ctrl-C: /ready and new sessions answer 503 with Retry-After, running calls
// get DRAIN_MS (default 5 s) to finish and are then cancelled with an error answer, every stream
// ends, the listener closes, and the process exits 0.
exitOnSignals(() => closeGracefully(server, runtime, { drainMs: exampleDrainMs }));
