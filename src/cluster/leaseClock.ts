/**
 * The clock a lease's local deadline is read on. It must never run slower than the store's clock
 * (Redis expires keys on its own clock), or an instance would believe in a lease the store has
 * already let go. Neither of Node's clocks is enough alone:
 *
 * - the monotonic clock (`performance.now()`, Linux `CLOCK_MONOTONIC`) ignores wall-clock steps but
 *   stands still while the machine is suspended;
 * - the wall clock (`Date.now()`) keeps counting through a suspend but can be stepped back or forward.
 *
 * {@link leaseClock} counts the larger advance of the two since its last reading, so a suspend or a
 * forward step makes leases end early (safe: the actor stops a little sooner) and a backward step is
 * ignored. Its readings never decrease. Timers are ordinary unref'd Node timers.
 */
import type { Clock } from '../runtime/clock.js';
import { systemClock } from '../runtime/clock.js';

/** Two time sources in milliseconds: one monotonic, one wall clock. */
export interface TimeSources {
  monotonic(): number;
  wall(): number;
}

const nodeSources: TimeSources = { monotonic: () => performance.now(), wall: () => Date.now() };

/**
 * A clock whose reading advances by the larger advance of `sources` since the previous reading
 * (never by a negative amount). @internal
 */
export function createLeaseClock(sources: TimeSources = nodeSources): Clock {
  let lastMonotonic = sources.monotonic();
  let lastWall = sources.wall();
  let current = 0;
  return {
    now() {
      const monotonic = sources.monotonic();
      const wall = sources.wall();
      current += Math.max(0, monotonic - lastMonotonic, wall - lastWall);
      lastMonotonic = monotonic;
      lastWall = wall;
      return current;
    },
    // The system clock's unref'd timers: only the reading differs.
    setTimeout: systemClock.setTimeout,
    clearTimeout: systemClock.clearTimeout,
  };
}

/** The process's lease clock: see the module comment. */
export const leaseClock: Clock = createLeaseClock();
