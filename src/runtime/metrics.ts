/**
 * The runtime's counters. Plain mutable numbers on one object: incrementing one is the whole cost
 * a message pays for being counted. {@link MetricsRecorder.snapshot} copies them out.
 */

import type { MethodLatencies } from './methodLatency.js';
import { activeInstruments } from './telemetry/instruments.js';
import type { RuntimeMetrics, StopReason } from './types.js';

/** @internal */
export class MetricsRecorder {
  sessions = 0;
  sessionsStarted = 0;
  readonly sessionsStopped: Record<StopReason, number> = {
    idle: 0,
    removed: 0,
    swept: 0,
    closed: 0,
    lease_lost: 0,
  };
  queued = 0;
  inFlight = 0;
  accepted = 0;
  completed = 0;
  failed = 0;
  cancelled = 0;
  readonly rejected: Record<string, number> = {};
  /**
   * How long handlers held their slot, per method (`runtime.snapshot().methods`): created by the
   * first `snapshot()`, so that a runtime nobody watches pays nothing for it.
   */
  latencies: MethodLatencies | undefined;
  private waitCount = 0;
  private waitTotalMs = 0;
  private waitMaxMs = 0;

  reject(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  recordMailboxWait(ms: number): void {
    // Only where an OpenTelemetry meter provider is registered: a histogram has no observable form.
    activeInstruments()?.mailboxWait.record(ms / 1000);
    this.waitCount++;
    this.waitTotalMs += ms;
    if (ms > this.waitMaxMs) this.waitMaxMs = ms;
  }

  /** The counters; `handles` is the runtime's to add (the handle registry keeps those). */
  snapshot(): Omit<RuntimeMetrics, 'handles'> {
    return {
      sessions: this.sessions,
      sessionsStarted: this.sessionsStarted,
      sessionsStopped: { ...this.sessionsStopped },
      queued: this.queued,
      inFlight: this.inFlight,
      accepted: this.accepted,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      rejected: { ...this.rejected },
      mailboxWait: {
        count: this.waitCount,
        totalMs: this.waitTotalMs,
        maxMs: this.waitMaxMs,
        meanMs: this.waitCount === 0 ? 0 : this.waitTotalMs / this.waitCount,
      },
    };
  }
}

/**
 * The key of a runtime's method that counts a refusal decided outside it (see {@link countRefusal}):
 * a symbol, so that it stays off the public `SessionRuntime` surface yet survives a wrapper (a
 * `Proxy`) that passes the runtime's members through. @internal
 */
export const COUNT_REFUSAL: unique symbol = Symbol('mcp-session-runtime.countRefusal');

/**
 * Counts a refusal decided before a message reached `runtime` (a transport's own, e.g. 429
 * `rate_limited`) in that runtime's refusals by `reason`: `metrics().rejected` and the
 * `mcp_session_runtime.refusals` counter, beside the runtime's own reasons. Does nothing for an
 * object that is not a runtime of `createSessionRuntime`.
 * @internal
 */
export function countRefusal(runtime: object, reason: string): void {
  const count = (runtime as { [COUNT_REFUSAL]?: unknown })[COUNT_REFUSAL];
  if (typeof count === 'function') (count as (reason: string) => void).call(runtime, reason);
}
