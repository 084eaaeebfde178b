/**
 * Telemetry: what OpenTelemetry costs the hot path, with an SDK registered and without.
 *
 * - In process: `tools/call` of the echo tool, 100 sessions × 4 in flight through
 *   `runtime.dispatch`, three runtimes in interleaved rounds: no SDK; the SDK of
 *   `harness/telemetrySdk.ts` (AlwaysOn traces through a batch processor to a dropping exporter, the
 *   AsyncLocalStorage context manager, metrics read by the Prometheus exporter, scraped once a
 *   second while timed); the metrics alone. Registration is process-wide, so each round registers
 *   its SDK before it starts and disables the globals after; the runtime re-reads them at every
 *   request, which the rows check: each SDK's histogram must count exactly its own runtime's calls.
 *   Context only: no target.
 * - The no-SDK path alone: the telemetry calls a request makes while nothing is registered
 *   (`RequestObservation.start`, the mailbox's `context.active()`; the HTTP transport checks
 *   nothing, it hands over attributes the runtime resolves only when it observes), timed in a tight
 *   loop, as a share of a whole in-process `tools/call`.
 *   Target ≤ 1 % ("≈ 0"). A build without the hooks cannot run in the same process, so this is the
 *   honest stand-in: the code the hooks add, timed alone, at its best (warm, inlined).
 * - Over HTTP: our server in four child processes, plain, with the SDK (AlwaysOn), with the SDK
 *   sampling 10 % of traces (`ParentBased(TraceIdRatioBased(0.1))`, as docs/observability.md advises
 *   for a busy server), with its metrics alone (Prometheus text served at `/metrics`, scraped each
 *   second while timed), 50 sessions closed loop, JSON answers, interleaved windows. Target: with
 *   the SDK (traces + metrics, each sampler), ≥ 0.95× the calls/s of the plain server (≤ 5 %
 *   overhead); metrics alone is context.
 */
import { context } from '@opentelemetry/api';
import { isTelemetryActive } from '../../src/runtime/telemetry/instruments.js';
import { RequestObservation } from '../../src/runtime/telemetry/requestSpan.js';
import type { Contestant, Standing } from '../harness/compare.js';
import { compare, spreadOf, standingOf } from '../harness/compare.js';
import type { BenchConfig } from '../harness/config.js';
import { closedLoopByTime } from '../harness/drivers.js';
import type { OurEngine } from '../harness/engine.js';
import { createOurEngine, openSessions, requestMessage, sessionIds } from '../harness/engine.js';
import { echoParams } from '../harness/handlers.js';
import { formatCount, formatMs, formatRatio } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atLeast, atMost } from '../harness/table.js';
import type { TelemetrySignals } from '../harness/telemetrySdk.js';
import { TelemetrySdk } from '../harness/telemetrySdk.js';
import type {
  TelemetryConfiguration,
  TelemetryContestResult,
  TelemetryStanding,
} from '../http/telemetryContest.js';
import { runTelemetryContest } from '../http/telemetryContest.js';
import { orMiss } from './http.js';

const SESSIONS = 100;
const IN_FLIGHT = 4;
const CLIENTS = 50;
const SCRAPE_EVERY_MS = 1_000;
/** Over HTTP, the SDK server keeps at least this share of the plain server's calls/s. */
const HTTP_RATE_TARGET = 0.95;
/** The no-SDK hooks take at most this share of a whole in-process call. */
const NO_SDK_SHARE_TARGET = 0.01;

const NO_SDK = 'no SDK';
const FULL_SDK = 'SDK: traces + metrics, Prometheus';
const SAMPLED_SDK = 'SDK: traces sampled 10 % + metrics, Prometheus';
const METRICS_ONLY = 'SDK: metrics only, Prometheus';

/** One in-process runtime, with the SDK it registers while it runs (none for the plain one). */
interface Entrant {
  readonly name: string;
  readonly engine: OurEngine;
  readonly sdk: TelemetrySdk | undefined;
  /** `tools/call` messages handed to this runtime so far (warm-up included). */
  calls: number;
}

/** The `tools/call` count of `mcp.server.operation.duration` in a Prometheus text. */
export function toolCallsCounted(prometheusText: string): number {
  let total = 0;
  for (const match of prometheusText.matchAll(/^mcp_server_operation_duration\w*_count\{([^}]*)\} (\d+)/gm)) {
    if (match[1]?.includes('mcp_method_name="tools/call"')) total += Number(match[2]);
  }
  return total;
}

/** Runs `work` with `sdk` registered (and scraped every second), and disabled again after. */
async function whileRegistered<TResult>(sdk: TelemetrySdk | undefined, work: () => Promise<TResult>) {
  if (sdk === undefined) {
    if (isTelemetryActive()) throw new Error('An SDK is still registered in a no-SDK round');
    return work();
  }
  sdk.install();
  const scrapes: Promise<string>[] = [];
  const timer = setInterval(() => scrapes.push(sdk.scrape()), SCRAPE_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await Promise.all(scrapes);
    sdk.uninstall();
  }
}

function contestantOf(entrant: Entrant, config: BenchConfig): Contestant {
  const ids = sessionIds(`telemetry-${entrant.name.replace(/\W+/g, '')}`, SESSIONS);
  const message = () => {
    entrant.calls++;
    return requestMessage('tools/call', echoParams());
  };
  const load = { engine: entrant.engine, sessionIds: ids, inFlight: IN_FLIGHT, message };
  const windowMs = config.full ? 4_000 : 2_000;
  return {
    name: entrant.name,
    warmUp: () =>
      whileRegistered(entrant.sdk, async () => {
        await openSessions(entrant.engine, ids);
        await closedLoopByTime(load, windowMs / 2);
      }),
    run: () => whileRegistered(entrant.sdk, () => closedLoopByTime(load, windowMs)),
  };
}

/** Whether each SDK counted exactly its own runtime's calls: registered, then disabled, in time. */
async function countedExactly(entrants: readonly Entrant[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const entrant of entrants) {
    if (entrant.sdk === undefined) continue;
    entrant.sdk.install();
    const counted = toolCallsCounted(await entrant.sdk.scrape());
    entrant.sdk.uninstall();
    if (counted !== entrant.calls) wrong.push(`${entrant.name}: ${counted} counted of ${entrant.calls}`);
  }
  return wrong;
}

function rateCell(standing: Standing): string {
  const errors = standing.errors > 0 ? ` (${standing.errors} errors!)` : '';
  return `${formatCount(standing.rate)} msg/s${errors}`;
}

async function inProcess(config: BenchConfig, report: Report): Promise<number> {
  const label = `in process: tools/call echo, ${SESSIONS} sessions × ${IN_FLIGHT} in flight`;
  console.log(`\n▸ telemetry ${label}: no SDK, SDK, metrics only (interleaved)`);
  const entrants: Entrant[] = [
    { name: NO_SDK, engine: createOurEngine(), sdk: undefined, calls: 0 },
    { name: FULL_SDK, engine: createOurEngine(), sdk: new TelemetrySdk('traces+metrics'), calls: 0 },
    { name: METRICS_ONLY, engine: createOurEngine(), sdk: new TelemetrySdk('metrics'), calls: 0 },
  ];
  const standings = await compare(
    entrants.map((entrant) => contestantOf(entrant, config)),
    config.runs,
  );
  const plain = standingOf(standings, NO_SDK);
  for (const name of [FULL_SDK, METRICS_ONLY]) {
    const standing = standingOf(standings, name);
    report.add({
      scenario: `Telemetry ${label}: ${name} vs ${NO_SDK}`,
      ours: `${rateCell(standing)}, CPU ${standing.cpuPerMessage.toFixed(2)} µs/msg`,
      baseline: `${NO_SDK} ${rateCell(plain)}, CPU ${plain.cpuPerMessage.toFixed(2)} µs/msg`,
      ratio: formatRatio(standing.rate / plain.rate),
      target: '— (context)',
      verdict: standing.errors + plain.errors > 0 ? 'MISS' : 'info',
    });
  }
  const wrong = await countedExactly(entrants);
  report.add({
    scenario: `Telemetry ${label}: each SDK's histogram counts its own runtime's calls, no other's`,
    ours: wrong.length === 0 ? 'exact' : wrong.join('; '),
    baseline: '—',
    ratio: '—',
    target: 'exact',
    verdict: wrong.length === 0 ? 'PASS' : 'MISS',
  });
  report.figure({
    scenario: `Telemetry ${label}`,
    metric: 'messages per second',
    unit: 'msg/s',
    higherIsBetter: true,
    values: Object.fromEntries([...standings.values()].map((standing) => [standing.name, standing.rate])),
  });
  for (const entrant of entrants) {
    const standing = standingOf(standings, entrant.name);
    const spans = entrant.sdk?.signals === 'traces+metrics' ? await flushedSpans(entrant.sdk) : '';
    const scrape =
      entrant.sdk === undefined ? '' : `, last scrape ${formatCount(entrant.sdk.lastScrapeBytes)} bytes`;
    report.detail({
      scenario: `Telemetry ${label}`,
      engine: entrant.name,
      figures: `${rateCell(standing)} (${spreadOf(standing)}), CPU ${standing.cpuPerMessage.toFixed(2)} µs/msg${spans}${scrape}`,
    });
  }
  for (const entrant of entrants) {
    await entrant.engine.runtime.close({ drainMs: 0 });
    await entrant.sdk?.shutdown();
  }
  return plain.cpuPerMessage;
}

/** How many of the spans ended reached the exporter (the batch processor drops them when its queue is full). */
async function flushedSpans(sdk: TelemetrySdk): Promise<string> {
  await sdk.forceFlush();
  return `, ${formatCount(sdk.spansExported)} spans exported`;
}

/** A transport's attributes resolved on demand, as the HTTP transport hands them over. */
const LAZY_TRANSPORT = {
  get attributes(): Readonly<Record<string, string>> {
    throw new Error('Transport attributes read while no SDK is registered');
  },
};

/**
 * Nanoseconds per request of the telemetry calls a `tools/call` makes while no SDK is registered:
 * the observation that is not started (given a lazy transport, which it must not read) and the
 * mailbox's context check.
 */
function noSdkHooksNs(iterations: number): number {
  const request = { method: 'tools/call', id: 1, params: echoParams() };
  let observed = 0;
  const loop = (count: number) => {
    for (let index = 0; index < count; index++) {
      if (RequestObservation.start(request, 'session', LAZY_TRANSPORT) !== undefined) observed++;
      if (context.active() === undefined) observed++;
    }
  };
  loop(iterations / 10);
  // CPU time, as the per-call figure it is compared with: the machine may be shared.
  const before = process.cpuUsage();
  loop(iterations);
  const cpu = process.cpuUsage(before);
  if (observed > 0) throw new Error('Telemetry is active in the no-SDK measurement');
  return ((cpu.user + cpu.system) * 1000) / iterations;
}

function reportNoSdkPath(nanoseconds: number, cpuPerCallMicros: number, report: Report): void {
  const share = nanoseconds / 1000 / cpuPerCallMicros;
  report.add({
    scenario:
      'Telemetry, no SDK registered: the telemetry calls of one tools/call (not started observation, context check), tight loop, before any SDK was registered',
    ours: `CPU ${nanoseconds.toFixed(1)} ns/request`,
    baseline: `a whole in-process tools/call: CPU ${cpuPerCallMicros.toFixed(2)} µs`,
    ratio: `${(share * 100).toFixed(2)} %`,
    target: `≤ ${NO_SDK_SHARE_TARGET * 100} % (≈ 0)`,
    verdict: atMost(share, NO_SDK_SHARE_TARGET),
  });
}

function errorsOf(standing: TelemetryStanding): string {
  return standing.errors === 0 ? '' : ` (${standing.errors} ERRORS: ${standing.errorSamples[0]})`;
}

const HTTP_LABEL = `Telemetry HTTP JSON: tools/call echo, ${CLIENTS} sessions closed loop`;

/** The name of a configuration in the tables. */
const NAMES: Readonly<Record<TelemetryConfiguration, string>> = {
  none: NO_SDK,
  'traces+metrics': FULL_SDK,
  'sampled-traces+metrics': SAMPLED_SDK,
  metrics: METRICS_ONLY,
};

/**
 * The rows of one SDK configuration against the plain server: the ≥ 0.95× target for traces +
 * metrics, AlwaysOn or sampled at 10 % (the set-up docs/observability.md advises for a busy server).
 */
function reportHttpConfiguration(
  configuration: TelemetrySignals,
  result: TelemetryContestResult,
  plain: TelemetryStanding,
  report: Report,
): void {
  const { standing } = result;
  const name = NAMES[configuration];
  const errors = plain.errors + standing.errors;
  const ratio = standing.rate / plain.rate;
  // A server whose scrape shows no tools/call would pass for free: the SDK must have collected.
  const collected = toolCallsCounted(result.lastScrape) > 0;
  const targeted = configuration !== 'metrics';
  report.add({
    scenario: `${HTTP_LABEL}: calls/s, ${name} (scraped each 1 s) vs ${NO_SDK}`,
    ours: `${formatCount(standing.rate)} calls/s${errorsOf(standing)}${collected ? '' : ' (NOTHING COLLECTED)'}`,
    baseline: `${NO_SDK} ${formatCount(plain.rate)} calls/s${errorsOf(plain)}`,
    ratio: formatRatio(ratio),
    target: targeted ? `≥ ${HTTP_RATE_TARGET}× (≤ 5 % overhead)` : '— (context)',
    verdict: errors > 0 || !collected ? 'MISS' : targeted ? atLeast(ratio, HTTP_RATE_TARGET) : 'info',
  });
  report.add({
    scenario: `${HTTP_LABEL}: p99 and server CPU per call, ${name} vs ${NO_SDK}`,
    ours: `p99 ${formatMs(standing.p99)}, CPU ${standing.serverCpuPerCall.toFixed(1)} µs/call`,
    baseline: `${NO_SDK} p99 ${formatMs(plain.p99)}, CPU ${plain.serverCpuPerCall.toFixed(1)} µs/call`,
    ratio: `p99 ${formatRatio(standing.p99 / plain.p99)}, CPU +${(standing.serverCpuPerCall - plain.serverCpuPerCall).toFixed(1)} µs`,
    target: '— (context)',
    verdict: 'info',
  });
}

function reportHttp(
  results: ReadonlyMap<TelemetryConfiguration, TelemetryContestResult>,
  report: Report,
): void {
  const plain = results.get('none')?.standing;
  if (plain === undefined) throw new Error('The contest ran no server without an SDK');
  for (const configuration of ['traces+metrics', 'sampled-traces+metrics', 'metrics'] as const) {
    const result = results.get(configuration);
    if (result !== undefined) reportHttpConfiguration(configuration, result, plain, report);
  }
  const errors = [...results.values()].reduce((sum, result) => sum + result.standing.errors, 0);
  const note = errors > 0 ? { note: `${errors} errors: a miss` } : {};
  const values = (value: (standing: TelemetryStanding) => number) =>
    Object.fromEntries(
      [...results].map(([configuration, result]) => [NAMES[configuration], value(result.standing)]),
    );
  report.figure({
    scenario: HTTP_LABEL,
    metric: 'tools/call per second',
    unit: 'calls/s',
    higherIsBetter: true,
    values: values((standing) => standing.rate),
    ...note,
  });
  report.figure({
    scenario: HTTP_LABEL,
    metric: 'server CPU per call',
    unit: 'µs/call',
    higherIsBetter: false,
    values: values((standing) => standing.serverCpuPerCall),
    ...note,
  });
  for (const [configuration, { standing }] of results) {
    const rates = standing.runs.map((run) => (run.calls * 1000) / run.elapsedMs);
    report.detail({
      scenario: HTTP_LABEL,
      engine: NAMES[configuration],
      figures: [
        `${formatCount(standing.rate)} calls/s (runs ${formatCount(Math.min(...rates))}–${formatCount(Math.max(...rates))})`,
        `p50 ${formatMs(standing.p50)}, p99 ${formatMs(standing.p99)}`,
        `server CPU ${standing.serverCpuPerCall.toFixed(1)} µs/call`,
        `${standing.scrapes} scrapes of /metrics while timed`,
        `${standing.errors} errors`,
      ].join(', '),
    });
  }
}

export async function telemetryScenario(config: BenchConfig, report: Report): Promise<void> {
  // Before any SDK was ever registered here: the API's globals are then as in a process that never
  // registers one (monomorphic); after the rounds below they have taken several shapes.
  const hooksNs = noSdkHooksNs(config.full ? 20_000_000 : 5_000_000);
  let cpuPerCall = 0;
  await orMiss('Telemetry in process', report, async () => {
    cpuPerCall = await inProcess(config, report);
  });
  if (cpuPerCall > 0) reportNoSdkPath(hooksNs, cpuPerCall, report);
  const label = `Telemetry HTTP JSON: SDK vs no SDK, ${CLIENTS} sessions closed loop`;
  console.log(`\n▸ ${label}, servers in child processes`);
  await orMiss(label, report, async () => {
    const result = await runTelemetryContest({
      mode: 'json',
      configurations: ['none', 'traces+metrics', 'sampled-traces+metrics', 'metrics'],
      clients: CLIENTS,
      warmUpMs: config.full ? 3_000 : 1_500,
      windowMs: config.full ? 4_000 : 2_000,
      runs: config.full ? 7 : 5,
      scrapeEveryMs: SCRAPE_EVERY_MS,
    });
    reportHttp(result, report);
  });
}
