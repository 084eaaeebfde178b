/**
 * The benchmark of issue 7. Every scenario runs our runtime and its baselines in the same process,
 * interleaved, and prints ratios beside their targets; absolute numbers are context. The exceptions
 * are `http` and `stateless`: there each server (ours, and one on the official SDK) runs in a child
 * process of its own, also interleaved, and this process is the load generator (see
 * `scenarios/http.ts`: 2025-11-25 sessions against the SDK 1.x; `scenarios/stateless.ts`: MCP
 * 2026-07-28 sessionless requests against the SDK 2.x `createMcpHandler`); and `cluster`, where two
 * clustered instances of ours run as child processes against Redis and the forwarded path is
 * compared with the direct one (`scenarios/cluster.ts`); and `telemetry`, which compares ours with an
 * OpenTelemetry SDK registered against ours without, in process and over HTTP (child processes).
 *
 *   npm run bench        quick (about 2 min)
 *   npm run bench:full   more runs, longer windows, the slow naive baselines at full size
 *
 * Both compile with `tsc -p bench/tsconfig.json` into `.cache/bench` and run plain JavaScript under
 * `node --expose-gc` (the memory scenario needs `gc()`). `node --expose-gc --import tsx bench/run.ts`
 * works too, but tsx compiles with esbuild's keepNames, which taxes every named closure created
 * (≈ 0.25 µs each) and so skews ratios between engines that create different numbers of them.
 *
 * Flags: `--full`; `--only=<name>[,<name>]` (throughput, tools, sessions10k, io, hol, spawn, memory,
 * http, stateless, handles, tasks, shutdown, cluster, telemetry) to run some scenarios (`http`: the 2025-11-25 contests and idle-session
 * memory; `stateless`: the 2026-07-28 contest alone; `handles`: state handles against a Map, in
 * process; `tasks`: task creation and polling, in process; `cluster`: forwarded against direct
 * requests between two clustered instances in child processes, with Redis operations per request,
 * skipped with one line when no Redis is reachable; `telemetry`: the hot path's cost with an
 * OpenTelemetry SDK and the Prometheus exporter registered, in process and over HTTP, and the
 * no-SDK path's share of a call); `--strict` to exit 1 when a target is missed;
 * `--chart=<path>` to write the chart elsewhere (default `.cache/bench/bench.svg`).
 *
 * After the tables it writes the comparison as one SVG chart (`harness/chart.ts`: a panel per
 * scenario and metric, a bar per engine scaled to the panel's best, ours highlighted, the machine line
 * and date in the title) and prints its path: `npm run bench -- --chart=docs/bench.svg` renews the one
 * that docs/performance.md shows. Scenarios that compare only configurations of ours (tasks, shutdown)
 * have no panel; the chart's footnote names every scenario that ran without one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from './harness/chart.js';
import type { BenchConfig, Scenario } from './harness/config.js';
import { canCollectGarbage } from './harness/measure.js';
import { Report, renderDetails, renderResults } from './harness/table.js';
import { clusterScenario } from './scenarios/cluster.js';
import { handlesScenario } from './scenarios/handles.js';
import { headOfLineScenario } from './scenarios/headOfLine.js';
import { httpScenario } from './scenarios/http.js';
import { ioConcurrency } from './scenarios/ioConcurrency.js';
import { memoryScenario } from './scenarios/memory.js';
import { shutdownScenario } from './scenarios/shutdown.js';
import { spawnScenario } from './scenarios/spawn.js';
import { statelessScenario } from './scenarios/stateless.js';
import { tasksScenario } from './scenarios/tasks.js';
import { telemetryScenario } from './scenarios/telemetry.js';
import { throughput } from './scenarios/throughput.js';

function scenarios(config: BenchConfig): ReadonlyMap<string, Scenario> {
  return new Map<string, Scenario>([
    [
      'throughput',
      (_, report) =>
        throughput(
          {
            label: 'trivial async, 100 sessions × 4 in flight',
            sessions: 100,
            inFlight: 4,
            perWorker: config.full ? 1_000 : 500,
            naivePerWorker: config.full ? 25 : 10,
            withNaive: true,
            withSpawnChild: true,
          },
          config,
          report,
        ),
    ],
    [
      'tools',
      (_, report) =>
        throughput(
          {
            label: 'tools/call echo (zod args), 100 sessions × 4 in flight',
            sessions: 100,
            inFlight: 4,
            perWorker: config.full ? 500 : 250,
            naivePerWorker: 0,
            withNaive: false,
            withSpawnChild: false,
            toolsCall: true,
          },
          config,
          report,
        ),
    ],
    [
      'sessions10k',
      (_, report) =>
        throughput(
          {
            label: 'trivial async, 10,000 sessions × 1 in flight',
            sessions: 10_000,
            inFlight: 1,
            perWorker: config.full ? 40 : 20,
            naivePerWorker: 1,
            withNaive: config.full,
            withSpawnChild: config.full,
          },
          config,
          report,
        ),
    ],
    ['io', ioConcurrency],
    ['hol', headOfLineScenario],
    ['spawn', spawnScenario],
    ['memory', memoryScenario],
    ['http', httpScenario],
    ['stateless', statelessScenario],
    ['handles', handlesScenario],
    ['tasks', tasksScenario],
    ['shutdown', shutdownScenario],
    ['cluster', clusterScenario],
    ['telemetry', telemetryScenario],
  ]);
}

const DEFAULT_CHART = '.cache/bench/bench.svg';

function parseArguments(argv: readonly string[]): {
  config: BenchConfig;
  only: Set<string> | undefined;
  strict: boolean;
  chartPath: string;
} {
  const full = argv.includes('--full');
  const onlyFlag = argv.find((argument) => argument.startsWith('--only='));
  const chartFlag = argv.find((argument) => argument.startsWith('--chart='));
  return {
    config: { full, runs: full ? 5 : 3 },
    only: onlyFlag === undefined ? undefined : new Set(onlyFlag.slice('--only='.length).split(',')),
    strict: argv.includes('--strict'),
    chartPath: chartFlag === undefined ? DEFAULT_CHART : chartFlag.slice('--chart='.length),
  };
}

function describeMachine(config: BenchConfig): string {
  const cpus = os.cpus();
  return [
    `node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
    `mode ${config.full ? 'full' : 'quick'}, medians of ${config.runs} runs, gc ${canCollectGarbage() ? 'exposed' : 'NOT exposed (memory skipped)'}`,
  ].join('; ');
}

/** Writes the chart of `report.figures` to `chartPath` (directories created) and prints the path. */
async function writeChart(
  chartPath: string,
  report: Report,
  machine: string,
  startedAt: Date,
  uncharted: readonly string[],
): Promise<void> {
  const endLoad = os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
  const footnotes = [
    `Load average at the start of the run (in the title) and at its end: ${endLoad}; the machine may be shared.`,
    'Produced by `npm run bench`; the tables it prints hold the targets, verdicts and CPU figures.',
    ...(uncharted.length === 0
      ? []
      : [`Ran without a figure to chart: ${uncharted.join(', ')} (see the tables).`]),
  ];
  const date = `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const svg = renderChart({ figures: report.figures, machine, date, footnotes });
  await mkdir(path.dirname(path.resolve(chartPath)), { recursive: true });
  await writeFile(chartPath, svg);
  console.log(`\nChart: ${chartPath}`);
}

async function main(): Promise<void> {
  const { config, only, strict, chartPath } = parseArguments(process.argv.slice(2));
  const report = new Report();
  const started = performance.now();
  const startedAt = new Date();
  const machine = describeMachine(config);
  console.log(`mcp-session-runtime bench: ${machine}`);
  const uncharted: string[] = [];
  for (const [name, scenario] of scenarios(config)) {
    if (only !== undefined && !only.has(name)) continue;
    const scenarioStarted = performance.now();
    const figuresBefore = report.figures.length;
    await scenario(config, report);
    if (report.figures.length === figuresBefore) uncharted.push(name);
    console.log(`  (${name}: ${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s)`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n## Results (${seconds} s; ${describeMachine(config)})\n`);
  console.log(renderResults(report.results));
  console.log('\n## CPU per message, mailbox and lock wait\n');
  console.log(renderDetails(report.details));
  const targets = report.results.filter((row) => row.verdict === 'PASS' || row.verdict === 'MISS');
  const misses = report.misses;
  console.log(`\n${targets.length - misses.length} of ${targets.length} targets met.`);
  for (const miss of misses)
    console.log(`MISS: ${miss.scenario}: ${miss.ratio} against ${miss.target} (ours ${miss.ours})`);
  await writeChart(chartPath, report, machine, startedAt, uncharted);
  if (strict && misses.length > 0) process.exitCode = 1;
}

await main();
