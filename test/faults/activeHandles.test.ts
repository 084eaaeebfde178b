/**
 * Nothing keeps the process alive after `close()` (issue 8), on the real clock: idle timers, request
 * timeouts, timeouts of requests to the client, handlers cut off by the drain. The runtime's timers go
 * through a clock that wraps real Node timers and counts the live ones; with `ref: true` they are
 * ordinary (ref'd) timers, so a leaked one would also show in `process.getActiveResourcesInfo()`,
 * which the test compares before and after (vitest's own handles are in both and cancel out).
 */
import { describe, expect, it } from 'vitest';
import type { Clock, JsonRpcRequest, TimerHandle } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
import { flush, initializedNotification, reasonOfResponse, request } from '../helpers.js';

/** The system clock with a count of the timers it has armed and not yet fired or cleared. */
class CountingRealClock implements Clock {
  readonly live = new Set<ReturnType<typeof setTimeout>>();
  constructor(private readonly ref: boolean) {}

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = setTimeout(() => {
      this.live.delete(timer);
      callback();
    }, delayMs);
    if (!this.ref) timer.unref();
    this.live.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
    this.live.delete(handle as ReturnType<typeof setTimeout>);
  }
}

function countByType(resources: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of resources) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Resource types of which there are more now than in `before`, with how many more. */
function extraResources(before: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(countByType(process.getActiveResourcesInfo()))) {
    if (count > (before[type] ?? 0)) extra[type] = count - (before[type] ?? 0);
  }
  return extra;
}

const initializeWithRoots = (id: number) => ({
  jsonrpc: '2.0' as const,
  id,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: { roots: {} },
    clientInfo: { name: 'handles', version: '1' },
  },
});

describe.each([
  ['ref’d real timers', true],
  ['unref’d real timers (as systemClock)', false],
])('close() on the real clock with %s', (_, ref) => {
  it('leaves no timer armed and no active handle behind', async () => {
    const before = countByType(process.getActiveResourcesInfo());
    const clock = new CountingRealClock(ref);
    const runtime = createSessionRuntime({
      clock,
      idleTimeoutMs: 60_000,
      requestTimeoutMs: 30_000,
      clientRequestTimeoutMs: 30_000,
      handlers: {
        quick: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return { quick: true };
        },
        hang: () => new Promise(() => {}),
        ask: (_, ctx) => ctx.request('roots/list'),
      },
    });
    const sessions = ['a', 'b', 'c', 'd'];
    for (const [index, sessionId] of sessions.entries()) {
      expect(await runtime.dispatch(sessionId, initializeWithRoots(index))).toMatchObject({ result: {} });
      await runtime.dispatch(sessionId, initializedNotification);
    }
    expect(await runtime.dispatch('a', request(1, 'quick'))).toMatchObject({ result: { quick: true } });
    const hung = runtime.dispatch('b', request(1, 'hang'));
    const queuedBehind = runtime.dispatch('b', request(2, 'quick'));
    const sentToClient: JsonRpcRequest[] = [];
    const asking = runtime.dispatch('c', request(1, 'ask'), { onRequest: (out) => sentToClient.push(out) });
    const controller = new AbortController();
    const withSignal = runtime.dispatch('d', request(1, 'hang'), { signal: controller.signal });
    await flush();
    expect(sentToClient.map((out) => out.method)).toEqual(['roots/list']);
    // One timer per session (its idle timer also watches the deadlines of its running requests),
    // and one client-request timeout.
    expect(clock.live.size).toBe(5);
    // Real Node timers, ref'd or not as asked: a leaked ref'd one would keep the process alive. (Not
    // read off the process-wide list, where the test runner's own short-lived timers come and go.)
    for (const timer of clock.live) expect(timer.hasRef()).toBe(ref);

    await runtime.close({ drainMs: 5 });

    expect((await Promise.all([hung, queuedBehind, asking, withSignal])).map(reasonOfResponse)).toEqual([
      'shutting_down',
      'shutting_down',
      'shutting_down',
      'shutting_down',
    ]);
    await flush();
    expect(clock.live.size).toBe(0);
    expect(runtime.size).toBe(0);
    // The process-wide list also holds the test runner's own short-lived resources (its reporter's
    // writes, its RPC timers), which come and go on a loaded machine: a leak is what is still there
    // after they had time to finish. The runtime's own count (`clock.live`) is exact, above.
    let extra = extraResources(before);
    for (let attempt = 0; attempt < 50 && Object.keys(extra).length > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      extra = extraResources(before);
    }
    expect(extra).toEqual({});
  });
});
