/**
 * What a scenario is given: the mode (quick or full) and the report it writes its rows into.
 */
import type { RuntimeMetrics } from '../../src/index.js';
import type { LockWait } from '../baselines/AsyncLock.js';
import type { Report } from './table.js';

export interface BenchConfig {
  /** `--full`: more runs, longer windows, the slow naive baselines at their larger sizes. */
  readonly full: boolean;
  /** Timed runs per engine; the tables show their median. */
  readonly runs: number;
}

/** One benchmark scenario. */
export type Scenario = (config: BenchConfig, report: Report) => Promise<void>;

/** The mailbox wait recorded between two metric snapshots of our runtime. */
export function mailboxWaitBetween(before: RuntimeMetrics, after: RuntimeMetrics): string {
  const count = after.mailboxWait.count - before.mailboxWait.count;
  const totalMs = after.mailboxWait.totalMs - before.mailboxWait.totalMs;
  const mean = count === 0 ? 0 : totalMs / count;
  return `mailbox wait mean ${mean.toFixed(3)} ms, max ${after.mailboxWait.maxMs} ms over ${count} requests`;
}

/** The same figure for the global lock: how long messages waited for it. */
export function lockWaitBetween(before: LockWait, after: LockWait): string {
  const count = after.count - before.count;
  const mean = count === 0 ? 0 : (after.totalMs - before.totalMs) / count;
  return `lock wait mean ${mean.toFixed(3)} ms, max ${after.maxMs} ms over ${count} messages`;
}
