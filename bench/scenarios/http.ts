/**
 * HTTP: our Streamable HTTP server against a server built the standard way on the official SDK 1.x
 * (`McpServer` + `StreamableHTTPServerTransport`, one of each per session), each alone in a child
 * process, driven by a closed-loop load generator in this process over loopback keep-alive
 * connections: 50 sessions, each calling the same `echo` tool back to back.
 *
 * Targets: ≥ 5× the calls/s and ≤ 1/3 the p99 of the SDK server, in both answer modes:
 * - JSON: no progress token, no notification; both servers answer one `application/json` body
 *   (the SDK server with `enableJsonResponse: true`).
 * - SSE: each call carries `_meta.progressToken` and the tool sends one progress notification before
 *   its result; both servers answer a `text/event-stream` carrying the notification, then the
 *   response (ours opens its stream at the notification and starts it with a priming event; the
 *   SDK server, `enableJsonResponse: false`, streams every request).
 * And ≤ 4 KiB of heap per idle session behind HTTP, given back when the sessions idle out or are
 * deleted; the SDK pattern is measured the same way for comparison.
 */

import type { BenchConfig } from '../harness/config.js';
import { formatBytes, formatCount, formatMs, formatRatio } from '../harness/stats.js';
import type { Report, Verdict } from '../harness/table.js';
import { atLeast, atMost } from '../harness/table.js';
import type { ContestPlan, ServerStanding } from '../http/contest.js';
import { runContest } from '../http/contest.js';
import type { IdleMemory } from '../http/idleMemory.js';
import { measureIdleMemory } from '../http/idleMemory.js';
import type { ResponseMode } from '../http/McpHttpClient.js';

const CLIENTS = 50;
const RATE_TARGET = 5;
const P99_TARGET = 1 / 3;
const PER_SESSION_TARGET = 4 * 1024;
/** "Back to baseline": what stays after the sessions are gone is at most this share of what they took. */
const RETAINED_SHARE = 0.05;

/** A verdict that no error can hide behind: a contest with errors on either side is a miss. */
export function judged(verdict: Verdict, ours: ServerStanding, sdk: ServerStanding): Verdict {
  return ours.errors + sdk.errors > 0 ? 'MISS' : verdict;
}

export function errorNote(standing: ServerStanding): string {
  return standing.errors === 0 ? '' : ` (${standing.errors} ERRORS: ${standing.errorSamples[0]})`;
}

function reportContest(mode: ResponseMode, ours: ServerStanding, sdk: ServerStanding, report: Report): void {
  const label = `HTTP ${mode === 'json' ? 'JSON' : 'SSE'}: tools/call echo, ${CLIENTS} sessions closed loop`;
  const rateRatio = ours.rate / sdk.rate;
  report.add({
    scenario: `${label}: calls/s`,
    ours: `${formatCount(ours.rate)} calls/s${errorNote(ours)}`,
    baseline: `official SDK ${formatCount(sdk.rate)} calls/s${errorNote(sdk)}`,
    ratio: formatRatio(rateRatio),
    target: `≥ ${RATE_TARGET}×`,
    verdict: judged(atLeast(rateRatio, RATE_TARGET), ours, sdk),
  });
  const p99Ratio = ours.p99 / sdk.p99;
  report.add({
    scenario: `${label}: p99`,
    ours: `p99 ${formatMs(ours.p99)} (p50 ${formatMs(ours.p50)})`,
    baseline: `official SDK p99 ${formatMs(sdk.p99)} (p50 ${formatMs(sdk.p50)})`,
    ratio: formatRatio(p99Ratio),
    target: '≤ 0.33× (1/3)',
    verdict: judged(atMost(p99Ratio, P99_TARGET), ours, sdk),
  });
  reportFigures(label, 'official SDK 1.x', ours, sdk, report);
  for (const standing of [ours, sdk]) {
    const rates = standing.runs.map((run) => (run.calls * 1000) / run.elapsedMs);
    report.detail({
      scenario: label,
      engine: standing.kind === 'ours' ? 'ours' : 'official SDK',
      figures: [
        `${formatCount(standing.rate)} calls/s (runs ${formatCount(Math.min(...rates))}–${formatCount(Math.max(...rates))})`,
        `p50 ${formatMs(standing.p50)}, p99 ${formatMs(standing.p99)}`,
        `server CPU ${standing.serverCpuPerCall.toFixed(1)} µs/call`,
        `load generator CPU ${standing.clientCpuPerCall.toFixed(1)} µs/call`,
        `${standing.errors} errors`,
      ].join(', '),
    });
  }
}

/** The chart's figures of one contest: calls/s, p99 and server CPU per call, ours beside `sdkName`. */
export function reportFigures(
  scenario: string,
  sdkName: string,
  ours: ServerStanding,
  sdk: ServerStanding,
  report: Report,
): void {
  const errors = ours.errors + sdk.errors;
  const note = errors > 0 ? { note: `${errors} errors: a miss` } : {};
  const figures = [
    ['tools/call per second', 'calls/s', true, (standing: ServerStanding) => standing.rate],
    ['p99 latency', 'ms', false, (standing: ServerStanding) => standing.p99],
    ['server CPU per call', 'µs/call', false, (standing: ServerStanding) => standing.serverCpuPerCall],
  ] as const;
  for (const [metric, unit, higherIsBetter, value] of figures) {
    report.figure({
      scenario,
      metric,
      unit,
      higherIsBetter,
      values: { ours: value(ours), [sdkName]: value(sdk) },
      ...note,
    });
  }
}

function retainedVerdict(memory: IdleMemory, after: number, live: number): Verdict {
  if (live > 0) return 'MISS';
  return atMost(after - memory.baseline, RETAINED_SHARE * (memory.open - memory.baseline));
}

function retained(memory: IdleMemory, after: number): string {
  const growth = memory.open - memory.baseline;
  return `${formatBytes(after - memory.baseline)} (${((100 * (after - memory.baseline)) / growth).toFixed(1)} %)`;
}

function reportMemory(ours: IdleMemory, sdk: IdleMemory, report: Report): void {
  const perSession = (memory: IdleMemory) => (memory.open - memory.baseline) / memory.sessions;
  const complete = ours.liveWhenWeighed === ours.sessions && sdk.liveWhenWeighed === sdk.sessions;
  const counts = `ours ${formatCount(ours.sessions)}, SDK ${formatCount(sdk.sessions)} open`;
  report.add({
    scenario: `HTTP: heap per idle session (${counts})${complete ? '' : ` (ONLY ${ours.liveWhenWeighed} / ${sdk.liveWhenWeighed} LIVE)`}`,
    ours: formatBytes(perSession(ours)),
    baseline: `official SDK ${formatBytes(perSession(sdk))}`,
    ratio: `${formatRatio(perSession(sdk) / perSession(ours))} less`,
    target: `≤ ${formatBytes(PER_SESSION_TARGET)}`,
    verdict: complete ? atMost(perSession(ours), PER_SESSION_TARGET) : 'MISS',
  });
  report.figure({
    scenario: `HTTP: idle sessions (${counts})`,
    metric: 'heap per idle session',
    unit: 'bytes',
    higherIsBetter: false,
    values: { ours: perSession(ours), 'official SDK 1.x': perSession(sdk) },
    ...(complete ? {} : { note: `only ${ours.liveWhenWeighed} / ${sdk.liveWhenWeighed} live when weighed` }),
  });
  const wait = `${(ours.idleWaitMs / 1000).toFixed(1)} s`;
  report.add({
    scenario: `HTTP: heap retained after idle-out (${wait} after opening)`,
    ours: `${retained(ours, ours.afterIdle)}, ${ours.liveAfterIdle} live`,
    baseline: `official SDK ${retained(sdk, sdk.afterIdle)}, ${sdk.liveAfterIdle} live (no idle expiry)`,
    ratio: '—',
    target: `≤ ${RETAINED_SHARE * 100} % retained`,
    verdict: retainedVerdict(ours, ours.afterIdle, ours.liveAfterIdle),
  });
  report.add({
    scenario: `HTTP: heap retained after DELETE of every session (${counts})`,
    ours: retained(ours, ours.afterDelete),
    baseline: `official SDK ${retained(sdk, sdk.afterDelete)}`,
    ratio: '—',
    target: `≤ ${RETAINED_SHARE * 100} % retained`,
    verdict: retainedVerdict(ours, ours.afterDelete, 0),
  });
  for (const memory of [ours, sdk]) {
    report.detail({
      scenario: 'HTTP: idle sessions heap',
      engine: memory.kind === 'ours' ? 'ours' : 'official SDK',
      figures: `baseline ${formatBytes(memory.baseline)}, ${formatCount(memory.sessions)} open ${formatBytes(memory.open)}, after idle wait ${formatBytes(memory.afterIdle)}, after DELETE ${formatBytes(memory.afterDelete)}`,
    });
  }
}

/** A phase that could not finish (a server refused its warm-up, a child died) is a plain miss. */
export async function orMiss(scenario: string, report: Report, phase: () => Promise<void>): Promise<void> {
  try {
    await phase();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    report.add({
      scenario,
      ours: `FAILED: ${reason}`,
      baseline: '—',
      ratio: '—',
      target: '—',
      verdict: 'MISS',
    });
  }
}

export async function httpScenario(config: BenchConfig, report: Report): Promise<void> {
  for (const mode of ['json', 'sse'] as const) {
    const label = `HTTP ${mode}: ours vs official SDK, ${CLIENTS} sessions closed loop`;
    console.log(`\n▸ ${label}, servers in child processes`);
    const plan: ContestPlan = {
      mode,
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
  const sessions = config.full ? { ours: 8_000, sdk: 4_000 } : { ours: 3_000, sdk: 1_000 };
  const label = `HTTP: heap per idle session, ours ${formatCount(sessions.ours)}, SDK ${formatCount(sessions.sdk)}`;
  console.log(`\n▸ ${label}`);
  await orMiss(label, report, async () => {
    // Ours must weigh its sessions before they idle out: the timeout leaves room to open them on a
    // busy machine, and the wait for the idle-out overlaps the SDK server's share of the work.
    const memory = await measureIdleMemory({
      sessions,
      idleTimeoutMs: config.full ? 12_000 : 5_000,
      concurrency: CLIENTS,
    });
    reportMemory(memory.ours, memory.sdk, report);
  });
}
