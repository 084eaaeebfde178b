/**
 * Small statistics and formatting helpers. Benchmarks report medians of a few short runs: on a
 * shared, noisy machine one slow run must not move the verdict.
 */

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The `p`-th percentile (0–100) by nearest rank; `values` need not be sorted. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** `1234567` → `1.23 M`, `45678` → `45.7 k`. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (Math.abs(value) >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(2)} k`;
  return value.toFixed(value >= 100 ? 0 : 1);
}

/** Milliseconds with a precision that suits their size. */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(3)} ms`;
}

/** Bytes as B / KiB / MiB. */
export function formatBytes(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  if (magnitude >= 1024) return `${(value / 1024).toFixed(2)} KiB`;
  return `${value.toFixed(0)} B`;
}

/** A ratio as `12.3×`. */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value >= 100 ? `${value.toFixed(0)}×` : `${value.toFixed(2)}×`;
}
