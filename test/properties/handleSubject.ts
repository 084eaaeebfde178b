/**
 * What the state-handle race properties drive: a `SessionRuntime` built from the options the harness
 * gives (its `counter` handle kind and tools, a `ManualClock`), so that the same properties run
 * against the real runtime and against the deliberately broken ones in
 * `test/fixtures/handleMutants.ts`.
 */
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';

export type HandleRuntimeFactory = (options: SessionRuntimeOptions<unknown>) => SessionRuntime;

/** The runtime under test: `createSessionRuntime` from the public door. */
export const realHandleRuntime: HandleRuntimeFactory = (options) => createSessionRuntime(options);
