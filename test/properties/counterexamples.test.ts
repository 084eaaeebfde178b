/**
 * Runtime bugs the race work turned up, each kept as the smallest example that failed before its fix
 * (regression tests; not properties, so a fix can be checked in one glance).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DispatchResult } from '../../src/index.js';
import { createSessionRuntime, defineHandle, defineTool, ManualClock, reasonOf } from '../../src/index.js';
import { modernCall } from './handleHarness.js';
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

const structuredOf = (answer: DispatchResult) =>
  (answer as { result?: { structuredContent?: Record<string, unknown>; isError?: boolean } }).result;

describe('counterexamples found by the handle race properties', () => {
  /**
   * Invariant "nothing starts at the drain deadline" (the model: when the drain of `close()` ends,
   * every handle stops with its queued calls answered `shutting_down`). The deadline ended the
   * sessionless requests before the handles; ending one aborts its handler at once, which cancels
   * its call on a handle, and with `cancelGraceMs: 0` the handle gave its slot to the next queued
   * call, whose handler started (side effects and all) a moment before the handle stopped and its
   * answer was dropped. Fixed by ending the handles first.
   */
  it('the drain deadline starts no call queued on a handle behind a sessionless caller', async () => {
    const clock = new ManualClock();
    const started: string[] = [];
    const cart = defineHandle({ name: 'cart' });
    const runtime = createSessionRuntime({
      clock,
      cancelGraceMs: 0,
      tools: [
        defineTool({ name: 'cart_open', opens: cart, handler: () => 'opened' }),
        defineTool({
          name: 'cart_add',
          handle: cart,
          inputSchema: { cartId: cart.idSchema, item: z.string() },
          handler: ({ item }) => {
            started.push(item);
            return new Promise<never>(() => {});
          },
        }),
      ],
    });
    const cartId = structuredOf(await runtime.serve(...modernCall(1, 'cart_open', {})))?.structuredContent
      ?.cartId;
    const first = runtime.serve(...modernCall(2, 'cart_add', { cartId, item: 'first' }));
    const queued = runtime.serve(...modernCall(3, 'cart_add', { cartId, item: 'queued' }));
    const closed = runtime.close({ drainMs: 100 });
    clock.advance(100);
    await closed;

    expect(started).toEqual(['first']);
    for (const answer of await Promise.all([first, queued])) {
      expect(answer !== undefined && 'error' in answer ? reasonOf(answer.error) : answer).toBe(
        'shutting_down',
      );
    }
  });

  /**
   * Invariant "the model": `maxPerPrincipal` is documented as "Unauthenticated callers share one
   * count", but the directory counted only authenticated owners, so unauthenticated callers could
   * open handles up to `maxHandles`. Fixed by a directory policy that counts them as one principal.
   */
  it('maxPerPrincipal counts unauthenticated callers together', async () => {
    const cart = defineHandle({ name: 'cart', maxPerPrincipal: 1 });
    const runtime = createSessionRuntime({
      tools: [defineTool({ name: 'cart_open', opens: cart, handler: () => 'opened' })],
    });
    const first = structuredOf(await runtime.serve(...modernCall(1, 'cart_open', {})));
    const second = structuredOf(await runtime.serve(...modernCall(2, 'cart_open', {})));

    expect(first?.isError).toBeUndefined();
    expect(second?.isError).toBe(true);
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 1, refused: 1 });
  });
});
