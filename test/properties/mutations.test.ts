/**
 * The mutation check: the race properties are only worth their runs if they fail on a runtime that
 * has the bug they are about. Each deliberately broken fixture (`test/fixtures/`) carries one classic
 * concurrency bug; fast-check must find a counterexample for the invariant it breaks, while the same
 * properties pass on the unbroken reference fixture they are all derived from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lazyIdleStopRuntime } from '../fixtures/lazyIdleStopRuntime.js';
import { racyDirectoryRuntime } from '../fixtures/racyDirectoryRuntime.js';
import { referenceRuntime } from '../fixtures/referenceRuntime.js';
import {
  eagerCancelRuntime,
  forgetfulDrainRuntime,
  leakyStopRuntime,
  lifoMailboxRuntime,
  pumpAfterStopRuntime,
  queueBoundInterleaveRuntime,
  queuedInterleaveRuntime,
  sharedSlotsRuntime,
  slotTakingInterleaveRuntime,
  unboundedInterleaveRuntime,
  uncountedCancelRuntime,
  wedgingCancelRuntime,
} from '../fixtures/smallMutants.js';
import type { Invariant } from './invariants.js';
import * as invariants from './invariants.js';
import type { ScenarioOptions } from './race.js';
import { raceProperty } from './race.js';
import { numRuns, timeoutFor } from './raceRun.js';
import type { RuntimeFactory } from './subject.js';

/** Runs allowed to find each bug; over twenty seeds each, every one was found within 150 runs. */
const searchRuns = 2_000;

interface Mutant {
  readonly bug: string;
  readonly factory: RuntimeFactory;
  readonly invariant: Invariant;
  readonly options?: ScenarioOptions;
}

const mutants: readonly Mutant[] = [
  {
    bug: 'a get-or-create that awaits between the lookup and the insert',
    factory: racyDirectoryRuntime,
    invariant: invariants.oneLiveSessionPerId,
  },
  {
    bug: 'an idle stop that ignores a message queued while it persists the session',
    factory: lazyIdleStopRuntime,
    invariant: invariants.racingStop,
  },
  {
    bug: 'a mailbox that hands out its newest request first',
    factory: lifoMailboxRuntime,
    invariant: invariants.perSessionFifo,
  },
  {
    bug: 'a cancel that frees the slot of a handler still running',
    factory: eagerCancelRuntime,
    invariant: invariants.concurrencyLimit,
  },
  {
    bug: 'one pool of slots for the whole runtime',
    factory: sharedSlotsRuntime,
    invariant: invariants.crossSessionIndependence,
    options: { hangingSession: 'a' },
  },
  {
    bug: 'a drain deadline that drops unanswered requests',
    factory: forgetfulDrainRuntime,
    invariant: invariants.everyPromiseSettles,
  },
  {
    bug: 'a stopped session that keeps pumping its mailbox',
    factory: pumpAfterStopRuntime,
    invariant: invariants.nothingAfterStop,
  },
  {
    bug: 'a cancel of a queued request left uncounted',
    factory: uncountedCancelRuntime,
    invariant: invariants.accounting,
  },
  {
    bug: 'a cancelled handler that keeps its slot until it returns (no cancel grace)',
    factory: wedgingCancelRuntime,
    invariant: invariants.agreesWithModel,
  },
  {
    bug: 'a stop that leaves its abandoned handlers counted in flight',
    factory: leakyStopRuntime,
    invariant: invariants.accounting,
  },
  {
    bug: 'an interleaving call that takes one of the session’s slots',
    factory: slotTakingInterleaveRuntime,
    invariant: invariants.crossSessionIndependence,
  },
  {
    bug: 'an interleaving call queued behind the ordered ones',
    factory: queuedInterleaveRuntime,
    invariant: invariants.interleaving,
  },
  {
    bug: 'interleaving calls that nothing bounds',
    factory: unboundedInterleaveRuntime,
    invariant: invariants.interleaving,
  },
  {
    bug: 'an interleaving call refused when the ordered queue is full',
    factory: queueBoundInterleaveRuntime,
    invariant: invariants.interleaving,
  },
];

describe('mutation check: the race properties catch deliberately broken runtimes', () => {
  it(
    'pass on the unbroken reference fixture (the control)',
    async () => {
      await fc.assert(raceProperty(referenceRuntime, invariants.allInvariants), { numRuns });
      await fc.assert(
        raceProperty(referenceRuntime, [invariants.crossSessionIndependence], { hangingSession: 'a' }),
        { numRuns },
      );
    },
    timeoutFor(2 * numRuns),
  );

  for (const { bug, factory, invariant, options } of mutants) {
    it(
      `${invariant.name} finds ${bug}`,
      async () => {
        const result = await fc.check(raceProperty(factory, [invariant], options), { numRuns: searchRuns });
        expect(result.failed, `fast-check found no counterexample in ${searchRuns} runs`).toBe(true);
        expect(String(result.errorInstance)).toContain(`[${invariant.name}]`);
      },
      timeoutFor(searchRuns),
    );
  }
});
