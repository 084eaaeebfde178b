/**
 * Memory and idle timers at 100k idle initialized sessions:
 * - heap per session with its idle timer armed (target ≤ 2 KiB), beside the naive root-actor design,
 *   once the sessions have been idle for `restAfterMs` and so rest (their actors put away);
 * - 100k armed idle timers cost ≤ 5 % throughput: the same load on a runtime holding 100k idle
 *   sessions with real Node timers, and on one holding 100k idle sessions on a stepped clock whose
 *   timers are inert records until it is advanced, so the difference is the Node timers;
 * - the heap returns to its baseline after the real-timer sessions are closed, and after the
 *   stepped-clock sessions idle out (the clock is advanced past their timeout: no waiting).
 * Needs `--expose-gc`; without it the rows say SKIP.
 */
import { NaiveActorEngine } from '../baselines/NaiveActorEngine.js';
import type { Contestant } from '../harness/compare.js';
import { compare, spreadOf, standingOf } from '../harness/compare.js';
import type { BenchConfig } from '../harness/config.js';
import { closedLoopByCount } from '../harness/drivers.js';
import type { OurEngine } from '../harness/engine.js';
import { createOurEngine, openSessions, requestMessage, sessionIds } from '../harness/engine.js';
import { benchHandlers, NOOP_METHOD } from '../harness/handlers.js';
import { canCollectGarbage, measure, settledHeapUsed } from '../harness/measure.js';
import { SteppedClock } from '../harness/SteppedClock.js';
import { formatBytes, formatCount, formatMs, formatRatio } from '../harness/stats.js';
import type { Report, ResultRow } from '../harness/table.js';
import { atLeast, atMost } from '../harness/table.js';
import { createBareSessionActors } from './spawn.js';

const SESSIONS = 100_000;
const PER_SESSION_TARGET = 2 * 1024;
const TIMER_COST_TARGET = 0.95;
/** "Back to baseline": what stays after the sessions are gone is at most this share of what they took. */
const RETAINED_SHARE = 0.05;
/** The stepped-clock sessions' idle timeout; the clock jumps past it, so its size costs no time. */
const IDLE_TIMEOUT_MS = 60_000;
/** The runtime's default `restAfterMs`: idle sessions put their actors away after it. */
const REST_AFTER_MS = 5_000;

/** Waits (real time) until every real-timer session opened before now has had its rest check. */
function waitForRest(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, REST_AFTER_MS + 500));
}

function skipped(scenario: string, target: string): ResultRow {
  return { scenario, ours: '—', baseline: '—', ratio: '—', target, verdict: 'SKIP' };
}

function retainedRow(scenario: string, retained: number, growth: number, note = ''): ResultRow {
  return {
    scenario,
    ours: `${formatBytes(retained)} retained${note}`,
    baseline: `${formatBytes(growth)} while open`,
    ratio: `${((100 * retained) / growth).toFixed(1)} %`,
    target: `≤ ${RETAINED_SHARE * 100} % retained`,
    verdict: note === '' ? atMost(retained, RETAINED_SHARE * growth) : 'MISS',
  };
}

function busyContestant(engine: OurEngine, name: string, prefix: string): Contestant {
  const ids = sessionIds(prefix, 100);
  const load = { engine, sessionIds: ids, inFlight: 4, message: () => requestMessage(NOOP_METHOD, {}) };
  return {
    name,
    warmUp: async () => {
      await openSessions(engine, ids);
      await closedLoopByCount(load, 100);
    },
    run: () => closedLoopByCount(load, 250),
  };
}

async function naivePerSession(count: number): Promise<number> {
  const before = await settledHeapUsed();
  const naive = new NaiveActorEngine(benchHandlers);
  await openSessions(naive, sessionIds('naive-memory', count));
  const after = await settledHeapUsed();
  naive.close();
  return (after - before) / count;
}

/** Heap per bare initialized session actor under one parent: the XState floor of a session. */
async function barePerSession(count: number): Promise<number> {
  const before = await settledHeapUsed();
  const actors = createBareSessionActors(sessionIds('bare-memory', count), true);
  const after = await settledHeapUsed();
  if (actors.size !== count) throw new Error(`expected ${count} bare actors, found ${actors.size}`);
  return (after - before) / count;
}

export async function memoryScenario(config: BenchConfig, report: Report): Promise<void> {
  console.log('\n▸ memory and idle timers at 100k sessions');
  if (!canCollectGarbage()) {
    console.log('  (skipped: run with node --expose-gc)');
    report.add(skipped('heap per idle initialized session at 100k', `≤ ${formatBytes(PER_SESSION_TARGET)}`));
    report.add(skipped('100k armed idle timers: throughput with ÷ without', `≥ ${TIMER_COST_TARGET}×`));
    report.add(
      skipped('heap back to baseline after close / idle-out', `≤ ${RETAINED_SHARE * 100} % retained`),
    );
    return;
  }
  const naiveCount = config.full ? SESSIONS : 10_000;
  const naiveBytes = await naivePerSession(naiveCount);
  const bareBytes = await barePerSession(SESSIONS);
  // Ids the bench itself keeps until the end (to name stragglers) belong to the baseline, not to
  // what the runtime retains after the sessions are gone.
  const steppedIds = sessionIds('idle-stepped', SESSIONS);
  const baseline = await settledHeapUsed();
  const withTimers = createOurEngine();
  const opened = await measure(() => openSessions(withTimers, sessionIds('idle-timed', SESSIONS)));
  const rested = await measure(waitForRest);
  const heapTimed = await settledHeapUsed();
  const clock = new SteppedClock();
  const stepped = createOurEngine({ clock, idleTimeoutMs: IDLE_TIMEOUT_MS });
  await openSessions(stepped, steppedIds);
  clock.advance(REST_AFTER_MS);
  const heapBoth = await settledHeapUsed();
  const perSession = (heapTimed - baseline) / SESSIONS;
  report.add({
    scenario: 'heap per idle initialized session at 100k (idle timer armed, resting)',
    ours: formatBytes(perSession),
    baseline: `${formatBytes(naiveBytes)} (naive root actor, ${formatCount(naiveCount)})`,
    ratio: formatRatio(naiveBytes / perSession),
    target: `≤ ${formatBytes(PER_SESSION_TARGET)}`,
    verdict: atMost(perSession, PER_SESSION_TARGET),
  });
  report.figure({
    scenario: 'idle initialized sessions at 100k (idle timer armed, resting)',
    metric: 'heap per session',
    unit: 'bytes',
    higherIsBetter: false,
    values: {
      ours: perSession,
      'bare initialized session actor (no runtime)': bareBytes,
      [`naive root actor (at ${formatCount(naiveCount)})`]: naiveBytes,
    },
  });
  report.add({
    scenario: 'same, against a bare initialized session actor with parent (no runtime)',
    ours: formatBytes(perSession),
    baseline: formatBytes(bareBytes),
    ratio: formatRatio(perSession / bareBytes),
    target: '—',
    verdict: 'info',
  });
  report.detail({
    scenario: 'heap per idle session',
    engine: 'ours',
    figures: `${formatBytes(perSession)} with a Node idle timer, ${formatBytes((heapBoth - heapTimed) / SESSIONS)} with an inert stepped-clock timer; opening 100k took ${formatMs(opened.elapsedMs)}, their rest checks ${formatMs(rested.cpuMicros / 1000)} of CPU`,
  });
  await timerCost(withTimers, stepped, config, report);
  const steppedGrowth = heapBoth - heapTimed;
  const closed = await measure(() => withTimers.runtime.close({ drainMs: 0 }));
  const afterClose = await settledHeapUsed();
  report.add(
    retainedRow(
      'heap after close() of 100k idle sessions, vs before them',
      afterClose - baseline - steppedGrowth,
      heapTimed - baseline,
    ),
  );
  const idled = await measure(async () => clock.advance(IDLE_TIMEOUT_MS));
  const afterIdle = await settledHeapUsed();
  const left = stepped.runtime.size;
  report.add(
    retainedRow(
      'heap after 100k idle sessions idled out, vs before them',
      afterIdle - baseline,
      steppedGrowth,
      left > 0 ? ` (${left} still live!)` : '',
    ),
  );
  report.detail({
    scenario: 'close and idle-out',
    engine: 'ours',
    figures: `close({ drainMs: 0 }) of 100k: ${formatMs(closed.elapsedMs)}; idle-out of 100k: ${formatMs(idled.elapsedMs)}, stopped ${JSON.stringify(stepped.runtime.metrics().sessionsStopped)}${stragglers(stepped, steppedIds)}`,
  });
  await stepped.runtime.close({ drainMs: 0 });
}

async function timerCost(
  withTimers: OurEngine,
  stepped: OurEngine,
  config: BenchConfig,
  report: Report,
): Promise<void> {
  const standings = await compare(
    [
      busyContestant(withTimers, 'with timers', 'busy-timed'),
      busyContestant(stepped, 'without timers', 'busy-stepped'),
    ],
    // Armed timers cost nothing per message by design, so the ratio sits near 1 and the 5 % margin
    // is about one run's noise here: take more runs than elsewhere.
    Math.max(config.runs, 5),
  );
  const timed = standingOf(standings, 'with timers');
  const untimed = standingOf(standings, 'without timers');
  // Judged on CPU per message, not wall-clock msg/s: at a 5 % margin on a shared machine the wall
  // clock mostly measures the neighbours, while CPU time is what the timers would cost us.
  const ratio = untimed.cpuPerMessage / timed.cpuPerMessage;
  report.add({
    scenario: '100k armed idle timers: trivial 100 × 4, throughput per CPU with ÷ without',
    ours: `${timed.cpuPerMessage.toFixed(2)} µs/msg (${formatCount(timed.rate)} msg/s)`,
    baseline: `${untimed.cpuPerMessage.toFixed(2)} µs/msg (${formatCount(untimed.rate)} msg/s, no Node timers)`,
    ratio: formatRatio(ratio),
    target: `≥ ${TIMER_COST_TARGET}×`,
    verdict: atLeast(ratio, TIMER_COST_TARGET),
  });
  for (const standing of [timed, untimed]) {
    report.detail({
      scenario: '100k armed idle timers',
      engine: standing.name,
      figures: `${formatCount(standing.rate)} msg/s (${spreadOf(standing)}), CPU ${standing.cpuPerMessage.toFixed(2)} µs/msg`,
    });
  }
}

/** The first few sessions that did not idle out, for the report: each one is a bug to chase. */
function stragglers(engine: OurEngine, ids: readonly string[]): string {
  if (engine.runtime.size === 0) return '';
  const live = ids
    .map((sessionId) => engine.runtime.info(sessionId))
    .filter((info) => info !== undefined)
    .slice(0, 3);
  return `; still live: ${JSON.stringify(live)}`;
}
