/**
 * The original engine's acceptance tests (design note "Replace Global Session Mutex"), ported.
 * Its timing assertion ("1,000 lookups under 100 ms") belongs in bench/, not here.
 */
import { describe, expect, it } from 'vitest';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import { openSession, request } from '../helpers.js';

describe('engine acceptance', () => {
  it('serves 100 concurrent sessions × 50 requests each, all successful, size 100', async () => {
    const runtime = createSessionRuntime({
      handlers: { test: async (params) => ({ echo: params.j }) },
    });
    const sessions = Array.from({ length: 100 }, (_, i) => `session_${i}`);
    const perSession = await Promise.all(
      sessions.map(async (sessionId) => {
        await openSession(runtime, sessionId);
        return Promise.all(
          Array.from({ length: 50 }, (_, j) => runtime.dispatch(sessionId, request(j, 'test', { j }))),
        );
      }),
    );
    for (const answers of perSession) {
      expect(answers.map((answer) => answer && 'result' in answer && answer.result.echo)).toEqual(
        Array.from({ length: 50 }, (_, j) => j),
      );
    }
    expect(runtime.size).toBe(100);
    expect(runtime.metrics()).toMatchObject({ accepted: 5_000, completed: 5_000, failed: 0 });
  });

  it('answers 1,000 info() calls right: known sessions described, unknown ones undefined', async () => {
    const runtime = createSessionRuntime();
    for (let i = 0; i < 500; i += 2) await openSession(runtime, `session_${i}`);
    for (let i = 0; i < 1_000; i++) {
      const info = runtime.info(`session_${i}`);
      if (i < 500 && i % 2 === 0) {
        expect(info).toMatchObject({ sessionId: `session_${i}`, state: 'ready', initialized: true });
        expect(info?.clientInfo).toEqual({ name: 'test-client', version: '1.0.0' });
      } else {
        expect(info).toBeUndefined();
      }
    }
  });

  it('idle cleanup stops exactly the idle sessions', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, idleTimeoutMs: 10_000, handlers: { test: () => ({}) } });
    for (let i = 0; i < 20; i++) await openSession(runtime, `session_${i}`);
    clock.advance(9_000);
    for (let i = 0; i < 20; i += 2) await runtime.dispatch(`session_${i}`, request(1, 'test'));
    clock.advance(1_000);
    const alive = Array.from({ length: 20 }, (_, i) => `session_${i}`).filter((id) => runtime.info(id));
    expect(alive).toEqual(Array.from({ length: 10 }, (_, i) => `session_${i * 2}`));
    expect(runtime.sweepIdle(0)).toBe(10);
    expect(runtime.size).toBe(0);
  });

  it('finishes a concurrent load of mixed sessions (no deadlock)', async () => {
    const runtime = createSessionRuntime({
      maxConcurrentRequests: 2,
      handlers: {
        fast: () => ({}),
        slow: () => new Promise((resolve) => setTimeout(() => resolve({}), 2)),
        fails: () => {
          throw new Error('boom');
        },
      },
    });
    const methods = ['fast', 'slow', 'fails'];
    const answers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const sessionId = `mixed_${i}`;
        await openSession(runtime, sessionId);
        return Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            runtime.dispatch(sessionId, request(j, methods[(i + j) % 3] as string)),
          ),
        );
      }),
    );
    const flat = answers.flat();
    expect(flat).toHaveLength(600);
    expect(flat.every((answer) => answer !== undefined)).toBe(true);
    expect(runtime.metrics()).toMatchObject({
      accepted: 600,
      completed: 400,
      failed: 200,
      inFlight: 0,
      queued: 0,
    });
    await runtime.close();
  });
});
