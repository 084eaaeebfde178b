/**
 * What the cluster benchmark collects per kind of call and path, and how it becomes rows, detail
 * rows and chart figures: ours is the forwarded path, the baseline the direct one.
 */
import { formatCount, formatMs, formatRatio, median, percentile } from '../harness/stats.js';
import type { Report, Verdict } from '../harness/table.js';
import type { HttpConnectionPool } from '../http/HttpConnectionPool.js';
import type { LoadRun } from '../http/loadGenerator.js';
import type { ClusterCall } from './clusterCalls.js';

/** `direct`: sent to the owner (A). `forwarded`: sent to the other instance (B). */
export type PathName = 'direct' | 'forwarded';

/** Where a path sends its calls, and which instance must answer them. */
export interface ClusterRoute {
  readonly pool: HttpConnectionPool;
  readonly expected: string;
}

/** One kind of call, on its two paths. */
export interface ClusterKind {
  readonly label: string;
  /** One call per client of the closed loop; the first also makes the sequential calls. */
  readonly calls: readonly ClusterCall[];
  readonly routes: Readonly<Record<PathName, ClusterRoute>>;
  /** `false` for the control: served where it arrives on both paths. */
  readonly forwarded: boolean;
}

/** Redis commands an idle cluster sent (lease renewals), over `ms`. */
export interface Background {
  readonly ops: ReadonlyMap<string, number>;
  readonly ms: number;
}

/** Everything measured on one path of one kind. */
export class PathTally {
  /** Latency of each correct sequential call, ms. */
  readonly sequential: number[] = [];
  readonly runs: LoadRun[] = [];
  readonly errorSamples: string[] = [];
  readonly ops = new Map<string, number>();
  requests = 0;
  errors = 0;
  /** Wall time of the measured phases, ms. */
  measuredMs = 0;
  /** CPU of both instances during the measured phases, µs. */
  cpuMicros = 0;

  recordError(error: string): void {
    this.errors++;
    if (this.errorSamples.length < 3) this.errorSamples.push(error);
  }

  addRun(run: LoadRun): void {
    this.runs.push(run);
    this.requests += run.calls + run.errors;
    this.errors += run.errors;
    for (const sample of run.errorSamples) if (this.errorSamples.length < 3) this.errorSamples.push(sample);
  }

  /** Median of the closed-loop runs' rates, calls/s. */
  get rate(): number {
    return median(this.runs.map((run) => (run.calls * 1000) / run.elapsedMs));
  }

  /** Redis commands per request, by command, less the background's share of the same time. */
  opsPerRequest(background: Background): { total: number; byCommand: Map<string, number> } {
    const byCommand = new Map<string, number>();
    const commands = new Set([...this.ops.keys(), ...background.ops.keys()]);
    for (const command of commands) {
      const share = ((background.ops.get(command) ?? 0) * this.measuredMs) / background.ms;
      byCommand.set(command, ((this.ops.get(command) ?? 0) - share) / this.requests);
    }
    let total = 0;
    for (const value of byCommand.values()) total += value;
    return { total, byCommand };
  }
}

/** Ops per request, 3 decimals. */
function perRequest(value: number): string {
  return (Math.abs(value) < 0.0005 ? 0 : value).toFixed(3);
}

function breakdown(byCommand: ReadonlyMap<string, number>): string {
  const parts = [...byCommand]
    .filter(([, value]) => Math.abs(value) >= 0.0005)
    .map(([command, value]) => `${command.toUpperCase()} ${perRequest(value)}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function latencies(runs: readonly LoadRun[]): number[] {
  return runs.flatMap((run) => Array.from(run.latencies));
}

/** The largest Redis ops per request a path may show on a private Redis before it is a miss. */
const OPS_SLACK = 0.05;

/** The rows, details and figures of one kind. */
export function reportKind(
  kind: ClusterKind,
  tallies: Readonly<Record<PathName, PathTally>>,
  background: Background,
  exactCounts: boolean,
  clients: number,
  report: Report,
): void {
  const { direct, forwarded } = tallies;
  const [oursName, baseName] = kind.forwarded ? ['forwarded', 'direct'] : ['at B', 'at A'];
  const erred = direct.errors + forwarded.errors > 0;
  const informational: Verdict = erred ? 'MISS' : 'info';
  const errorNote = (tally: PathTally) => (tally.errors > 0 ? ` (${tally.errors} errors)` : '');
  const p = (tally: PathTally, rank: number) => percentile(tally.sequential, rank);
  report.add({
    scenario: `${kind.label}: sequential p50 / p99`,
    ours: `${oursName} p50 ${formatMs(p(forwarded, 50))}, p99 ${formatMs(p(forwarded, 99))}${errorNote(forwarded)}`,
    baseline: `${baseName} p50 ${formatMs(p(direct, 50))}, p99 ${formatMs(p(direct, 99))}${errorNote(direct)}`,
    ratio: `p50 ${formatRatio(p(forwarded, 50) / p(direct, 50))}, p99 ${formatRatio(p(forwarded, 99) / p(direct, 99))}`,
    target: '— (informational)',
    verdict: informational,
  });
  report.add({
    scenario: `${kind.label}: calls/s, ${clients} in flight`,
    ours: `${oursName} ${formatCount(forwarded.rate)} calls/s`,
    baseline: `${baseName} ${formatCount(direct.rate)} calls/s`,
    ratio: formatRatio(forwarded.rate / direct.rate),
    target: '— (informational)',
    verdict: informational,
  });
  const opsDirect = direct.opsPerRequest(background);
  const opsForwarded = forwarded.opsPerRequest(background);
  const expected = kind.forwarded ? 1 : 0;
  const within = opsDirect.total <= OPS_SLACK && opsForwarded.total <= expected + OPS_SLACK;
  report.add({
    scenario: `${kind.label}: Redis ops per request`,
    ours: `${oursName} ${perRequest(opsForwarded.total)} (${breakdown(opsForwarded.byCommand)})`,
    baseline: `${baseName} ${perRequest(opsDirect.total)} (${breakdown(opsDirect.byCommand)})`,
    ratio: '—',
    target: exactCounts
      ? `≤ ${expected + OPS_SLACK} ${oursName}, ≤ ${OPS_SLACK} ${baseName}`
      : 'shared Redis: an upper bound',
    verdict: erred ? 'MISS' : exactCounts ? (within ? 'PASS' : 'MISS') : 'info',
  });
  if (kind.forwarded) {
    const note = erred ? { note: 'errors in the run: a miss' } : {};
    const figures = [
      ['sequential p50 latency', 'ms', false, (tally: PathTally) => p(tally, 50)],
      ['sequential p99 latency', 'ms', false, (tally: PathTally) => p(tally, 99)],
      [`calls/s, ${clients} in flight`, 'calls/s', true, (tally: PathTally) => tally.rate],
    ] as const;
    for (const [metric, unit, higherIsBetter, value] of figures) {
      report.figure({
        scenario: `${kind.label} (ours: forwarded)`,
        metric,
        unit,
        higherIsBetter,
        values: { ours: value(forwarded), 'direct to the owner': value(direct) },
        ...note,
      });
    }
  }
  for (const [name, tally, ops] of [
    [oursName, forwarded, opsForwarded],
    [baseName, direct, opsDirect],
  ] as const) {
    const rates = tally.runs.map((run) => (run.calls * 1000) / run.elapsedMs);
    const loaded = latencies(tally.runs);
    report.detail({
      scenario: kind.label,
      engine: name,
      figures: [
        `sequential p50 ${formatMs(percentile(tally.sequential, 50))}, p99 ${formatMs(percentile(tally.sequential, 99))} over ${formatCount(tally.sequential.length)} calls`,
        `${clients} in flight: ${formatCount(tally.rate)} calls/s (runs ${formatCount(Math.min(...rates))}–${formatCount(Math.max(...rates))}), p50 ${formatMs(percentile(loaded, 50))}, p99 ${formatMs(percentile(loaded, 99))}`,
        `both instances' CPU ${(tally.cpuMicros / tally.requests).toFixed(0)} µs/request`,
        `Redis ${perRequest(ops.total)} ops/request (${breakdown(ops.byCommand)}) over ${formatCount(tally.requests)} requests`,
        `${tally.errors} errors${tally.errorSamples.length > 0 ? `: ${tally.errorSamples.join(' | ')}` : ''}`,
      ].join(', '),
    });
  }
}

/** The detail row of what creating `count` sessions or handles cost in Redis commands. */
export function reportCreation(
  what: string,
  count: number,
  delta: ReadonlyMap<string, number>,
  report: Report,
): void {
  const parts = [...delta].map(
    ([command, calls]) => `${command.toUpperCase()} ${(calls / count).toFixed(2)}`,
  );
  report.detail({
    scenario: 'cluster: Redis commands per creation',
    engine: what,
    figures: `${parts.length === 0 ? 'none' : parts.join(', ')} (over ${count})`,
  });
}
