/**
 * Head-of-line blocking: one session runs a 50 ms handler back to back while 99 others send trivial
 * requests. Under the global lock every other request waits for the slow one; with per-session
 * mailboxes nobody else should notice. Target: the other sessions' p99 ≤ 1 ms.
 */
import { GlobalLockEngine } from '../baselines/GlobalLockEngine.js';
import type { BenchConfig } from '../harness/config.js';
import type { HeadOfLineResult } from '../harness/drivers.js';
import { headOfLine } from '../harness/drivers.js';
import type { BenchEngine } from '../harness/engine.js';
import { createOurEngine, openSessions, requestMessage, sessionIds } from '../harness/engine.js';
import { benchHandlers, benchTools, NOOP_METHOD, SLOW_METHOD } from '../harness/handlers.js';
import { formatMs, formatRatio, median } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atMost } from '../harness/table.js';

const LABEL = 'head-of-line: 1 session with a 50 ms handler, 99 others trivial';
const messages = {
  slow: () => requestMessage(SLOW_METHOD, {}),
  fast: () => requestMessage(NOOP_METHOD, {}),
};

async function probe(engine: BenchEngine, prefix: string, windowMs: number): Promise<HeadOfLineResult> {
  const [slow, ...fast] = sessionIds(prefix, 100) as [string, ...string[]];
  return headOfLine(engine, slow, fast, messages, windowMs);
}

function summary(results: readonly HeadOfLineResult[]): string {
  const p50 = median(results.map((entry) => entry.p50));
  const max = median(results.map((entry) => entry.max));
  const samples = results.reduce((sum, entry) => sum + entry.samples, 0);
  const slow = results.reduce((sum, entry) => sum + entry.slowAnswered, 0);
  return `p50 ${formatMs(p50)}, max ${formatMs(max)} (median of runs), ${samples} samples, ${slow} slow requests`;
}

export async function headOfLineScenario(config: BenchConfig, report: Report): Promise<void> {
  console.log(`\n▸ ${LABEL}`);
  const windowMs = config.full ? 2_000 : 800;
  const ours = createOurEngine();
  const lock = new GlobalLockEngine(benchHandlers, benchTools);
  const engines = [
    { engine: ours, prefix: 'hol-ours', results: [] as HeadOfLineResult[] },
    { engine: lock, prefix: 'hol-lock', results: [] as HeadOfLineResult[] },
  ];
  for (const entry of engines) {
    await openSessions(entry.engine, sessionIds(entry.prefix, 100));
    await probe(entry.engine, entry.prefix, windowMs / 4);
  }
  for (let round = 0; round < config.runs; round++) {
    for (const entry of engines) entry.results.push(await probe(entry.engine, entry.prefix, windowMs));
  }
  const [ourResults, lockResults] = engines.map((entry) => entry.results) as [
    HeadOfLineResult[],
    HeadOfLineResult[],
  ];
  const ourP99 = median(ourResults.map((entry) => entry.p99));
  const lockP99 = median(lockResults.map((entry) => entry.p99));
  report.add({
    scenario: `${LABEL}: others' p99`,
    ours: formatMs(ourP99),
    baseline: `${formatMs(lockP99)} (global lock)`,
    ratio: `${formatRatio(lockP99 / ourP99)} lower`,
    target: 'p99 ≤ 1 ms',
    verdict: atMost(ourP99, 1),
  });
  report.figure({
    scenario: LABEL,
    metric: "the other sessions' p99 latency",
    unit: 'ms',
    higherIsBetter: false,
    values: { [ours.label]: ourP99, [lock.label]: lockP99 },
  });
  report.detail({ scenario: LABEL, engine: ours.label, figures: summary(ourResults) });
  report.detail({ scenario: LABEL, engine: lock.label, figures: summary(lockResults) });
  await ours.runtime.close({ drainMs: 0 });
}
