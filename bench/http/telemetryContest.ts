/**
 * Our HTTP server against itself with an OpenTelemetry SDK registered: one child of `ourServer.js`
 * per configuration, plain or started with `--telemetry=<signals>` (SDK registered, Prometheus text
 * at `GET /metrics`), each driven by the same closed loop of `clients` sessions, warmed up, then
 * timed in interleaved windows (A B C, C B A, …) with medians taken. While an SDK server is being
 * timed (or warmed up) this process scrapes its `/metrics` every `scrapeEveryMs`, as a Prometheus
 * server would (more often than the usual 15 s, so a scrape's cost shows).
 */
import { get } from 'node:http';
import { median, percentile } from '../harness/stats.js';
import type { TelemetrySignals } from '../harness/telemetrySdk.js';
import { HttpConnectionPool } from './HttpConnectionPool.js';
import type { LoadRun } from './loadGenerator.js';
import { closedLoop, closeSessions, openSessions } from './loadGenerator.js';
import type { McpHttpSession, ResponseMode } from './McpHttpClient.js';
import { ServerProcess } from './ServerProcess.js';

/** A server of the contest: without an SDK (`none`), or with one registering `signals`. */
export type TelemetryConfiguration = 'none' | TelemetrySignals;

/** The shape of one contest. */
export interface TelemetryContestPlan {
  readonly mode: ResponseMode;
  /** The servers: `none` (no SDK) or the signals an SDK registers. */
  readonly configurations: readonly TelemetryConfiguration[];
  readonly clients: number;
  readonly warmUpMs: number;
  readonly windowMs: number;
  readonly runs: number;
  readonly scrapeEveryMs: number;
}

/** One timed window, with the server's CPU time over it and the scrapes that fell in it. */
export interface ScrapedRun extends LoadRun {
  readonly serverCpuMicros: number;
  readonly scrapes: number;
}

/** Medians over one server's timed windows. */
export interface TelemetryStanding {
  /** Correct calls per second. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU µs of the server process per correct call. */
  readonly serverCpuPerCall: number;
  /** Errors over the warm-up and every timed window. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly runs: readonly ScrapedRun[];
  /** Scrapes of `/metrics` over the timed windows (0 for the plain server). */
  readonly scrapes: number;
}

/** The standing of each configuration, and its last scrape (empty without an SDK). */
export interface TelemetryContestResult {
  readonly standing: TelemetryStanding;
  /** A scrape after the last window: it shows the SDK really collected. */
  readonly lastScrape: string;
}

interface Contender {
  readonly configuration: TelemetryConfiguration;
  readonly server: ServerProcess;
  readonly pool: HttpConnectionPool;
  readonly sessions: readonly McpHttpSession[];
  readonly scraped: boolean;
  readonly runs: ScrapedRun[];
  warmUp: LoadRun | undefined;
}

/** `GET /metrics` on a fresh connection, as a Prometheus server's scrape; resolves with the body. */
export function scrapeMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

async function startContender(
  plan: TelemetryContestPlan,
  configuration: TelemetryConfiguration,
): Promise<Contender> {
  const scraped = configuration !== 'none';
  const server = await ServerProcess.start({
    kind: 'ours',
    arguments: [`--mode=${plan.mode}`, ...(scraped ? [`--telemetry=${configuration}`] : [])],
  });
  const pool = new HttpConnectionPool(server.port);
  const sessions = await openSessions(pool, plan.mode, plan.clients, plan.clients, configuration);
  return { configuration, server, pool, sessions, scraped, runs: [], warmUp: undefined };
}

/** Runs the closed loop for `windowMs`, scraping the server meanwhile when it has an SDK. */
async function loadWhileScraping(
  contender: Contender,
  windowMs: number,
  scrapeEveryMs: number,
): Promise<{ run: LoadRun; scrapes: number }> {
  let scrapes = 0;
  const pending: Promise<void>[] = [];
  const timer = contender.scraped
    ? setInterval(() => {
        pending.push(
          scrapeMetrics(contender.server.port).then(() => {
            scrapes++;
          }),
        );
      }, scrapeEveryMs)
    : undefined;
  const run = await closedLoop(contender.sessions, windowMs);
  clearInterval(timer);
  await Promise.all(pending);
  return { run, scrapes };
}

function standingOf(contender: Contender): TelemetryStanding {
  const { runs, warmUp } = contender;
  const perRun = (value: (run: ScrapedRun) => number) => median(runs.map(value));
  const all: LoadRun[] = warmUp === undefined ? runs : [warmUp, ...runs];
  return {
    rate: perRun((run) => (run.calls * 1000) / run.elapsedMs),
    p50: perRun((run) => percentile(Array.from(run.latencies), 50)),
    p99: perRun((run) => percentile(Array.from(run.latencies), 99)),
    serverCpuPerCall: perRun((run) => run.serverCpuMicros / run.calls),
    errors: all.reduce((sum, run) => sum + run.errors, 0),
    errorSamples: all.flatMap((run) => run.errorSamples).slice(0, 3),
    runs,
    scrapes: runs.reduce((sum, run) => sum + run.scrapes, 0),
  };
}

/** Runs one server per configuration under the same closed loop, interleaved. */
export async function runTelemetryContest(
  plan: TelemetryContestPlan,
): Promise<Map<TelemetryConfiguration, TelemetryContestResult>> {
  const contenders: Contender[] = [];
  const results = new Map<TelemetryConfiguration, TelemetryContestResult>();
  try {
    for (const configuration of plan.configurations)
      contenders.push(await startContender(plan, configuration));
    for (const contender of contenders) {
      contender.warmUp = (await loadWhileScraping(contender, plan.warmUpMs, plan.scrapeEveryMs)).run;
    }
    for (let round = 0; round < plan.runs; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const contender of order) {
        const cpuBefore = await contender.server.cpuMicros();
        const { run, scrapes } = await loadWhileScraping(contender, plan.windowMs, plan.scrapeEveryMs);
        const serverCpuMicros = (await contender.server.cpuMicros()) - cpuBefore;
        contender.runs.push({ ...run, serverCpuMicros, scrapes });
      }
    }
    for (const contender of contenders) {
      const lastScrape = contender.scraped ? await scrapeMetrics(contender.server.port) : '';
      results.set(contender.configuration, { standing: standingOf(contender), lastScrape });
      await closeSessions(contender.sessions, plan.clients);
    }
  } finally {
    for (const contender of contenders) {
      contender.pool.close();
      await contender.server.stop();
    }
  }
  return results;
}
