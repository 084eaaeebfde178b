/**
 * The race properties of `races.test.ts` again, on a runtime whose quiet sessions rest (put their
 * actors away) after 100 ms, a tenth of the scenarios' idle timeout: so that rests and revivals
 * interleave with every command, handler step, delivery, idle stop, remove and close that
 * fast-check draws. Resting must be invisible: the same model, the same invariants.
 */
import { createSessionRuntime } from '../../src/index.js';
import { describeRaceProperties } from './raceSuite.js';
import type { RuntimeFactory } from './subject.js';

const restingRuntime: RuntimeFactory = ({ scheduler: _scheduler, ...options }) =>
  createSessionRuntime({ ...options, restAfterMs: 100 });

describeRaceProperties(
  'session runtime under racing clients, with sessions resting after 100 ms',
  restingRuntime,
);
