/**
 * Shared checks of the fault tests: whether a promise has settled, and that a closed runtime left
 * nothing behind (no session, no armed timer, every started session counted as stopped).
 */
import { getEventListeners } from 'node:events';
import { expect } from 'vitest';
import type { ManualClock, SessionRuntime } from '../../src/index.js';
import { flush } from '../helpers.js';

/** Whether `promise` has settled once every queued callback has run. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await flush();
  return settled;
}

/** Closes `runtime` and checks that nothing is left: sessions, timers, uncounted stops. */
export async function expectClosedClean(runtime: SessionRuntime, clock: ManualClock): Promise<void> {
  const closing = runtime.close({ drainMs: 0 });
  await expect(closing).resolves.toBeUndefined();
  expect(runtime.size).toBe(0);
  expect(clock.pendingTimers).toBe(0);
  const metrics = runtime.metrics();
  const stopped = Object.values(metrics.sessionsStopped).reduce((sum, count) => sum + count, 0);
  expect(stopped).toBe(metrics.sessionsStarted);
  expect(metrics.sessions).toBe(0);
  expect(metrics.queued).toBe(0);
}

/** `abort` listeners on `signal`: a settled request must have removed its own. */
export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** A sleep on the injected clock that ends early, and clears its timer, when `signal` aborts. */
export function sleepOn(clock: ManualClock, ms: number, signal: AbortSignal): Promise<'slept' | 'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('aborted');
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve('aborted');
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve('slept');
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
