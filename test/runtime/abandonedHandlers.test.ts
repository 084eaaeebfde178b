/**
 * No handler can wedge or leak its session under the default options: a handler that never settles
 * and ignores its abort signal gives its concurrency slot back after a cancel (`cancelGraceMs`),
 * after `requestTimeoutMs`, and when its session stops; its late outcome is dropped; the session
 * still idles out; and the counters stay whole (accepted = completed + failed + cancelled).
 */
import { describe, expect, it } from 'vitest';
import type { DispatchResult, SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import { cancelled, deferred, flush, openSession, reasonOfResponse, request } from '../helpers.js';

const MINUTE = 60_000;

/**
 * A runtime on the defaults (but for the clock) whose `stuck` handler never settles unless the test
 * says so, and never looks at its signal; `quick` answers at once.
 */
async function stuckRuntime(options: SessionRuntimeOptions = {}) {
  const clock = new ManualClock();
  const late = deferred<Record<string, unknown>>();
  const stopped: string[] = [];
  const runtime = createSessionRuntime({
    clock,
    ...options,
    handlers: {
      stuck: () => late.promise,
      quick: (params) => ({ n: params.n }),
    },
  });
  runtime.events.on('sessionStopped', ({ reason }) => stopped.push(reason));
  await openSession(runtime, 's');
  return { clock, runtime, late, stopped };
}

function expectWholeCounters(runtime: SessionRuntime): void {
  const { accepted, completed, failed, cancelled: cancelledCount } = runtime.metrics();
  expect(accepted).toBe(completed + failed + cancelledCount);
}

/** Advances the clock and lets the runtime react. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

describe('a cancelled handler that ignores its signal', () => {
  it('keeps its slot for cancelGraceMs (default 5 s), then gives it back and its late result is dropped', async () => {
    const { clock, runtime, late } = await stuckRuntime();
    const stuck = runtime.dispatch('s', request(1, 'stuck'));
    let next: DispatchResult | 'pending' = 'pending';
    void runtime.dispatch('s', request(2, 'quick', { n: 2 })).then((answer) => {
      next = answer;
    });
    await runtime.dispatch('s', cancelled(1));
    expect(await stuck).toBeUndefined();

    await advance(clock, 4_999);
    expect(next).toBe('pending');
    expect(runtime.info('s')).toMatchObject({ inFlight: 1, queued: 1 });

    await advance(clock, 1);
    expect(next).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
    expect(runtime.info('s')).toMatchObject({ inFlight: 0, queued: 0 });

    late.resolve({ late: true });
    await flush();
    expect(runtime.metrics()).toMatchObject({
      accepted: 2,
      completed: 1,
      failed: 0,
      cancelled: 1,
      inFlight: 0,
    });
    expectWholeCounters(runtime);
  });

  it('gives the slot back the same way when cancelled through the dispatch signal', async () => {
    const { clock, runtime } = await stuckRuntime();
    const controller = new AbortController();
    const stuck = runtime.dispatch('s', request(1, 'stuck'), { signal: controller.signal });
    const next = runtime.dispatch('s', request(2, 'quick', { n: 2 }));
    controller.abort();
    expect(await stuck).toBeUndefined();
    await advance(clock, 5_000);
    expect(await next).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
    expectWholeCounters(runtime);
  });

  it('gives the slot back at once when its handler returns within the grace, leaving no timer', async () => {
    const { clock, runtime, late } = await stuckRuntime({ requestTimeoutMs: Number.POSITIVE_INFINITY });
    void runtime.dispatch('s', request(1, 'stuck'));
    const next = runtime.dispatch('s', request(2, 'quick', { n: 2 }));
    await runtime.dispatch('s', cancelled(1));
    const idleTimer = 1;
    expect(clock.pendingTimers).toBe(idleTimer + 1);
    late.resolve({ late: true });
    expect(await next).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
    expect(clock.pendingTimers).toBe(idleTimer);
    expect(runtime.metrics()).toMatchObject({ completed: 1, cancelled: 1, inFlight: 0 });
  });

  it('lets its session idle out once the grace has passed', async () => {
    const { clock, runtime, stopped } = await stuckRuntime();
    void runtime.dispatch('s', request(1, 'stuck'));
    await runtime.dispatch('s', cancelled(1));
    await advance(clock, 5_000 + 30 * MINUTE - 1);
    expect(runtime.has('s')).toBe(true);
    await advance(clock, 1);
    expect(runtime.has('s')).toBe(false);
    expect(stopped).toEqual(['idle']);
    expectWholeCounters(runtime);
  });

  it('gives the slot back at the cancel with cancelGraceMs: 0', async () => {
    const { runtime } = await stuckRuntime({ cancelGraceMs: 0 });
    void runtime.dispatch('s', request(1, 'stuck'));
    const next = runtime.dispatch('s', request(2, 'quick', { n: 2 }));
    await runtime.dispatch('s', cancelled(1));
    expect(await next).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
  });

  it('with cancelGraceMs: Infinity keeps the slot until requestTimeoutMs, counted from the start', async () => {
    const { clock, runtime } = await stuckRuntime({
      cancelGraceMs: Number.POSITIVE_INFINITY,
      requestTimeoutMs: 10_000,
    });
    void runtime.dispatch('s', request(1, 'stuck'));
    await advance(clock, 4_000);
    const next = runtime.dispatch('s', request(2, 'quick', { n: 2 }));
    await runtime.dispatch('s', cancelled(1));
    await advance(clock, 5_999);
    expect(runtime.info('s')).toMatchObject({ inFlight: 1, queued: 1 });
    await advance(clock, 1);
    // The cancelled request is not answered again at its timeout: the client gave it up.
    expect(await next).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
    expect(runtime.metrics()).toMatchObject({ accepted: 2, completed: 1, failed: 0, cancelled: 1 });
  });
});

describe('a handler that never settles and is never cancelled', () => {
  it('is answered request_timeout after the default 5 minutes, and the next request runs', async () => {
    const { clock, runtime, late } = await stuckRuntime();
    const stuck = runtime.dispatch('s', request(1, 'stuck'));
    const next = runtime.dispatch('s', request(2, 'quick', { n: 2 }));
    await advance(clock, 5 * MINUTE - 1);
    expect(runtime.info('s')).toMatchObject({ inFlight: 1, queued: 1 });
    await advance(clock, 1);
    expect(reasonOfResponse(await stuck)).toBe('request_timeout');
    expect(await next).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
    late.resolve({ late: true });
    await flush();
    expect(runtime.metrics()).toMatchObject({
      accepted: 2,
      completed: 1,
      failed: 1,
      cancelled: 0,
      inFlight: 0,
    });
  });

  it('times out each of several running handlers at its own deadline', async () => {
    const { clock, runtime } = await stuckRuntime({ maxConcurrentRequests: 3, requestTimeoutMs: 1_000 });
    const answers = new Map<number, unknown>();
    const send = (id: number) =>
      void runtime
        .dispatch('s', request(id, 'stuck'))
        .then((answer) => answers.set(id, reasonOfResponse(answer)));
    send(1);
    await advance(clock, 300);
    send(2);
    await advance(clock, 400);
    send(3);
    // Deadlines 1,000, 1,300 and 1,700.
    await advance(clock, 299);
    expect([...answers.keys()]).toEqual([]);
    await advance(clock, 1);
    expect([...answers.keys()]).toEqual([1]);
    await advance(clock, 299);
    expect([...answers.keys()]).toEqual([1]);
    await advance(clock, 1);
    expect([...answers.keys()]).toEqual([1, 2]);
    await advance(clock, 400);
    expect([...answers.entries()]).toEqual([
      [1, 'request_timeout'],
      [2, 'request_timeout'],
      [3, 'request_timeout'],
    ]);
    expect(runtime.info('s')?.inFlight).toBe(0);
  });

  it('lets its session idle out after the timeout', async () => {
    const { clock, runtime, stopped } = await stuckRuntime();
    void runtime.dispatch('s', request(1, 'stuck'));
    await advance(clock, 5 * MINUTE + 30 * MINUTE);
    expect(runtime.has('s')).toBe(false);
    expect(stopped).toEqual(['idle']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps running with requestTimeoutMs: Infinity (the old behaviour, now opted into)', async () => {
    const { clock, runtime } = await stuckRuntime({ requestTimeoutMs: Number.POSITIVE_INFINITY });
    void runtime.dispatch('s', request(1, 'stuck'));
    await advance(clock, 24 * 60 * MINUTE);
    expect(runtime.info('s')).toMatchObject({ inFlight: 1 });
  });
});

describe('a session stopped while its handler ignores the abort', () => {
  it('remove() gives the slot back at once: inFlight falls, the late result is dropped, no timer is left', async () => {
    const { clock, runtime, late } = await stuckRuntime();
    const stuck = runtime.dispatch('s', request(1, 'stuck'));
    expect(runtime.metrics().inFlight).toBe(1);
    expect(runtime.remove('s')).toBe(true);
    expect(reasonOfResponse(await stuck)).toBe('session_closed');
    expect(runtime.metrics()).toMatchObject({ inFlight: 0, failed: 1 });
    expect(clock.pendingTimers).toBe(0);
    late.resolve({ late: true });
    await flush();
    expect(runtime.metrics()).toMatchObject({ inFlight: 0, completed: 0, failed: 1 });
    expectWholeCounters(runtime);
  });

  it('close() resolves at its drain deadline, with a cancelled handler in its grace too', async () => {
    const { clock, runtime } = await stuckRuntime({ maxConcurrentRequests: 2 });
    const stuck = runtime.dispatch('s', request(1, 'stuck'));
    void runtime.dispatch('s', request(2, 'stuck'));
    await runtime.dispatch('s', cancelled(2));
    let closed = false;
    void runtime.close({ drainMs: 1_000 }).then(() => {
      closed = true;
    });
    await advance(clock, 999);
    expect(closed).toBe(false);
    await advance(clock, 1);
    expect(closed).toBe(true);
    expect(reasonOfResponse(await stuck)).toBe('shutting_down');
    expect(runtime.metrics()).toMatchObject({ inFlight: 0, failed: 1, cancelled: 1 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a close() whose drain outlasts the grace ends when the grace gives the last slot back', async () => {
    const { clock, runtime } = await stuckRuntime();
    void runtime.dispatch('s', request(1, 'stuck'));
    await runtime.dispatch('s', cancelled(1));
    let closed = false;
    void runtime.close({ drainMs: 60_000 }).then(() => {
      closed = true;
    });
    await advance(clock, 5_000);
    expect(closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('request ids in use', () => {
  it.each([
    ['ping', undefined],
    ['logging/setLevel', { level: 'info' }],
    ['quick', { n: 1 }],
    ['initialize', undefined],
  ])(
    'answers %s with the id of an in-flight request as a duplicate, as any request',
    async (method, params) => {
      const { runtime } = await stuckRuntime();
      void runtime.dispatch('s', request(7, 'stuck'));
      void runtime.dispatch('s', request('queued', 'quick', { n: 0 }));
      for (const id of [7, 'queued']) {
        expect(await runtime.dispatch('s', request(id, method, params))).toEqual({
          jsonrpc: '2.0',
          id,
          error: expect.objectContaining({ code: -32600, message: 'Request id already in use' }),
        });
      }
      expect(runtime.metrics().rejected.invalid_request).toBe(2);
    },
  );

  it('answers a ping whose id is free, and one whose request was answered', async () => {
    const { runtime } = await stuckRuntime();
    expect(await runtime.dispatch('s', request(1, 'quick', { n: 1 }))).toMatchObject({ result: { n: 1 } });
    expect(await runtime.dispatch('s', request(1, 'ping'))).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect(await runtime.dispatch('s', request(2, 'ping'))).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
  });
});

describe('options', () => {
  it.each([
    [{ cancelGraceMs: -1 }, /cancelGraceMs/],
    [{ cancelGraceMs: Number.NaN }, /cancelGraceMs/],
    [{ requestTimeoutMs: 0 }, /requestTimeoutMs/],
    [{ requestTimeoutMs: -5 }, /requestTimeoutMs/],
  ])('rejects %o', (options, message) => {
    expect(() => createSessionRuntime(options)).toThrow(message);
  });

  it('accepts Infinity for both, and 0 for cancelGraceMs', () => {
    expect(() =>
      createSessionRuntime({
        cancelGraceMs: Number.POSITIVE_INFINITY,
        requestTimeoutMs: Number.POSITIVE_INFINITY,
      }),
    ).not.toThrow();
    expect(() => createSessionRuntime({ cancelGraceMs: 0 })).not.toThrow();
  });
});

describe('a draining session', () => {
  it('still times out its running requests after its idle deadline has passed', async () => {
    const { clock, runtime } = await stuckRuntime({ requestTimeoutMs: 1_500, idleTimeoutMs: 1_000 });
    const stuck = runtime.dispatch('s', request(1, 'stuck'));
    const queued = runtime.dispatch('s', request(2, 'quick', { n: 2 }));
    void runtime.close({ drainMs: 10_000 });
    await advance(clock, 1_499);
    expect(runtime.info('s')).toMatchObject({ state: 'stopping', inFlight: 1, queued: 1 });
    await advance(clock, 1);
    expect(reasonOfResponse(await stuck)).toBe('request_timeout');
    expect(await queued).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 2 } });
    expect(runtime.size).toBe(0);
  });
});
