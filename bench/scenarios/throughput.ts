/**
 * Trivial async handlers, CPU-bound: what each engine costs per message. Our runtime against the raw
 * chain (target ≥ 0.5×), against the global lock doing the same protocol work (target ≥ 1×), and
 * against the two naive XState designs (context only: they show why the fast path exists).
 */
import { GlobalLockEngine } from '../baselines/GlobalLockEngine.js';
import { NaiveActorEngine } from '../baselines/NaiveActorEngine.js';
import { RawChainEngine } from '../baselines/RawChainEngine.js';
import { SpawnChildEngine } from '../baselines/SpawnChildEngine.js';
import type { Contestant, Standing } from '../harness/compare.js';
import { compare, spreadOf, standingOf } from '../harness/compare.js';
import type { BenchConfig } from '../harness/config.js';
import { lockWaitBetween, mailboxWaitBetween } from '../harness/config.js';
import type { LoadResult } from '../harness/drivers.js';
import { closedLoopByCount } from '../harness/drivers.js';
import type { BenchEngine } from '../harness/engine.js';
import { createOurEngine, openSessions, requestMessage, sessionIds } from '../harness/engine.js';
import { benchHandlers, benchTools, echoParams, NOOP_METHOD } from '../harness/handlers.js';
import { formatCount, formatRatio } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atLeast } from '../harness/table.js';

/** The load of one throughput scenario. */
export interface ThroughputShape {
  /** Row label, e.g. `trivial async, 100 sessions × 4 in flight`. */
  readonly label: string;
  readonly sessions: number;
  readonly inFlight: number;
  /** Messages per worker per run for the fast engines. */
  readonly perWorker: number;
  /** Messages per worker per run for the naive XState engines (50–100× slower). */
  readonly naivePerWorker: number;
  /** Whether to include the root-actor naive design (slow to run at 10k sessions). */
  readonly withNaive: boolean;
  /** Whether to include the spawnChild parent (its O(N²) spawn makes 10k sessions slow to set up). */
  readonly withSpawnChild: boolean;
  /** `tools/call` of the echo tool instead of the plain handler. */
  readonly toolsCall?: boolean;
}

interface Entrant {
  readonly engine: BenchEngine;
  readonly perWorker: number;
}

function contestant(
  entrant: Entrant,
  shape: ThroughputShape,
  ids: string[],
  message: () => unknown,
): Contestant {
  const load = { engine: entrant.engine, sessionIds: ids, inFlight: shape.inFlight, message };
  return {
    name: entrant.engine.label,
    warmUp: async () => {
      await openSessions(entrant.engine, ids);
      await closedLoopByCount(load, Math.max(1, Math.ceil(entrant.perWorker / 2)));
    },
    run: (): Promise<LoadResult> => closedLoopByCount(load, entrant.perWorker),
  };
}

function rateCell(standing: Standing): string {
  const errors = standing.errors > 0 ? ` (${standing.errors} errors!)` : '';
  return `${formatCount(standing.rate)} msg/s${errors}`;
}

/** Runs one throughput shape and adds its rows. */
export async function throughput(shape: ThroughputShape, config: BenchConfig, report: Report): Promise<void> {
  console.log(`\n▸ ${shape.label}`);
  const ours = createOurEngine();
  const lock = new GlobalLockEngine(benchHandlers, benchTools);
  const entrants: Entrant[] = [
    { engine: ours, perWorker: shape.perWorker },
    { engine: lock, perWorker: shape.perWorker },
  ];
  const message = shape.toolsCall
    ? () => requestMessage('tools/call', echoParams())
    : () => requestMessage(NOOP_METHOD, {});
  const raw = new RawChainEngine(shape.toolsCall ? {} : benchHandlers);
  const naive = new NaiveActorEngine(benchHandlers);
  const spawned = new SpawnChildEngine(benchHandlers);
  if (!shape.toolsCall) {
    entrants.push({ engine: raw, perWorker: shape.perWorker });
    if (shape.withNaive) entrants.push({ engine: naive, perWorker: shape.naivePerWorker });
    if (shape.withSpawnChild) entrants.push({ engine: spawned, perWorker: shape.naivePerWorker });
  }
  const prefix = shape.label.replace(/\W+/g, '');
  const contestants = entrants.map((entrant, index) =>
    contestant(entrant, shape, sessionIds(`${prefix}-${index}`, shape.sessions), message),
  );
  const metricsBefore = ours.runtime.metrics();
  const lockBefore = { ...lock.lock.wait };
  // The wait figures cover the warm-up too: same load, and the mean is what we report.
  const standings = await compare(contestants, config.runs);
  const ourStanding = standingOf(standings, ours.label);
  addRows(shape, standings, ourStanding, report);
  const errors = [...standings.values()].reduce((sum, standing) => sum + standing.errors, 0);
  report.figure({
    scenario: shape.label,
    metric: 'messages per second',
    unit: 'msg/s',
    higherIsBetter: true,
    values: Object.fromEntries([...standings.values()].map((standing) => [standing.name, standing.rate])),
    ...(errors > 0 ? { note: `${errors} errors` } : {}),
  });
  for (const standing of standings.values()) {
    const extra =
      standing.name === ours.label
        ? `; ${mailboxWaitBetween(metricsBefore, ours.runtime.metrics())}`
        : standing.name === lock.label
          ? `; ${lockWaitBetween(lockBefore, lock.lock.wait)}`
          : '';
    report.detail({
      scenario: shape.label,
      engine: standing.name,
      figures: `${rateCell(standing)} (${spreadOf(standing)}), CPU ${standing.cpuPerMessage.toFixed(2)} µs/msg${extra}`,
    });
  }
  naive.close();
  spawned.close();
  await ours.runtime.close({ drainMs: 0 });
}

function addRows(
  shape: ThroughputShape,
  standings: ReadonlyMap<string, Standing>,
  ours: Standing,
  report: Report,
): void {
  const against = (name: string, target: number | undefined) => {
    const baseline = standings.get(name);
    if (baseline === undefined) return;
    const ratio = ours.rate / baseline.rate;
    report.add({
      scenario: `${shape.label}: vs ${name}`,
      ours: rateCell(ours),
      baseline: rateCell(baseline),
      ratio: formatRatio(ratio),
      target: target === undefined ? '— (context)' : `≥ ${target}×`,
      verdict: target === undefined ? 'info' : atLeast(ratio, target),
    });
  };
  against('raw Map + promise chain', 0.5);
  against('global lock (same protocol work)', 1);
  against('naive XState (actor per session, fromPromise per message)', undefined);
  against('naive XState (spawnChild under one parent)', undefined);
}
