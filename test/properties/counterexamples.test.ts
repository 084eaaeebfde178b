/**
 * Runtime bugs the race work turned up, each kept as the smallest example that failed before its fix
 * (regression tests; not properties, so a fix can be checked in one glance).
 */
import { describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../src/index.js';
import { createSessionRuntime, ManualClock, reasonOf } from '../../src/index.js';
import { initializeMessage } from './harness.js';

const work = (id: number, tag: string) => ({ jsonrpc: '2.0' as const, id, method: 'work', params: { tag } });

describe('counterexamples found by the race properties', () => {
  /**
   * Invariant 6, "no handler starts after its session was removed". `remove()` stops the session in
   * its machine's final-state entry action (`releaseAll`), which aborts running handlers. An
   * AbortSignal runs its listeners synchronously, and during that entry action the actor's snapshot
   * still reads the previous state (`ready`), so a listener's dispatch to the same session was
   * accepted, and with a free slot its handler started, inside `remove()`, before `sessionStopped`.
   * Fixed by aborting only after the session has stopped and left the directory.
   */
  it('remove() starts no handler when an abort listener dispatches to the session being removed', async () => {
    const started: string[] = [];
    let late: Promise<DispatchResult> | undefined;
    const runtime = createSessionRuntime({
      clock: new ManualClock(),
      maxConcurrentRequests: 2,
      handlers: {
        work: (params, context) => {
          started.push(params.tag as string);
          if (params.tag === 'first') {
            context.signal.addEventListener('abort', () => {
              late = runtime.dispatch('s', work(2, 'late'));
            });
          }
          return new Promise(() => {});
        },
      },
    });
    await runtime.dispatch('s', initializeMessage(0));
    await runtime.dispatch('s', { jsonrpc: '2.0', method: 'notifications/initialized' });
    void runtime.dispatch('s', work(1, 'first'));

    expect(runtime.remove('s')).toBe(true);

    await new Promise((resolve) => setImmediate(resolve));
    expect(late).toBeDefined();
    expect(started).toEqual(['first']);
    const answer = await late;
    expect(answer !== undefined && 'error' in answer ? reasonOf(answer.error) : answer).toMatch(
      /^(session_not_found|session_closed)$/,
    );
  });
});
