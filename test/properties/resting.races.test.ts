/**
 * The race properties of `races.test.ts` again, on a runtime whose quiet sessions rest (put their
 * actors away) after 100 ms, a tenth of the scenarios' idle timeout: so that rests and revivals
 * interleave with every command, handler step, delivery, idle stop, remove and close that
 * fast-check draws. Resting must be invisible: the same model, the same invariants.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createSessionRuntime } from '../../src/index.js';
import type { Invariant } from './invariants.js';
import {
  accounting,
  agreesWithModel,
  concurrencyLimit,
  crossSessionIndependence,
  everyPromiseSettles,
  nothingAfterStop,
  oneLiveSessionPerId,
  perSessionFifo,
  racingStop,
} from './invariants.js';
import type { ScenarioOptions } from './race.js';
import { numRuns, propertyParameters, raceProperty, timeoutFor } from './race.js';
import type { RuntimeFactory } from './subject.js';

const restingRuntime: RuntimeFactory = ({ scheduler: _scheduler, ...options }) =>
  createSessionRuntime({ ...options, restAfterMs: 100 });

const holds =
  (invariant: Invariant, options: ScenarioOptions = {}) =>
  async () => {
    await fc.assert(raceProperty(restingRuntime, [invariant], options), propertyParameters());
  };

describe('session runtime under racing clients, with sessions resting after 100 ms', () => {
  it('agrees with the model after every command', holds(agreesWithModel), timeoutFor(numRuns));

  it('1. keeps at most one live session actor per id, ever', holds(oneLiveSessionPerId), timeoutFor(numRuns));

  it('2. starts the handlers of one session in dispatch order', holds(perSessionFifo), timeoutFor(numRuns));

  it(
    '3. never runs more than maxConcurrentRequests handlers of one session',
    holds(concurrencyLimit),
    timeoutFor(numRuns),
  );

  it(
    '4. lets every other session complete while one session’s handlers never resolve',
    holds(crossSessionIndependence, { hangingSession: 'a' }),
    timeoutFor(numRuns),
  );

  it('5. settles every dispatch promise', holds(everyPromiseSettles), timeoutFor(numRuns));

  it('6. starts no handler after its session stopped', holds(nothingAfterStop), timeoutFor(numRuns));

  it('7. accounts for every request', holds(accounting), timeoutFor(numRuns));

  it(
    '8. serves a message racing an idle stop or refuses it as session_not_found',
    holds(racingStop),
    timeoutFor(numRuns),
  );
});
