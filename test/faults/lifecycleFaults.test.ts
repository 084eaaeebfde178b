/**
 * Lifecycle calls at awkward moments (issue 8): `remove` during initialize and from inside a handler
 * of the same session, `close()` while requests are queued, twice, and `dispatch` after it. For each,
 * the documented outcome, every promise settled, and no timer or session left behind.
 */
import { describe, expect, it } from 'vitest';
import type { DispatchResult, HandlerContext } from '../../src/index.js';
import { createSessionRuntime, ManualClock, SessionRuntimeError } from '../../src/index.js';
import {
  cancelled,
  deferred,
  flush,
  initializedNotification,
  initializeRequest,
  openSession,
  reasonOfResponse,
  request,
} from '../helpers.js';
import { expectClosedClean, isSettled } from './support.js';

const shuttingDown = (id: number | string | null) => ({
  jsonrpc: '2.0',
  id,
  error: {
    code: -32013,
    message: 'Server shutting down',
    data: { reason: 'shutting_down', retryAfterSeconds: 1 },
  },
});

describe('remove during initialize', () => {
  it('between the initialize answer and notifications/initialized: the id is then unknown', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, handlers: { ok: () => ({}) } });
    expect(await runtime.dispatch('s', initializeRequest())).toMatchObject({ result: {} });
    expect(runtime.remove('s')).toBe(true);
    expect(reasonOfResponse(await runtime.dispatch('s', initializedNotification))).toBe('session_not_found');
    expect(reasonOfResponse(await runtime.dispatch('s', request(1, 'ok')))).toBe('session_not_found');
    expect(runtime.metrics().sessionsStopped.removed).toBe(1);
    await expectClosedClean(runtime, clock);
  });

  it('in the same tick as the initialize dispatch: the handshake is answered, then the session is gone', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock });
    const answer = runtime.dispatch('s', initializeRequest());
    expect(runtime.remove('s')).toBe(true);
    expect(await answer).toMatchObject({ id: 0, result: { protocolVersion: '2025-11-25' } });
    expect(runtime.has('s')).toBe(false);
    await expectClosedClean(runtime, clock);
  });

  // Today the initialize that created the session finds it stopped and answers
  // `already_initialized`, which the README reserves for "a second initialize on a live session".
  it('from a sessionStarted listener: the initialize is answered session_closed, nothing is left', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock });
    runtime.events.on('sessionStarted', ({ sessionId }) => runtime.remove(sessionId));
    const answer = await runtime.dispatch('s', initializeRequest());
    expect(runtime.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(runtime.metrics().sessionsStopped.removed).toBe(1);
    expect(reasonOfResponse(answer)).toBe('session_closed');
    await expectClosedClean(runtime, clock);
  });
});

describe('remove from inside a handler of the same session', () => {
  it('answers the handler’s own request and the queued ones session_closed, and aborts its signal', async () => {
    const clock = new ManualClock();
    let seen: HandlerContext | undefined;
    let returned = false;
    const runtime = createSessionRuntime({
      clock,
      requestTimeoutMs: 10_000,
      handlers: {
        suicide: (_, ctx) => {
          seen = ctx;
          runtime.remove(ctx.sessionId);
          returned = true;
          return { ignored: true };
        },
        ok: () => ({ ok: true }),
      },
    });
    await openSession(runtime, 's');
    // One request ahead of it, so that the handler under test starts from `pump()` (inside the first
    // one's completion) with others queued behind it.
    const first = runtime.dispatch('s', request(1, 'ok'));
    const own = runtime.dispatch('s', request(2, 'suicide'));
    const queued = [runtime.dispatch('s', request(3, 'ok')), runtime.dispatch('s', request(4, 'ok'))];
    expect(await first).toMatchObject({ result: { ok: true } });
    expect(reasonOfResponse(await own)).toBe('session_closed');
    expect((await Promise.all(queued)).map(reasonOfResponse)).toEqual(['session_closed', 'session_closed']);
    expect(returned).toBe(true);
    await flush();
    const signal = (seen as HandlerContext).signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(SessionRuntimeError);
    expect((signal.reason as SessionRuntimeError).code).toBe('session_closed');
    expect(runtime.has('s')).toBe(false);
    expect(runtime.metrics()).toMatchObject({ accepted: 4, completed: 1, failed: 3, inFlight: 0, queued: 0 });
    expect(clock.pendingTimers).toBe(0);
    await expectClosedClean(runtime, clock);
  });

  it('after an await: the late return is ignored and nothing runs on the removed session', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const ran: string[] = [];
    const runtime = createSessionRuntime({
      clock,
      handlers: {
        suicide: async (_, ctx) => {
          await gate.promise;
          runtime.remove(ctx.sessionId);
          ctx.log('info', 'after remove');
          return { late: true };
        },
        ok: () => {
          ran.push('ok');
          return {};
        },
      },
    });
    await openSession(runtime, 's');
    const notifications: unknown[] = [];
    const own = runtime.dispatch('s', request(1, 'suicide'), {
      onNotification: (n) => notifications.push(n),
    });
    const queued = runtime.dispatch('s', request(2, 'ok'));
    gate.resolve(undefined);
    expect(reasonOfResponse(await own)).toBe('session_closed');
    expect(reasonOfResponse(await queued)).toBe('session_closed');
    await flush();
    expect(ran).toEqual([]);
    expect(notifications).toEqual([]);
    expect(runtime.metrics()).toMatchObject({ inFlight: 0, completed: 0, failed: 2 });
    await expectClosedClean(runtime, clock);
  });
});

describe('close() while requests are queued', () => {
  it('refuses new requests at once, still takes cancellations, drains the queue within drainMs', async () => {
    const clock = new ManualClock();
    const gate = deferred<Record<string, unknown>>();
    const started: number[] = [];
    const runtime = createSessionRuntime({
      clock,
      handlers: {
        hold: () => gate.promise,
        work: (params) => {
          started.push(params.n as number);
          return { n: params.n };
        },
      },
    });
    await openSession(runtime, 's');
    const running = runtime.dispatch('s', request(1, 'hold'));
    const queued = [1, 2, 3].map((n) => runtime.dispatch('s', request(n + 1, 'work', { n })));
    const closing = runtime.close({ drainMs: 1_000 });

    expect(await runtime.dispatch('s', request(9, 'work', { n: 9 }))).toEqual(shuttingDown(9));
    expect(await runtime.dispatch('new', initializeRequest(7))).toEqual(shuttingDown(7));
    expect(runtime.size).toBe(1);
    // A draining session still hears its client's notifications: a cancellation must still cancel.
    expect(await runtime.dispatch('s', cancelled(3))).toBeUndefined();
    expect(await queued[1]).toBeUndefined();

    clock.advance(400);
    gate.resolve({ held: true });
    expect(await running).toEqual({ jsonrpc: '2.0', id: 1, result: { held: true } });
    expect(await queued[0]).toEqual({ jsonrpc: '2.0', id: 2, result: { n: 1 } });
    expect(await queued[2]).toEqual({ jsonrpc: '2.0', id: 4, result: { n: 3 } });
    expect(started).toEqual([1, 3]);
    await closing;
    expect(runtime.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(runtime.metrics()).toMatchObject({ accepted: 4, completed: 3, cancelled: 1, failed: 0 });
    expect(runtime.metrics().sessionsStopped.closed).toBe(1);
  });

  it('answers what is still running or queued at the deadline shutting_down', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, handlers: { hang: () => new Promise(() => {}) } });
    await openSession(runtime, 's');
    const answers = [1, 2, 3].map((id) => runtime.dispatch('s', request(id, 'hang')));
    const closing = runtime.close({ drainMs: 1_000 });
    clock.advance(999);
    expect(await isSettled(Promise.race(answers))).toBe(false);
    clock.advance(1);
    expect((await Promise.all(answers)).map(reasonOfResponse)).toEqual([
      'shutting_down',
      'shutting_down',
      'shutting_down',
    ]);
    await closing;
    expect(clock.pendingTimers).toBe(0);
    expect(runtime.metrics()).toMatchObject({ accepted: 3, failed: 3, queued: 0 });
  });

  // Every `shutting_down` carries `retryAfterSeconds` (errors.ts: "For overloaded, mailbox_full and
  // shutting_down"), the ones cut off at the deadline too: the HTTP endpoint sends it as Retry-After
  // (with status 200 for these, which were accepted; 503 for refusals).
  it('gives the requests it cuts off at the deadline the same retryAfterSeconds as its refusals', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, handlers: { hang: () => new Promise(() => {}) } });
    await openSession(runtime, 's');
    const running = runtime.dispatch('s', request(1, 'hang'));
    const queued = runtime.dispatch('s', request(2, 'hang'));
    const closing = runtime.close({ drainMs: 10 });
    clock.advance(10);
    await closing;
    expect(await running).toEqual(shuttingDown(1));
    expect(await queued).toEqual(shuttingDown(2));
  });

  it('with drainMs 0 answers running and queued requests at once', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, handlers: { hang: () => new Promise(() => {}) } });
    await openSession(runtime, 's');
    const answers = [1, 2].map((id) => runtime.dispatch('s', request(id, 'hang')));
    await runtime.close({ drainMs: 0 });
    expect((await Promise.all(answers)).map(reasonOfResponse)).toEqual(['shutting_down', 'shutting_down']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('close() called twice', () => {
  it('returns the same promise, keeps the first drain, and resolves once everything stopped', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, handlers: { hang: () => new Promise(() => {}) } });
    await openSession(runtime, 's');
    const hung = runtime.dispatch('s', request(1, 'hang'));
    const first = runtime.close({ drainMs: 1_000 });
    const second = runtime.close({ drainMs: 0 });
    expect(second).toBe(first);
    expect(await isSettled(hung)).toBe(false);
    clock.advance(1_000);
    await Promise.all([first, second]);
    expect(reasonOfResponse(await hung)).toBe('shutting_down');
    await expect(runtime.close()).resolves.toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('on a runtime that never had a session resolves at once and arms no timer', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock });
    await runtime.close();
    await runtime.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('dispatch after close', () => {
  it('answers every kind of message shutting_down (or invalid_request) and starts nothing', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, spawnPolicy: 'any', handlers: { ok: () => ({}) } });
    await openSession(runtime, 's');
    await runtime.close();
    const started: string[] = [];
    runtime.events.on('sessionStarted', ({ sessionId }) => started.push(sessionId));
    const answers: [number | string | null, DispatchResult][] = [];
    for (const [sessionId, message] of [
      ['s', request(1, 'ok')],
      ['s', request(2, 'ping')],
      ['fresh', initializeRequest(3)],
      ['fresh', request(4, 'ok')],
      ['s', initializedNotification],
      ['s', { jsonrpc: '2.0', id: 5, result: {} }],
    ] as const) {
      answers.push(['id' in message ? message.id : null, await runtime.dispatch(sessionId, message)]);
    }
    for (const [id, answer] of answers) expect(answer).toEqual(shuttingDown(id));
    expect(reasonOfResponse(await runtime.dispatch('s', { nonsense: true }))).toBe('invalid_request');
    expect(started).toEqual([]);
    expect(runtime.size).toBe(0);
    expect(runtime.attach('s', () => {})).toBeUndefined();
    expect(runtime.notify('s', { method: 'notifications/x' })).toBe(false);
    expect(runtime.remove('s')).toBe(false);
    expect(runtime.sweepIdle(0)).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
