/**
 * A handler that ends because its request was cancelled has not failed (issue 13, item 2): the
 * client's `notifications/cancelled`, the caller's signal (an HTTP client that went away), `remove`
 * (DELETE) and `close` (shutdown) abort running handlers, which then reject, usually with an
 * AbortError. None of that may reach `handlerError`, or an operator who logs failures is flooded;
 * a real failure must still be reported, exactly once, with its tool and request id.
 */
import { describe, expect, it } from 'vitest';
import type { HandlerContext, RuntimeEvents } from '../../src/index.js';
import { createSessionRuntime, defineTool, ManualClock } from '../../src/index.js';
import { cancelled, flush, openSession, request } from '../helpers.js';

type HandlerErrorEvent = Parameters<RuntimeEvents['handlerError']>[0];

/** The ways an aborted handler commonly ends. */
const endings: Record<string, (signal: AbortSignal) => unknown> = {
  'rejects with the abort reason': (signal) => Promise.reject(signal.reason),
  'rejects with an AbortError': () =>
    Promise.reject(new DOMException('This operation was aborted', 'AbortError')),
  'rejects with its own Error': () => Promise.reject(new Error('stopped early')),
  'rejects with undefined': () => Promise.reject(undefined),
  'throws once aborted': () => {
    throw new Error('aborted');
  },
  'returns something invalid': () => 42,
  'returns normally': () => ({ content: [] }),
};
const endingNames = Object.keys(endings);

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function setup() {
  const clock = new ManualClock();
  let next = 0;
  const run = async (ctx: HandlerContext) => {
    const ending = endings[endingNames[next++ % endingNames.length] as string] as (
      signal: AbortSignal,
    ) => unknown;
    await untilAborted(ctx.signal);
    return ending(ctx.signal);
  };
  const wait = defineTool({ name: 'wait', handler: (_args, ctx) => run(ctx) as never });
  const explode = defineTool({
    name: 'explode',
    handler: () => {
      throw new Error('a real fault');
    },
  });
  const runtime = createSessionRuntime({
    clock,
    maxConcurrentRequests: 8,
    tools: [wait, explode],
    handlers: { 'custom/wait': (_params, ctx) => run(ctx) },
  });
  const failures: HandlerErrorEvent[] = [];
  runtime.events.on('handlerError', (event) => failures.push(event));
  return { clock, runtime, failures };
}

const waitCall = (id: number, custom: boolean) =>
  custom ? request(id, 'custom/wait') : request(id, 'tools/call', { name: 'wait', arguments: {} });

describe('cancelled requests are not handler failures', () => {
  it('raise no handlerError for hundreds of cancellations of every kind, and count them cancelled', async () => {
    const { clock, runtime, failures } = setup();
    let id = 0;
    let expectedCancelled = 0;
    for (let round = 0; round < 10; round++) {
      // notifications/cancelled: running (8 slots) and queued requests alike.
      await openSession(runtime, `n${round}`);
      const byNotification = Array.from({ length: 12 }, () =>
        runtime.dispatch(`n${round}`, waitCall(++id, id % 2 === 0)),
      );
      const first = id - 11;
      for (let requestId = first; requestId <= id; requestId++) {
        await runtime.dispatch(`n${round}`, cancelled(requestId));
      }
      expect(await Promise.all(byNotification)).toEqual(Array.from({ length: 12 }, () => undefined));
      expectedCancelled += 12;

      // The caller's signal (an HTTP client that went away).
      await openSession(runtime, `c${round}`);
      const controller = new AbortController();
      const bySignal = Array.from({ length: 8 }, () =>
        runtime.dispatch(`c${round}`, waitCall(++id, id % 2 === 1), { signal: controller.signal }),
      );
      controller.abort();
      expect(await Promise.all(bySignal)).toEqual(Array.from({ length: 8 }, () => undefined));
      expectedCancelled += 8;

      // remove (DELETE): answered session_closed, and the handlers aborted.
      await openSession(runtime, `r${round}`);
      const byRemove = Array.from({ length: 8 }, () =>
        runtime.dispatch(`r${round}`, waitCall(++id, id % 2 === 0)),
      );
      runtime.remove(`r${round}`);
      for (const answer of await Promise.all(byRemove)) {
        expect(answer).toMatchObject({ error: { data: { reason: 'session_closed' } } });
      }
      await flush();
    }
    expect(failures).toEqual([]);
    expect(runtime.metrics().cancelled).toBe(expectedCancelled);

    // close (shutdown) past its drain.
    await openSession(runtime, 'last');
    const byClose = Array.from({ length: 8 }, () => runtime.dispatch('last', waitCall(++id, id % 2 === 1)));
    const closing = runtime.close({ drainMs: 100 });
    clock.advance(100);
    await closing;
    for (const answer of await Promise.all(byClose)) {
      expect(answer).toMatchObject({ error: { data: { reason: 'shutting_down' } } });
    }
    await flush();
    expect(failures).toEqual([]);
    expect(runtime.metrics().inFlight).toBe(0);
  });

  it('still reports a real failure exactly once, with its tool name and request id, among cancellations', async () => {
    const { clock, runtime, failures } = setup();
    await openSession(runtime, 's');
    const waiting = [runtime.dispatch('s', waitCall(1, false)), runtime.dispatch('s', waitCall(2, true))];
    const failed = await runtime.dispatch(
      's',
      request('boom-3', 'tools/call', { name: 'explode', arguments: {} }),
    );
    await runtime.dispatch('s', cancelled(1));
    await runtime.dispatch('s', cancelled(2));
    await Promise.all(waiting);
    await flush();
    expect(failed).toMatchObject({ result: { isError: true } });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      sessionId: 's',
      requestId: 'boom-3',
      method: 'tools/call',
      target: 'explode',
    });
    expect(failures[0]?.error).toMatchObject({ message: 'a real fault' });
    expect(runtime.metrics()).toMatchObject({ cancelled: 2, failed: 1 });
    await runtime.close({ drainMs: 0 });
    expect(clock.pendingTimers).toBe(0);
  });
});
