/**
 * How long handlers take, per method: a fixed histogram of durations for each method served, for
 * the "top methods by p99" of a dashboard. Recording is one `Map` lookup, a scan of 14 bounds and
 * three number writes; methods are the runtime's own (a request reaches a handler only for a
 * method one is registered for), so the map stays as small as the server's method table.
 */

/**
 * The upper bounds (ms, inclusive) of the histogram's buckets; one more bucket holds the rest.
 * Close to Prometheus' default buckets, with 1 ms and 2 ms added for fast in-memory handlers.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
]);

/** Durations of one method's handlers, as {@link RuntimeSnapshot} reports them. */
export interface MethodLatency {
  readonly method: string;
  /** Handlers that gave their slot back (answered, failed, cancelled, timed out). */
  readonly count: number;
  /** Mean duration (ms). */
  readonly meanMs: number;
  /**
   * The 50th and 99th percentiles (ms): the upper bound of the bucket where they fall (see
   * {@link LATENCY_BOUNDS_MS}), never more than the longest duration seen.
   */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The longest duration (ms). */
  readonly maxMs: number;
}

interface Histogram {
  /** One count per bucket of {@link LATENCY_BOUNDS_MS}, and one for the rest. */
  readonly counts: Float64Array;
  count: number;
  totalMs: number;
  maxMs: number;
}

/** The per-method histograms of one runtime. @internal */
export class MethodLatencies {
  private readonly byMethod = new Map<string, Histogram>();

  /** Counts one handler of `method` that held its slot for `durationMs`. */
  record(method: string, durationMs: number): void {
    let histogram = this.byMethod.get(method);
    if (histogram === undefined) {
      histogram = { counts: new Float64Array(LATENCY_BOUNDS_MS.length + 1), count: 0, totalMs: 0, maxMs: 0 };
      this.byMethod.set(method, histogram);
    }
    let bucket = 0;
    while (bucket < LATENCY_BOUNDS_MS.length && durationMs > (LATENCY_BOUNDS_MS[bucket] as number)) bucket++;
    (histogram.counts[bucket] as number)++;
    histogram.count++;
    histogram.totalMs += durationMs;
    if (durationMs > histogram.maxMs) histogram.maxMs = durationMs;
  }

  /** Every method seen, slowest p99 first (ties: most calls first). */
  summary(): MethodLatency[] {
    const out: MethodLatency[] = [];
    for (const [method, histogram] of this.byMethod) {
      out.push({
        method,
        count: histogram.count,
        meanMs: histogram.totalMs / histogram.count,
        p50Ms: quantileOf(histogram, 0.5),
        p99Ms: quantileOf(histogram, 0.99),
        maxMs: histogram.maxMs,
      });
    }
    return out.sort((a, b) => b.p99Ms - a.p99Ms || b.count - a.count);
  }
}

/** The upper bound of the bucket holding quantile `q`, capped at the longest duration. */
function quantileOf(histogram: Histogram, q: number): number {
  const rank = Math.ceil(q * histogram.count);
  let seen = 0;
  for (let bucket = 0; bucket < histogram.counts.length; bucket++) {
    seen += histogram.counts[bucket] as number;
    if (seen >= rank) return Math.min(LATENCY_BOUNDS_MS[bucket] ?? histogram.maxMs, histogram.maxMs);
  }
  return histogram.maxMs;
}
