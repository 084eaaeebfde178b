/**
 * Overload at the runtime level (issue 8): `maxSessions`, `maxSessionsPerPrincipal`,
 * `mailboxCapacity` and `maxConcurrentRequests` reached by a burst. The excess gets the typed errors
 * (with `retryAfterSeconds` and the limit), everything accepted completes, and the runtime serves
 * again as soon as load drops. Then graceful shutdown: `close({ drainMs })` refuses new work at once,
 * lets in-flight work finish within the drain, and cancels the rest at the deadline.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvents } from '../../src/index.js';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import { deferred, flush, initializeRequest, openSession, reasonOfResponse, request } from '../helpers.js';
import { expectClosedClean, isSettled, sleepOn } from './support.js';

type OverloadEvent = Parameters<RuntimeEvents['overload']>[0];

describe('maxSessions under a burst of initialize requests', () => {
  it('admits exactly maxSessions, refuses the rest overloaded, and admits again when sessions stop', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({
      clock,
      maxSessions: 5,
      retryAfterSeconds: 3,
      idleTimeoutMs: 1_000,
      handlers: { ok: () => ({ ok: true }) },
    });
    const overloads: OverloadEvent[] = [];
    runtime.events.on('overload', (event) => overloads.push(event));
    const ids = Array.from({ length: 12 }, (_, index) => `s${index}`);
    const answers = await Promise.all(ids.map((id) => runtime.dispatch(id, initializeRequest())));

    const admitted = ids.filter((_, index) => reasonOfResponse(answers[index]) === undefined);
    expect(admitted).toEqual(['s0', 's1', 's2', 's3', 's4']);
    for (const answer of answers.slice(5)) {
      expect(answer).toEqual({
        jsonrpc: '2.0',
        id: 0,
        error: {
          code: -32011,
          message: 'Server overloaded',
          data: { reason: 'overloaded', retryAfterSeconds: 3, limit: 5 },
        },
      });
    }
    expect(overloads).toHaveLength(7);
    expect(overloads.every((event) => event.reason === 'overloaded' && event.limit === 5)).toBe(true);
    expect(runtime.metrics().rejected.overloaded).toBe(7);
    expect(runtime.size).toBe(5);

    // The admitted sessions work normally at the limit.
    for (const id of admitted) {
      expect(await runtime.dispatch(id, request(1, 'ok'))).toMatchObject({ result: { ok: true } });
    }
    // Load drops: two removed, then the rest idle out; new sessions are admitted each time.
    runtime.remove('s0');
    runtime.remove('s1');
    expect(reasonOfResponse(await runtime.dispatch('late1', initializeRequest()))).toBeUndefined();
    expect(reasonOfResponse(await runtime.dispatch('late2', initializeRequest()))).toBeUndefined();
    expect(reasonOfResponse(await runtime.dispatch('late3', initializeRequest()))).toBe('overloaded');
    clock.advance(1_000);
    expect(runtime.size).toBe(0);
    const refill = await Promise.all(
      Array.from({ length: 5 }, (_, index) => runtime.dispatch(`again${index}`, initializeRequest())),
    );
    expect(refill.map(reasonOfResponse)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    await expectClosedClean(runtime, clock);
  });

  it('applies maxSessionsPerPrincipal per principal, answering too_many_sessions', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, maxSessionsPerPrincipal: 2 });
    const alice = { principal: { id: 'alice' } };
    const bob = { principal: { id: 'bob' } };
    const answers = await Promise.all([
      ...[1, 2, 3, 4].map((n) => runtime.dispatch(`alice${n}`, initializeRequest(), alice)),
      runtime.dispatch('bob1', initializeRequest(), bob),
    ]);
    expect(answers.map(reasonOfResponse)).toEqual([
      undefined,
      undefined,
      'too_many_sessions',
      'too_many_sessions',
      undefined,
    ]);
    expect(answers[2]).toMatchObject({ error: { code: -32019, data: { retryAfterSeconds: 1 } } });
    runtime.remove('alice1');
    expect(reasonOfResponse(await runtime.dispatch('alice5', initializeRequest(), alice))).toBeUndefined();
    await expectClosedClean(runtime, clock);
  });
});

describe('mailboxCapacity and maxConcurrentRequests under a burst of requests', () => {
  it('runs maxConcurrentRequests, queues mailboxCapacity, refuses the rest mailbox_full; all accepted complete in order', async () => {
    const clock = new ManualClock();
    const gates = new Map<number, ReturnType<typeof deferred>>();
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const counted = (sessionId: string) => sessionId === 's';
    const runtime = createSessionRuntime({
      clock,
      maxConcurrentRequests: 2,
      mailboxCapacity: 3,
      retryAfterSeconds: 2,
      handlers: {
        work: async (params, ctx) => {
          const n = params.n as number;
          started.push(n);
          if (counted(ctx.sessionId)) running++;
          peak = Math.max(peak, running);
          const gate = deferred();
          gates.set(n, gate);
          await gate.promise;
          if (counted(ctx.sessionId)) running--;
          return { n };
        },
      },
    });
    await openSession(runtime, 's');
    await openSession(runtime, 'neighbour');
    const overloads: OverloadEvent[] = [];
    runtime.events.on('overload', (event) => overloads.push(event));

    const burst = Array.from({ length: 12 }, (_, n) => runtime.dispatch('s', request(n, 'work', { n })));
    const refused = burst.slice(5);
    for (const [index, answer] of (await Promise.all(refused)).entries()) {
      expect(answer).toEqual({
        jsonrpc: '2.0',
        id: index + 5,
        error: {
          code: -32012,
          message: 'Too many requests for this session',
          data: { reason: 'mailbox_full', limit: 3, retryAfterSeconds: 2 },
        },
      });
    }
    expect(overloads).toHaveLength(7);
    expect(overloads.every((event) => event.reason === 'mailbox_full' && event.sessionId === 's')).toBe(true);
    expect(runtime.info('s')).toMatchObject({ inFlight: 2, queued: 3 });

    // A full mailbox is this session's alone: its neighbour is served at once.
    const neighbour = runtime.dispatch('neighbour', request(1, 'work', { n: 100 }));
    await flush();
    gates.get(100)?.resolve(undefined);
    expect(await neighbour).toMatchObject({ result: { n: 100 } });

    // Load drops: release handlers one by one; every accepted request completes, in FIFO order.
    for (let n = 0; n < 5; n++) {
      await flush();
      gates.get(n)?.resolve(undefined);
      expect(await burst[n]).toEqual({ jsonrpc: '2.0', id: n, result: { n } });
    }
    expect(started).toEqual([0, 1, 100, 2, 3, 4]);
    expect(peak).toBe(2);
    const metrics = runtime.metrics();
    expect(metrics).toMatchObject({ accepted: 6, completed: 6, failed: 0, queued: 0, inFlight: 0 });
    expect(metrics.rejected.mailbox_full).toBe(7);

    // Recovered: a second burst within the limits is served in full.
    const again = Array.from({ length: 5 }, (_, n) =>
      runtime.dispatch('s', request(`again${n}`, 'work', { n: 200 + n })),
    );
    for (let n = 0; n < 5; n++) {
      await flush();
      gates.get(200 + n)?.resolve(undefined);
    }
    expect((await Promise.all(again)).map(reasonOfResponse)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    await expectClosedClean(runtime, clock);
  });

  it('never runs more than maxConcurrentRequests handlers of one session, whatever the burst', async () => {
    const clock = new ManualClock();
    let running = 0;
    let peak = 0;
    const runtime = createSessionRuntime({
      clock,
      maxConcurrentRequests: 3,
      mailboxCapacity: 1_000,
      handlers: {
        work: async (_, ctx) => {
          running++;
          peak = Math.max(peak, running);
          await sleepOn(clock, 10, ctx.signal);
          running--;
          return {};
        },
      },
    });
    await openSession(runtime, 's');
    const burst = Array.from({ length: 300 }, (_, n) => runtime.dispatch('s', request(n, 'work')));
    for (let step = 0; step < 100; step++) {
      await flush();
      clock.advance(10);
    }
    expect((await Promise.all(burst)).every((answer) => answer !== undefined && 'result' in answer)).toBe(
      true,
    );
    expect(peak).toBe(3);
    expect(runtime.metrics()).toMatchObject({ accepted: 300, completed: 300, inFlight: 0, queued: 0 });
    await expectClosedClean(runtime, clock);
  });
});

describe('graceful shutdown under load', () => {
  it('close({ drainMs }) refuses new work, lets in-flight finish within the drain and cancels the rest', async () => {
    const clock = new ManualClock();
    const outcomes: string[] = [];
    const runtime = createSessionRuntime({
      clock,
      handlers: {
        // Works for `ms` on the injected clock, or until cancelled.
        work: async (params, ctx) => {
          const ended = await sleepOn(clock, params.ms as number, ctx.signal);
          outcomes.push(`${params.name}: ${ended}`);
          return { name: params.name };
        },
      },
    });
    await openSession(runtime, 'fast');
    await openSession(runtime, 'slow');
    const fast = runtime.dispatch('fast', request(1, 'work', { name: 'fast', ms: 300 }));
    const behindFast = runtime.dispatch('fast', request(2, 'work', { name: 'behind fast', ms: 300 }));
    const slow = runtime.dispatch('slow', request(1, 'work', { name: 'slow', ms: 5_000 }));
    const behindSlow = runtime.dispatch('slow', request(2, 'work', { name: 'behind slow', ms: 10 }));

    const closing = runtime.close({ drainMs: 1_000 });
    const refusal = { error: { data: { reason: 'shutting_down', retryAfterSeconds: 1 } } };
    expect(await runtime.dispatch('fast', request(3, 'work', { name: 'late', ms: 1 }))).toMatchObject(
      refusal,
    );
    expect(await runtime.dispatch('newcomer', initializeRequest())).toMatchObject(refusal);

    clock.advance(300);
    expect(await fast).toMatchObject({ result: { name: 'fast' } });
    clock.advance(300);
    // Queued work still runs during the drain, and the session stops once it is done.
    expect(await behindFast).toMatchObject({ result: { name: 'behind fast' } });
    expect(runtime.has('fast')).toBe(false);
    expect(runtime.has('slow')).toBe(true);

    clock.advance(399);
    expect(await isSettled(closing)).toBe(false);
    clock.advance(1);
    expect(reasonOfResponse(await slow)).toBe('shutting_down');
    expect(reasonOfResponse(await behindSlow)).toBe('shutting_down');
    await closing;
    expect(outcomes).toEqual(['fast: slept', 'behind fast: slept', 'slow: aborted']);
    expect(clock.pendingTimers).toBe(0);
    expect(runtime.size).toBe(0);
    expect(runtime.metrics()).toMatchObject({ accepted: 4, completed: 2, failed: 2, inFlight: 0, queued: 0 });
    expect(runtime.metrics().sessionsStopped.closed).toBe(2);
  });
});
