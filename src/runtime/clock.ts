/**
 * Time, injected. The runtime never calls `Date.now()` or `setTimeout` directly, so tests can drive
 * idle expiry and request timeouts with a {@link ManualClock} instead of sleeping.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** The clock the runtime reads and schedules with. */
export interface Clock {
  /** Milliseconds on a monotonic-enough scale; only differences are used. */
  now(): number;
  /** Calls `callback` once after `delayMs`. Timers must not keep the process alive on their own. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now()` and unref'd Node timers (an idle timer alone never holds a process open). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref?.();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

interface ManualTimer {
  readonly dueAt: number;
  readonly sequence: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due order (ties in creation order) during
 * {@link ManualClock.advance}, each with `now()` equal to its due time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const runtime = createSessionRuntime({ clock, idleTimeoutMs: 1_000 });
 * clock.advance(1_000); // idle sessions stop now
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private sequence = 0;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const sequence = this.sequence++;
    this.timers.set(sequence, { dueAt: this.current + Math.max(0, delayMs), sequence, callback });
    return sequence;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** How many timers are armed: a test can assert that nothing is left behind. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, including ones armed meanwhile. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers.delete(next.sequence);
      this.current = next.dueAt;
      next.callback();
    }
    this.current = target;
  }

  private nextDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.dueAt > limit) continue;
      if (best === undefined || timer.dueAt < best.dueAt) best = timer;
    }
    return best;
  }
}
