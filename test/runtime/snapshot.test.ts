/**
 * `runtime.snapshot()`: counts by state, a bounded page of the most recently active actors with
 * shortened ids, handler durations per method, and the latest stops and refusals.
 */
import { describe, expect, it } from 'vitest';
import { createSessionRuntime, defineHandle, defineTool, ManualClock } from '../../src/index.js';
import { LATENCY_BOUNDS_MS, MethodLatencies } from '../../src/runtime/methodLatency.js';
import { shortId } from '../../src/runtime/RecentEvents.js';
import { deferred, flush, initializeRequest, openSession, request } from '../helpers.js';

const IDLE_TIMEOUT_MS = 60_000;

function setUp(gate = deferred<void>()) {
  const clock = new ManualClock();
  const runtime = createSessionRuntime({
    clock,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    mailboxCapacity: 4,
    handlers: {
      fast: () => ({}),
      slow: async () => {
        await gate.promise;
        return {};
      },
    },
  });
  return { clock, runtime, gate };
}

describe('runtime.snapshot', () => {
  it('counts sessions by state and lists them with shortened ids, most recently active first', async () => {
    const { clock, runtime } = setUp();
    const ids = ['0123456789abcdef-first', 'fedcba9876543210-second', 'short'];
    for (const id of ids) {
      await openSession(runtime, id);
      clock.advance(10);
    }
    // One session opened but not yet `notifications/initialized`.
    await runtime.dispatch('aaaaaaaaaaaaaaaa-half', initializeRequest());
    const snapshot = runtime.snapshot();
    expect(snapshot.sessions).toEqual({ live: 4, resting: 0, byState: { ready: 3, initialized: 1 } });
    expect(snapshot.actors.map((actor) => actor.id)).toEqual([
      'aaaaaaaa…',
      'shor…',
      'fedcba98…',
      '01234567…',
    ]);
    const first = snapshot.actors[3];
    expect(first).toMatchObject({
      kind: 'session',
      state: 'ready',
      clientName: 'test-client',
      protocolVersion: '2025-11-25',
      ageMs: 30,
      idleLeftMs: IDLE_TIMEOUT_MS - 30,
      inFlight: 0,
      queued: 0,
    });
    // No whole id anywhere in what a dashboard would show.
    const text = JSON.stringify(snapshot);
    for (const id of [...ids, 'aaaaaaaaaaaaaaaa-half']) expect(text).not.toContain(id);
    await runtime.close();
  });

  it('bounds the page by `limit`, keeping the most recently active', async () => {
    const { clock, runtime } = setUp();
    for (let i = 0; i < 20; i++) {
      await openSession(runtime, `session-${String(i).padStart(4, '0')}`);
      clock.advance(1);
    }
    // Traffic on an old session makes it the most recent.
    await runtime.dispatch('session-0003', request(1, 'fast'));
    const { actors, sessions } = runtime.snapshot({ limit: 5 });
    expect(sessions.live).toBe(20);
    expect(actors.map((actor) => actor.id)).toEqual([
      'session-…',
      'session-…',
      'session-…',
      'session-…',
      'session-…',
    ]);
    expect(actors.map((actor) => actor.ageMs)).toEqual([17, 1, 2, 3, 4]);
    expect(runtime.snapshot({ limit: 0 }).actors).toEqual([]);
    expect(runtime.snapshot({ limit: 500 }).actors).toHaveLength(20);
    await runtime.close();
  });

  it('refuses a limit outside 0–500', () => {
    const { runtime } = setUp();
    expect(() => runtime.snapshot({ limit: 501 })).toThrow(/`limit`.*0 to 500, got 501/);
    expect(() => runtime.snapshot({ limit: 1.5 })).toThrow(TypeError);
    expect(() => runtime.snapshot({ limit: -1 })).toThrow(TypeError);
  });

  it('shows a request in flight and one queued, then neither once answered', async () => {
    const { runtime, gate } = setUp();
    await openSession(runtime, 'busy-session-id');
    const running = runtime.dispatch('busy-session-id', request(1, 'slow'));
    const waiting = runtime.dispatch('busy-session-id', request(2, 'slow'));
    await flush();
    let snapshot = runtime.snapshot();
    expect(snapshot).toMatchObject({ inFlight: 1, queued: 1 });
    expect(snapshot.actors[0]).toMatchObject({ inFlight: 1, queued: 1 });
    gate.resolve();
    await Promise.all([running, waiting]);
    snapshot = runtime.snapshot();
    expect(snapshot).toMatchObject({ inFlight: 0, queued: 0 });
    expect(snapshot.actors[0]).toMatchObject({ inFlight: 0, queued: 0 });
    expect(snapshot.requests).toMatchObject({ accepted: 2, completed: 2, failed: 0 });
    await runtime.close();
  });

  it('reports handler durations per method, slowest p99 first', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({
      clock,
      handlers: {
        fast: () => ({}),
        slow: async () => {
          await Promise.resolve();
          clock.advance(300);
          return {};
        },
      },
    });
    await openSession(runtime, 's');
    await runtime.dispatch('s', request(0, 'fast'));
    // Timed from the first snapshot on: the call above is not counted.
    expect(runtime.snapshot().methods).toEqual([]);
    for (let id = 1; id <= 3; id++) await runtime.dispatch('s', request(id, 'fast'));
    await runtime.dispatch('s', request(10, 'slow'));
    const { methods } = runtime.snapshot();
    expect(methods.map((method) => method.method)).toEqual(['slow', 'fast']);
    expect(methods[0]).toEqual({ method: 'slow', count: 1, meanMs: 300, p50Ms: 300, p99Ms: 300, maxMs: 300 });
    expect(methods[1]).toMatchObject({ method: 'fast', count: 3, p99Ms: 0, maxMs: 0 });
    await runtime.close();
  });

  it('keeps the latest stops and refusals, newest first, with shortened ids', async () => {
    const { runtime, gate } = setUp();
    runtime.snapshot();
    await openSession(runtime, 'removed-session-id');
    runtime.remove('removed-session-id');
    await openSession(runtime, 'full-mailbox-session');
    const pending = [];
    for (let id = 1; id <= 6; id++)
      pending.push(runtime.dispatch('full-mailbox-session', request(id, 'slow')));
    await flush();
    const { recent } = runtime.snapshot();
    expect(recent.map(({ event, id, reason }) => ({ event, id, reason }))).toEqual([
      { event: 'overload', id: 'full-mai…', reason: 'mailbox_full' },
      { event: 'sessionStopped', id: 'removed-…', reason: 'removed' },
    ]);
    gate.resolve();
    await Promise.all(pending);
    await runtime.close();
  });

  it('counts state handles by kind and lists them beside the sessions', async () => {
    const clock = new ManualClock();
    const counter = defineHandle({ name: 'counter', idleTimeoutMs: 5_000, create: () => ({ n: 0 }) });
    const runtime = createSessionRuntime({
      clock,
      tools: [defineTool({ name: 'open', opens: counter, handler: () => 'opened' })],
    });
    await openSession(runtime, 'session-with-handles');
    await runtime.dispatch('session-with-handles', request(1, 'tools/call', { name: 'open' }));
    await runtime.dispatch('session-with-handles', request(2, 'tools/call', { name: 'open' }));
    clock.advance(1_000);
    const snapshot = runtime.snapshot();
    expect(snapshot.handles).toEqual({ counter: { live: 2, resting: 0 } });
    const handles = snapshot.actors.filter((actor) => actor.kind === 'handle');
    expect(handles).toHaveLength(2);
    expect(handles[0]).toMatchObject({
      handleKind: 'counter',
      state: 'live',
      idleLeftMs: 4_000,
      clientName: undefined,
    });
    expect(snapshot.actors.map((actor) => actor.kind).sort()).toEqual(['handle', 'handle', 'session']);
    await runtime.close({ drainMs: 0 });
  });

  it('keeps only the last 50 events', async () => {
    const { runtime } = setUp();
    runtime.snapshot();
    for (let i = 0; i < 60; i++) {
      await openSession(runtime, `session-number-${i}`);
      runtime.remove(`session-number-${i}`);
    }
    const { recent } = runtime.snapshot();
    expect(recent).toHaveLength(50);
    expect(recent[0]?.id).toBe(shortId('session-number-59'));
  });
});

describe('shortId', () => {
  it('never gives a whole id back', () => {
    expect(shortId('0123456789')).toBe('01234567…');
    expect(shortId('01234567')).toBe('0123…');
    expect(shortId('ab')).toBe('a…');
    expect(shortId('a')).toBe('…');
  });
});

describe('method latency histogram', () => {
  it('puts each duration in the bucket of its upper bound, and caps quantiles at the longest', () => {
    const latencies = new MethodLatencies();
    for (let i = 0; i < 98; i++) latencies.record('m', 3);
    latencies.record('m', 40);
    latencies.record('m', 70_000);
    const [summary] = latencies.summary();
    expect(summary).toMatchObject({ count: 100, p50Ms: 5, p99Ms: 50, maxMs: 70_000 });
    latencies.record('m', 70_000);
    expect(latencies.summary()[0]?.p99Ms).toBe(70_000);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBe(30_000);
  });
});
