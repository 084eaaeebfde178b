/**
 * The result tables. Every row puts our figure beside its baseline, the ratio, the target and a
 * plain verdict, so a miss cannot hide in a wall of numbers (house style: benchmarks print ratios).
 */

/**
 * `PASS`/`MISS` for rows with a target; `info` for context rows (naive designs, absolute figures);
 * `SKIP` for a target this run could not measure (memory without `--expose-gc`).
 */
export type Verdict = 'PASS' | 'MISS' | 'info' | 'SKIP';

export interface ResultRow {
  readonly scenario: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

/** A row of the context table: CPU per message, mailbox wait, lock wait. */
export interface DetailRow {
  readonly scenario: string;
  readonly engine: string;
  readonly figures: string;
}

/** The unit of a {@link Figure}; it decides how the chart prints a value. */
export type FigureUnit = 'calls/s' | 'msg/s' | 'sessions/s' | 'ms' | 'bytes' | 'µs/call';

/**
 * The numbers behind a row, for the chart: the figure each engine reached in the same run, in the
 * same unit. The rows hold strings for the tables; the chart needs the numbers themselves.
 */
export interface Figure {
  /** The panel's title, e.g. `HTTP JSON: tools/call echo, 50 sessions closed loop`. */
  readonly scenario: string;
  /** What was measured, e.g. `calls/s`, `p99 latency`, `heap per idle session`. */
  readonly metric: string;
  readonly unit: FigureUnit;
  /** `true` for rates, `false` for latencies, CPU and bytes. */
  readonly higherIsBetter: boolean;
  /** Engine name → value, in the order to draw them; the key `ours` is this runtime. */
  readonly values: Readonly<Record<string, number>>;
  /** A caveat printed under the title (errors in the run, a baseline measured at another size). */
  readonly note?: string;
}

/** PASS when `value` meets a lower bound. */
export function atLeast(value: number, bound: number): Verdict {
  return value >= bound ? 'PASS' : 'MISS';
}

/** PASS when `value` stays under an upper bound. */
export function atMost(value: number, bound: number): Verdict {
  return value <= bound ? 'PASS' : 'MISS';
}

function render(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** The main table, as Markdown so that it pastes into the README unchanged. */
export function renderResults(rows: readonly ResultRow[]): string {
  return render(
    ['scenario', 'ours', 'baseline', 'ratio', 'target', 'result'],
    rows.map((row) => [
      row.scenario,
      row.ours,
      row.baseline,
      row.ratio,
      row.target,
      row.verdict === 'MISS' ? '**MISS**' : row.verdict,
    ]),
  );
}

/** The context table. */
export function renderDetails(rows: readonly DetailRow[]): string {
  return render(
    ['scenario', 'engine', 'figures'],
    rows.map((row) => [row.scenario, row.engine, row.figures]),
  );
}

/** Collects the rows of every scenario, in the order they ran. */
export class Report {
  readonly results: ResultRow[] = [];
  readonly details: DetailRow[] = [];
  readonly figures: Figure[] = [];

  add(row: ResultRow): void {
    this.results.push(row);
    const marker = row.verdict === 'MISS' ? 'MISS' : row.verdict;
    console.log(
      `  ${marker.padEnd(4)}  ${row.scenario}: ours ${row.ours}, baseline ${row.baseline}, ${row.ratio}`,
    );
  }

  detail(row: DetailRow): void {
    this.details.push(row);
  }

  /** Records the numbers of one comparison for the chart (see `chart.ts`); prints nothing. */
  figure(figure: Figure): void {
    this.figures.push(figure);
  }

  get misses(): readonly ResultRow[] {
    return this.results.filter((row) => row.verdict === 'MISS');
  }
}
