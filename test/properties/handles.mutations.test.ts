/**
 * The mutation check of the handle race properties: each deliberately broken runtime in
 * `test/fixtures/handleMutants.ts` carries one classic bug of a handle implementation, and
 * fast-check must find a counterexample for the invariant it breaks. The unbroken runtime passing
 * every invariant (`handles.races.test.ts`) is the control.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  busyIdleStopRuntime,
  collidingIdsRuntime,
  eagerCloseRuntime,
  forgetfulExpireRuntime,
  globalLockRuntime,
  pairedCallsRuntime,
  principalBlindRuntime,
  pumpAfterStopRuntime,
  refusalCountedRuntime,
} from '../fixtures/handleMutants.js';
import type { HandleInvariant } from './handleInvariants.js';
import * as invariants from './handleInvariants.js';
import { handleRaceProperty } from './handleRace.js';
import type { HandleRuntimeFactory } from './handleSubject.js';
import { timeoutFor } from './raceRun.js';

/** Runs allowed to find each bug; over thirty seeds each, every one was found within 125 runs. */
const searchRuns = 1_000;

interface Mutant {
  readonly bug: string;
  readonly factory: HandleRuntimeFactory;
  readonly invariant: HandleInvariant;
}

const mutants: readonly Mutant[] = [
  {
    bug: 'ids from a small space minted with get-or-create',
    factory: collidingIdsRuntime,
    invariant: invariants.oneLiveHandlePerId,
  },
  {
    bug: 'a handle that runs two calls at once',
    factory: pairedCallsRuntime,
    invariant: invariants.perHandleFifo,
  },
  {
    bug: 'two calls at once losing an increment',
    factory: pairedCallsRuntime,
    invariant: invariants.stateIntegrity,
  },
  {
    bug: 'a reach by id that ignores the principal',
    factory: principalBlindRuntime,
    invariant: invariants.principalIsolation,
  },
  {
    bug: 'one lock around the calls of every handle',
    factory: globalLockRuntime,
    invariant: invariants.crossHandleIndependence,
  },
  {
    bug: 'an opening refused by a limit counted as started',
    factory: refusalCountedRuntime,
    invariant: invariants.handleAccounting,
  },
  {
    bug: 'an idle check blind to the calls queued or running',
    factory: busyIdleStopRuntime,
    invariant: invariants.racingStop,
  },
  {
    bug: 'a stopping handle that keeps its calls and starts them as its handler returns',
    factory: pumpAfterStopRuntime,
    invariant: invariants.nothingAfterStop,
  },
  {
    bug: 'a ctx.handle.close() that cuts the calls accepted before it',
    factory: eagerCloseRuntime,
    invariant: invariants.agreesWithHandleModel,
  },
  {
    bug: 'a drain deadline that forgets the handles',
    factory: forgetfulExpireRuntime,
    invariant: invariants.everyCallSettles,
  },
];

describe('mutation check: the handle race properties catch deliberately broken handles', () => {
  for (const { bug, factory, invariant } of mutants) {
    it(
      `${invariant.name} finds ${bug}`,
      async () => {
        const result = await fc.check(handleRaceProperty(factory, [invariant]), {
          numRuns: searchRuns,
          endOnFailure: true,
        });
        expect(result.failed, `fast-check found no counterexample in ${searchRuns} runs`).toBe(true);
        expect(String(result.errorInstance)).toContain(`[${invariant.name}]`);
      },
      timeoutFor(searchRuns),
    );
  }
});
