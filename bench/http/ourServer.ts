/**
 * Child process: our Streamable HTTP server, `createSessionRuntime` with one `echo` tool behind
 * `createNodeHandler`, as a user would write it.
 *
 * The `echo` tool reports one progress update before it answers, which reaches the client only
 * when the call carried `_meta.progressToken`: then our transport answers with an event stream
 * (priming event, the progress notification, the response); without a token the progress call does
 * nothing and the answer is plain JSON. The SDK server (`sdkServer.ts`) does exactly the same work.
 *
 * `--idle-timeout-ms=<ms>` sets the runtime's idle timeout (the memory phase uses a short one).
 * `--telemetry=traces+metrics` (or `sampled-traces+metrics`, `metrics`) registers an OpenTelemetry SDK first
 * (`harness/telemetrySdk.ts`) and serves its Prometheus text at `GET /metrics`.
 */
import { z } from 'zod';
import { createNodeHandler } from '../../src/http/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { parseSignals, TelemetrySdk } from '../harness/telemetrySdk.js';
import { argumentOf, serveBenchmarkChild } from './childControl.js';

const echo = defineTool({
  name: 'echo',
  description: 'Echoes its text',
  inputSchema: z.object({ text: z.string() }),
  handler: async ({ text }, ctx) => {
    ctx.progress({ progress: 1, total: 1 });
    return text;
  },
});

const idleTimeout = argumentOf('idle-timeout-ms');
const signals = parseSignals(argumentOf('telemetry'));
const sdk = signals === undefined ? undefined : new TelemetrySdk(signals);
sdk?.install();
const runtime = createSessionRuntime({
  serverInfo: { name: 'bench-ours', version: '1.0.0' },
  tools: [echo],
  ...(idleTimeout === undefined ? {} : { idleTimeoutMs: Number(idleTimeout) }),
});
const handler = createNodeHandler(runtime);

serveBenchmarkChild(
  (req, res) => {
    if (req.url === '/mcp') handler(req, res);
    else if (req.url === '/metrics' && sdk !== undefined) sdk.prometheus.getMetricsRequestHandler(req, res);
    else res.writeHead(404).end();
  },
  () => runtime.size,
);
