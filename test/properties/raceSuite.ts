/**
 * The race properties as one suite, declared for a runtime factory: the real runtime
 * (races.test.ts) and the same runtime with sessions resting after 100 ms (resting.races.test.ts)
 * must pass the same list.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Invariant } from './invariants.js';
import {
  accounting,
  agreesWithModel,
  concurrencyLimit,
  crossSessionIndependence,
  everyPromiseSettles,
  interleaving,
  nothingAfterStop,
  oneLiveSessionPerId,
  perSessionFifo,
  racingStop,
} from './invariants.js';
import type { ScenarioOptions } from './race.js';
import { raceProperty } from './race.js';
import { numRuns, propertyParameters, timeoutFor } from './raceRun.js';
import type { RuntimeFactory } from './subject.js';

/** Declares, inside a `describe` titled `title`, one test per property against `runtime`. */
export function describeRaceProperties(title: string, runtime: RuntimeFactory): void {
  const holds =
    (invariant: Invariant, options: ScenarioOptions = {}) =>
    async () => {
      await fc.assert(raceProperty(runtime, [invariant], options), propertyParameters());
    };

  describe(title, () => {
    it('agrees with the model after every command', holds(agreesWithModel), timeoutFor(numRuns));

    it(
      '1. keeps at most one live session actor per id, ever',
      holds(oneLiveSessionPerId),
      timeoutFor(numRuns),
    );

    it(
      '2. starts the ordered handlers of one session in dispatch order',
      holds(perSessionFifo),
      timeoutFor(numRuns),
    );

    it(
      '3. never runs more than maxConcurrentRequests (1 to 3) ordered handlers of one session at once',
      holds(concurrencyLimit),
      timeoutFor(numRuns),
    );

    it(
      '4. lets every other session complete its requests while one session’s handlers never resolve',
      holds(crossSessionIndependence, { hangingSession: 'a' }),
      timeoutFor(numRuns),
    );

    it(
      '5. settles every dispatch promise, across remove, idle stop and close',
      holds(everyPromiseSettles),
      timeoutFor(numRuns),
    );

    it(
      '6. starts no handler after its session stopped, and answers no cancelled request',
      holds(nothingAfterStop),
      timeoutFor(numRuns),
    );

    it(
      '7. accounts for every request: metrics() match the model, accepted = completed + failed + cancelled',
      holds(accounting),
      timeoutFor(numRuns),
    );

    it(
      '8. serves a message racing an idle stop or refuses it as session_not_found, never drops it',
      holds(racingStop),
      timeoutFor(numRuns),
    );

    it(
      '9. starts an interleaving call at once beside the ordered ones, at most mailboxCapacity at a time',
      holds(interleaving),
      timeoutFor(numRuns),
    );
  });
}
