/**
 * 1 ms I/O handlers, 100 sessions: per-session concurrency is the point of the design. The global
 * lock serialises every handler of every session; ours runs one handler per session at once.
 * Target: ≥ 50× the global lock.
 */
import { GlobalLockEngine } from '../baselines/GlobalLockEngine.js';
import { RawChainEngine } from '../baselines/RawChainEngine.js';
import type { Contestant } from '../harness/compare.js';
import { compare, standingOf } from '../harness/compare.js';
import type { BenchConfig } from '../harness/config.js';
import { lockWaitBetween, mailboxWaitBetween } from '../harness/config.js';
import { closedLoopByTime } from '../harness/drivers.js';
import type { BenchEngine } from '../harness/engine.js';
import { createOurEngine, openSessions, requestMessage, sessionIds } from '../harness/engine.js';
import { benchHandlers, benchTools, IO_METHOD } from '../harness/handlers.js';
import { formatCount, formatRatio } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atLeast } from '../harness/table.js';

const SESSIONS = 100;
const LABEL = '1 ms I/O handler, 100 sessions × 1 in flight';

function contestant(engine: BenchEngine, ids: string[], windowMs: number): Contestant {
  const load = { engine, sessionIds: ids, inFlight: 1, message: () => requestMessage(IO_METHOD, {}) };
  return {
    name: engine.label,
    warmUp: async () => {
      await openSessions(engine, ids);
      await closedLoopByTime(load, windowMs / 4);
    },
    run: () => closedLoopByTime(load, windowMs),
  };
}

export async function ioConcurrency(config: BenchConfig, report: Report): Promise<void> {
  console.log(`\n▸ ${LABEL}`);
  const windowMs = config.full ? 1_500 : 500;
  const ours = createOurEngine();
  const lock = new GlobalLockEngine(benchHandlers, benchTools);
  const raw = new RawChainEngine(benchHandlers);
  const metricsBefore = ours.runtime.metrics();
  const lockBefore = { ...lock.lock.wait };
  const standings = await compare(
    [ours, lock, raw].map((engine, index) =>
      contestant(engine, sessionIds(`io-${index}`, SESSIONS), windowMs),
    ),
    config.runs,
  );
  const ourStanding = standingOf(standings, ours.label);
  report.figure({
    scenario: LABEL,
    metric: 'messages per second',
    unit: 'msg/s',
    higherIsBetter: true,
    values: Object.fromEntries([...standings.values()].map((standing) => [standing.name, standing.rate])),
  });
  for (const [baseline, target] of [
    [standingOf(standings, lock.label), 50],
    [standingOf(standings, raw.label), undefined],
  ] as const) {
    const ratio = ourStanding.rate / baseline.rate;
    report.add({
      scenario: `${LABEL}: vs ${baseline.name}`,
      ours: `${formatCount(ourStanding.rate)} msg/s`,
      baseline: `${formatCount(baseline.rate)} msg/s`,
      ratio: formatRatio(ratio),
      target: target === undefined ? '— (context)' : `≥ ${target}×`,
      verdict: target === undefined ? 'info' : atLeast(ratio, target),
    });
  }
  const waits = new Map([
    [ours.label, `; ${mailboxWaitBetween(metricsBefore, ours.runtime.metrics())}`],
    [lock.label, `; ${lockWaitBetween(lockBefore, lock.lock.wait)}`],
  ]);
  for (const standing of standings.values()) {
    report.detail({
      scenario: LABEL,
      engine: standing.name,
      figures: `${formatCount(standing.rate)} msg/s, CPU ${standing.cpuPerMessage.toFixed(2)} µs/msg${waits.get(standing.name) ?? ''}`,
    });
  }
  await ours.runtime.close({ drainMs: 0 });
}
