/**
 * Our HTTP server against itself with an OpenTelemetry SDK registered: two children of
 * `ourServer.js`, one plain, one started with `--telemetry=<signals>` (SDK registered, Prometheus
 * text at `GET /metrics`), each driven by the same closed loop of `clients` sessions, warmed up,
 * then timed in interleaved windows (plain, SDK, SDK, plain, …) with medians taken. While the SDK
 * server is being timed (or warmed up) this process scrapes its `/metrics` every `scrapeEveryMs`,
 * as a Prometheus server would (more often than the usual 15 s, so a scrape's cost shows).
 */
import { get } from 'node:http';
import { median, percentile } from '../harness/stats.js';
import type { TelemetrySignals } from '../harness/telemetrySdk.js';
import { HttpConnectionPool } from './HttpConnectionPool.js';
import type { LoadRun } from './loadGenerator.js';
import { closedLoop, closeSessions, openSessions } from './loadGenerator.js';
import type { McpHttpSession, ResponseMode } from './McpHttpClient.js';
import { ServerProcess } from './ServerProcess.js';

/** The shape of one contest. */
export interface TelemetryContestPlan {
  readonly mode: ResponseMode;
  readonly signals: TelemetrySignals;
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

/** Both standings, and the last scrape of the SDK server (to show it really collected). */
export interface TelemetryContestResult {
  readonly plain: TelemetryStanding;
  readonly withSdk: TelemetryStanding;
  readonly lastScrape: string;
}

interface Contender {
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

async function startContender(plan: TelemetryContestPlan, scraped: boolean): Promise<Contender> {
  const server = await ServerProcess.start({
    kind: 'ours',
    arguments: [`--mode=${plan.mode}`, ...(scraped ? [`--telemetry=${plan.signals}`] : [])],
  });
  const pool = new HttpConnectionPool(server.port);
  const sessions = await openSessions(
    pool,
    plan.mode,
    plan.clients,
    plan.clients,
    scraped ? 'otel' : 'plain',
  );
  return { server, pool, sessions, scraped, runs: [], warmUp: undefined };
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

/** Runs the plain server and the SDK server under the same closed loop, interleaved. */
export async function runTelemetryContest(plan: TelemetryContestPlan): Promise<TelemetryContestResult> {
  const contenders = [await startContender(plan, false), await startContender(plan, true)];
  let lastScrape = '';
  try {
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
    lastScrape = await scrapeMetrics((contenders[1] as Contender).server.port);
    for (const contender of contenders) await closeSessions(contender.sessions, plan.clients);
  } finally {
    for (const contender of contenders) {
      contender.pool.close();
      await contender.server.stop();
    }
  }
  const [plain, withSdk] = contenders.map(standingOf) as [TelemetryStanding, TelemetryStanding];
  return { plain, withSdk, lastScrape };
}
