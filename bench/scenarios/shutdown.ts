/**
 * Shutdown at scale: `runtime.close({ drainMs: 0 })` of N idle sessions (initialized, nothing in
 * flight), awake and resting, against stopping the same sessions one by one through their
 * lifecycle machines (`runtime.remove(id)` each: an event, a transition to `stopped`, the done
 * event to the directory), measured in the same run on the same kind of runtime.
 *
 * Target (issue "Run it in production"): ≤ 5 s beyond the drain grace at 1,000,000 idle sessions,
 * i.e. ≤ 5 µs per session, for idle sessions both resting (quiet for `restAfterMs`, 5 s by
 * default) and awake (traffic within the last `restAfterMs`). Neither goes through its machine:
 * a resting one stops without reviving its lifecycle actor, an awake one is put to rest and its
 * lifecycle actor is stopped by the directory (its parent) in batches of 256 per event, the first
 * 1,024 at once and the rest in the background after `close()` resolved (reported beside). Quick
 * mode runs 100,000 sessions and extrapolates; `--full` runs 1,000,000 (resting: about 0.6 GB of
 * heap, awake: about 3.3 GB).
 */
import { createSessionRuntime } from '../../src/index.js';
import type { BenchConfig } from '../harness/config.js';
import { initializedNotification, initializeRequest, isErrorResponse } from '../harness/engine.js';
import { measure, settledHeapUsed } from '../harness/measure.js';
import { formatCount, formatMs, formatRatio } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atMost } from '../harness/table.js';

const TARGET_US_PER_SESSION = 5;
const BATCH = 1_000;
const REST_AFTER_MS = 500;

type Runtime = ReturnType<typeof createSessionRuntime>;

async function openSessions(runtime: Runtime, count: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}${index}`);
  for (let start = 0; start < count; start += BATCH) {
    const slice = ids.slice(start, start + BATCH);
    const answers = await Promise.all(slice.map((id) => runtime.dispatch(id, initializeRequest())));
    if (answers.some(isErrorResponse)) throw new Error('initialize failed');
    await Promise.all(slice.map((id) => runtime.dispatch(id, initializedNotification())));
  }
  if (runtime.size !== count) throw new Error(`expected ${count} sessions, found ${runtime.size}`);
  return ids;
}

interface Timing {
  readonly ms: number;
  readonly perSessionUs: number;
  /** How long after `close()` resolved the directory released the last lifecycle actor (ms). */
  readonly releasedMs?: number;
}

async function closeAll(count: number, resting: boolean): Promise<Timing> {
  await settledHeapUsed();
  const runtime = createSessionRuntime({
    maxSessions: count + 1,
    restAfterMs: resting ? REST_AFTER_MS : 3_600_000,
  });
  await openSessions(runtime, count, resting ? 'r' : 'a');
  if (resting) await new Promise((resolve) => setTimeout(resolve, REST_AFTER_MS * 3));
  const { elapsedMs } = await measure(() => runtime.close({ drainMs: 0 }));
  if (runtime.size !== 0) throw new Error(`${runtime.size} sessions left after close`);
  const releasedMs = await directoryDone(runtime);
  return { ms: elapsedMs, perSessionUs: (elapsedMs * 1000) / count, releasedMs };
}

/**
 * Milliseconds from now until the sessions' directory actor is done: the lifecycle actors of
 * sessions closed awake are released in the background after `close()` resolved (internal state,
 * read for this report only). Its timers are unref'd, so an interval keeps the process up meanwhile.
 */
async function directoryDone(runtime: Runtime): Promise<number> {
  const actor = (
    runtime as unknown as {
      directory: {
        actor: { getSnapshot(): { status: string }; subscribe(o: { complete(): void }): unknown };
      };
    }
  ).directory.actor;
  const started = performance.now();
  const keepAlive = setInterval(() => {}, 1_000);
  await new Promise<void>((resolve) => {
    if (actor.getSnapshot().status === 'done') resolve();
    else actor.subscribe({ complete: resolve });
  });
  clearInterval(keepAlive);
  return performance.now() - started;
}

async function removeAll(count: number): Promise<Timing> {
  await settledHeapUsed();
  const runtime = createSessionRuntime({ maxSessions: count + 1, restAfterMs: 3_600_000 });
  const ids = await openSessions(runtime, count, 'm');
  const { elapsedMs } = await measure(async () => {
    for (const id of ids) runtime.remove(id);
  });
  if (runtime.size !== 0) throw new Error(`${runtime.size} sessions left after remove`);
  await runtime.close({ drainMs: 0 });
  return { ms: elapsedMs, perSessionUs: (elapsedMs * 1000) / count };
}

export async function shutdownScenario(config: BenchConfig, report: Report): Promise<void> {
  const count = config.full ? 1_000_000 : 100_000;
  const label = `close({ drainMs: 0 }) of ${formatCount(count)} idle sessions`;
  try {
    const baseline = await removeAll(count);
    for (const resting of [false, true]) {
      const ours = await closeAll(count, resting);
      const at1M = (ours.perSessionUs * 1_000_000) / 1e6;
      report.add({
        scenario: `${label} (${resting ? 'resting' : 'awake'})`,
        ours: `${formatMs(ours.ms)} (${ours.perSessionUs.toFixed(2)} µs each; ${at1M.toFixed(2)} s at 1M; lifecycle actors released in the background over the next ${formatMs(ours.releasedMs ?? 0)})`,
        baseline: `one by one through the machine ${formatMs(baseline.ms)} (${baseline.perSessionUs.toFixed(2)} µs each)`,
        ratio: `${formatRatio(baseline.perSessionUs / ours.perSessionUs)} faster`,
        // Both are idle: a resting one is not revived, an awake one is put to rest and its
        // lifecycle actor stopped by the directory in batches, with no event through its machine.
        target: `≤ ${TARGET_US_PER_SESSION} s at 1M idle sessions`,
        verdict: atMost(ours.perSessionUs, TARGET_US_PER_SESSION),
      });
    }
  } catch (error) {
    report.add({
      scenario: label,
      ours: `failed: ${(error as Error).message}`,
      baseline: '—',
      ratio: '—',
      target: `≤ ${TARGET_US_PER_SESSION} s at 1M idle sessions`,
      verdict: 'MISS',
    });
  }
}
