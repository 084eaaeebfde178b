/**
 * Wall time, CPU time and heap, measured the same way for every engine. CPU time comes from
 * `process.cpuUsage()` (user + system, every thread of the process, so GC helper threads count too).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface Measurement {
  /** Wall-clock milliseconds. */
  readonly elapsedMs: number;
  /** CPU microseconds (user + system) spent meanwhile. */
  readonly cpuMicros: number;
}

/** Runs `task` and reports how long it took and how much CPU it used. */
export async function measure<TResult>(
  task: () => Promise<TResult>,
): Promise<Measurement & { readonly result: TResult }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await task();
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { elapsedMs, cpuMicros: cpu.user + cpu.system, result };
}

type GarbageCollector = () => void;

function collector(): GarbageCollector | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GarbageCollector) : undefined;
}

/** True when the process runs with `--expose-gc`, which the memory measurements need. */
export function canCollectGarbage(): boolean {
  return collector() !== undefined;
}

/**
 * Collects garbage until the heap stops shrinking, letting pending callbacks (finalizers, timers'
 * bookkeeping) run in between, and returns the heap in use.
 */
export async function settledHeapUsed(): Promise<number> {
  const gc = collector();
  if (gc === undefined) return process.memoryUsage().heapUsed;
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round++) {
    gc();
    await nextTurn();
    const used = process.memoryUsage().heapUsed;
    if (previous - used < 64 * 1024) return used;
    previous = used;
  }
  return process.memoryUsage().heapUsed;
}

/**
 * One full collection, if `gc` is exposed: run before each timed run so that no engine pays for the
 * garbage another one left behind.
 */
export function collectGarbage(): void {
  collector()?.();
}

/** Lets the event loop turn once, so timers and I/O callbacks scheduled so far can run. */
export function yieldToEventLoop(): Promise<void> {
  return nextTurn();
}
