/**
 * Real time that can also jump ahead, with timers that are inert records until it does. The
 * runtime's `ManualClock` scans every timer to find the next one due (right for tests, quadratic for
 * 100k idle timers); this one sorts the due timers once per step. `now()` follows `Date.now()` (plus
 * the jumps), so a runtime on it reads time at the same cost as one on the system clock.
 */
import type { Clock, TimerHandle } from '../../src/index.js';

interface SteppedTimer {
  readonly dueAt: number;
  readonly sequence: number;
  readonly callback: () => void;
}

/** @see {@link SteppedClock.advance} */
export class SteppedClock implements Clock {
  private offset = 0;
  private sequence = 0;
  private readonly timers = new Map<number, SteppedTimer>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const sequence = this.sequence++;
    this.timers.set(sequence, { dueAt: this.now() + Math.max(0, delayMs), sequence, callback });
    return sequence;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Jumps `ms` ahead, firing every timer that falls due in order, including ones armed meanwhile. */
  advance(ms: number): void {
    this.offset += ms;
    for (;;) {
      const now = this.now();
      const due = [...this.timers.values()].filter((timer) => timer.dueAt <= now);
      if (due.length === 0) break;
      due.sort((a, b) => a.dueAt - b.dueAt || a.sequence - b.sequence);
      for (const timer of due) {
        // A callback may have cleared a timer that was due in this same step.
        if (this.timers.delete(timer.sequence)) timer.callback();
      }
    }
  }
}
