/**
 * HTTP 2026-07-28 stateless: our server's sessionless path (`runtime.serve` behind the same
 * `createNodeHandler` endpoint that serves 2025 sessions) against `createMcpHandler` of the official
 * SDK 2.x (`@modelcontextprotocol/server`), which builds one `McpServer` per request, each alone in
 * a child process, driven by the closed-loop load generator of the `http` scenario: 50 clients, each
 * calling the same `echo` tool back to back with no `initialize` and no session (every POST carries
 * the `_meta` envelope, `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`).
 *
 * Target: ≥ 5× less server CPU per call than the SDK handler (ratio = SDK CPU ÷ ours), in both
 * answer modes; calls/s and p50/p99 are reported beside it.
 * - JSON: no progress token, no notification; both answer one `application/json` body (the SDK
 *   with `responseMode: 'json'`).
 * - SSE: each call carries `_meta.progressToken` and the tool sends one progress notification before
 *   its result; both answer a `text/event-stream` carrying the notification, then the response (ours
 *   opens its stream at the notification; the SDK with `responseMode: 'sse'` streams every request).
 * Every answer is checked (status 200, the echoed text, `resultType: "complete"`, no
 * `Mcp-Session-Id`, the notification in SSE mode), and neither server may hold a session afterwards;
 * any error makes the rows a miss.
 */

import type { BenchConfig } from '../harness/config.js';
import { formatCount, formatMs, formatRatio } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atLeast } from '../harness/table.js';
import type { ContestPlan, ServerStanding } from '../http/contest.js';
import { runContest } from '../http/contest.js';
import type { ResponseMode } from '../http/McpHttpClient.js';
import { errorNote, judged, orMiss, reportFigures } from './http.js';

const CLIENTS = 50;
const CPU_TARGET = 5;

function reportContest(mode: ResponseMode, ours: ServerStanding, sdk: ServerStanding, report: Report): void {
  const label = `HTTP 2026-07-28 stateless ${mode === 'json' ? 'JSON' : 'SSE'}: tools/call echo, ${CLIENTS} clients closed loop`;
  const erred = ours.errors + sdk.errors > 0;
  report.add({
    scenario: `${label}: calls/s`,
    ours: `${formatCount(ours.rate)} calls/s${errorNote(ours)}`,
    baseline: `SDK 2.x createMcpHandler ${formatCount(sdk.rate)} calls/s${errorNote(sdk)}`,
    ratio: formatRatio(ours.rate / sdk.rate),
    target: '—',
    verdict: erred ? 'MISS' : 'info',
  });
  report.add({
    scenario: `${label}: p50 / p99`,
    ours: `p50 ${formatMs(ours.p50)}, p99 ${formatMs(ours.p99)}`,
    baseline: `SDK 2.x p50 ${formatMs(sdk.p50)}, p99 ${formatMs(sdk.p99)}`,
    ratio: formatRatio(ours.p99 / sdk.p99),
    target: '—',
    verdict: erred ? 'MISS' : 'info',
  });
  const cpuRatio = sdk.serverCpuPerCall / ours.serverCpuPerCall;
  report.add({
    scenario: `${label}: server CPU per call`,
    ours: `${ours.serverCpuPerCall.toFixed(1)} µs/call`,
    baseline: `SDK 2.x ${sdk.serverCpuPerCall.toFixed(1)} µs/call`,
    ratio: `${formatRatio(cpuRatio)} less`,
    target: `server CPU per call ≥ ${CPU_TARGET}× less`,
    verdict: judged(atLeast(cpuRatio, CPU_TARGET), ours, sdk),
  });
  reportFigures(label, 'official SDK 2.x createMcpHandler', ours, sdk, report);
  for (const standing of [ours, sdk]) {
    const rates = standing.runs.map((run) => (run.calls * 1000) / run.elapsedMs);
    const cpus = standing.runs.map((run) => run.serverCpuMicros / run.calls);
    report.detail({
      scenario: label,
      engine: standing.kind === 'ours' ? 'ours' : 'SDK 2.x createMcpHandler',
      figures: [
        `${formatCount(standing.rate)} calls/s (runs ${formatCount(Math.min(...rates))}–${formatCount(Math.max(...rates))})`,
        `p50 ${formatMs(standing.p50)}, p99 ${formatMs(standing.p99)}`,
        `server CPU ${standing.serverCpuPerCall.toFixed(1)} µs/call (runs ${Math.min(...cpus).toFixed(1)}–${Math.max(...cpus).toFixed(1)})`,
        `load generator CPU ${standing.clientCpuPerCall.toFixed(1)} µs/call`,
        `${standing.errors} errors`,
      ].join(', '),
    });
  }
}

export async function statelessScenario(config: BenchConfig, report: Report): Promise<void> {
  for (const mode of ['json', 'sse'] as const) {
    const label = `HTTP 2026-07-28 stateless ${mode}: ours vs SDK 2.x createMcpHandler, ${CLIENTS} clients closed loop`;
    console.log(`\n▸ ${label}, servers in child processes`);
    const plan: ContestPlan = {
      mode,
      era: '2026-07-28',
      clients: CLIENTS,
      warmUpMs: config.full ? 3_000 : 1_500,
      windowMs: config.full ? 5_000 : 1_500,
      runs: config.runs,
    };
    await orMiss(label, report, async () => {
      const { ours, sdk } = await runContest(plan);
      reportContest(mode, ours, sdk, report);
    });
  }
}
