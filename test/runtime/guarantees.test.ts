/**
 * The runtime's guarantees, one `describe` each, as the README states them. Each test is written so
 * that it fails if the guarantee breaks (the note on the issue says which ones were broken on purpose
 * to watch them fail).
 */
import { describe, expect, it } from 'vitest';
import type { HandlerContext } from '../../src/index.js';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import {
  cancelled,
  deferred,
  flush,
  initializeRequest,
  openSession,
  reasonOfResponse,
  request,
} from '../helpers.js';

describe('one live actor per id', () => {
  it('spawns one session when two initialize requests for a new id race', async () => {
    const runtime = createSessionRuntime();
    const started: string[] = [];
    runtime.events.on('sessionStarted', ({ sessionId }) => started.push(sessionId));
    const answers = await Promise.all([
      runtime.dispatch('s', initializeRequest(1)),
      runtime.dispatch('s', initializeRequest(2)),
    ]);
    expect(started).toEqual(['s']);
    expect(runtime.size).toBe(1);
    // Exactly one handshake succeeds; the other is the spec's "already initialized".
    expect(answers.map(reasonOfResponse).sort()).toEqual(['already_initialized', undefined]);
  });

  it('spawns one session per id under get-or-create from any message', async () => {
    const runtime = createSessionRuntime({ spawnPolicy: 'any' });
    const started: string[] = [];
    runtime.events.on('sessionStarted', ({ sessionId }) => started.push(sessionId));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => runtime.dispatch(`s${i % 4}`, request(i, 'ping'))),
    );
    expect(started.sort()).toEqual(['s0', 's1', 's2', 's3']);
  });
});

describe('per-session FIFO', () => {
  it('starts handlers of one session in dispatch order', async () => {
    const started: number[] = [];
    const runtime = createSessionRuntime({
      handlers: {
        work: async (params) => {
          started.push(params.n as number);
          await new Promise((resolve) => setTimeout(resolve, (5 - (params.n as number)) % 3));
          return { n: params.n };
        },
      },
    });
    await openSession(runtime, 's');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, n) => runtime.dispatch('s', request(n + 1, 'work', { n }))),
    );
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(answers.map((answer) => (answer as unknown as { result: { n: number } }).result.n)).toEqual(
      started,
    );
  });

  it('never runs more than maxConcurrentRequests handlers of one session at once', async () => {
    let running = 0;
    let peak = 0;
    const runtime = createSessionRuntime({
      maxConcurrentRequests: 3,
      handlers: {
        work: async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 1));
          running--;
        },
      },
    });
    await openSession(runtime, 's');
    await Promise.all(Array.from({ length: 12 }, (_, n) => runtime.dispatch('s', request(n, 'work'))));
    expect(peak).toBe(3);
  });
});

describe('a slow session never delays another', () => {
  it('completes requests of other sessions while one handler hangs', async () => {
    const hang = deferred();
    const runtime = createSessionRuntime({
      handlers: {
        work: (params) => (params.hang ? hang.promise : { ok: true }),
      },
    });
    await openSession(runtime, 'slow');
    await openSession(runtime, 'fast');
    const slow = runtime.dispatch('slow', request(1, 'work', { hang: true }));
    const fast = await Promise.all(
      Array.from({ length: 5 }, (_, n) => runtime.dispatch('fast', request(n, 'work'))),
    );
    expect(fast.every((answer) => answer !== undefined && 'result' in answer)).toBe(true);
    expect(runtime.info('slow')?.inFlight).toBe(1);
    hang.resolve({});
    expect(await slow).toMatchObject({ id: 1, result: {} });
  });
});

describe('cancellation', () => {
  it('removes a queued request: its dispatch settles with no response and its handler never runs', async () => {
    const gate = deferred();
    const ran: number[] = [];
    const runtime = createSessionRuntime({
      handlers: {
        work: async (params) => {
          ran.push(params.n as number);
          await gate.promise;
        },
      },
    });
    await openSession(runtime, 's');
    const first = runtime.dispatch('s', request(1, 'work', { n: 1 }));
    const second = runtime.dispatch('s', request(2, 'work', { n: 2 }));
    await runtime.dispatch('s', cancelled(2));
    expect(await second).toBeUndefined();
    gate.resolve(undefined);
    expect(await first).toMatchObject({ id: 1, result: {} });
    await flush();
    expect(ran).toEqual([1]);
    expect(runtime.metrics()).toMatchObject({ accepted: 2, completed: 1, cancelled: 1, failed: 0 });
  });

  it('aborts a running request: its signal fires and no response is produced', async () => {
    let seen: AbortSignal | undefined;
    const runtime = createSessionRuntime({
      handlers: {
        work: (_params, context) =>
          new Promise((_resolve, reject) => {
            seen = context.signal;
            context.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
      },
    });
    await openSession(runtime, 's');
    const pending = runtime.dispatch('s', request(1, 'work'));
    await flush();
    await runtime.dispatch('s', cancelled(1));
    expect(await pending).toBeUndefined();
    expect(seen?.aborted).toBe(true);
    await flush();
    expect(runtime.info('s')?.inFlight).toBe(0);
  });

  it('cancels through the dispatch signal as through notifications/cancelled', async () => {
    const runtime = createSessionRuntime({ handlers: { work: () => new Promise(() => {}) } });
    await openSession(runtime, 's');
    const controller = new AbortController();
    const pending = runtime.dispatch('s', request(1, 'work'), { signal: controller.signal });
    controller.abort();
    expect(await pending).toBeUndefined();
    expect(runtime.metrics().cancelled).toBe(1);
  });

  it('ignores cancellation of unknown or finished requests', async () => {
    const runtime = createSessionRuntime({ handlers: { work: () => ({}) } });
    await openSession(runtime, 's');
    await runtime.dispatch('s', request(1, 'work'));
    expect(await runtime.dispatch('s', cancelled(1))).toBeUndefined();
    expect(await runtime.dispatch('s', cancelled(99))).toBeUndefined();
    expect(runtime.metrics()).toMatchObject({ completed: 1, cancelled: 0 });
  });
});

describe('progress', () => {
  it('delivers progress notifications in order before the response, only with a progress token', async () => {
    const seen: unknown[] = [];
    const runtime = createSessionRuntime({
      handlers: {
        work: async (_params, context: HandlerContext) => {
          for (let step = 1; step <= 3; step++) {
            context.progress({ progress: step, total: 3 });
            await flush();
          }
          context.progress({ progress: 2 }); // not increasing: dropped
          return { done: true };
        },
      },
    });
    await openSession(runtime, 's');
    const answer = await runtime.dispatch('s', request(1, 'work', { _meta: { progressToken: 'tok' } }), {
      onNotification: (notification) => seen.push(notification),
    });
    seen.push(answer);
    expect(seen).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 1, total: 3 },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 2, total: 3 },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 3, total: 3 },
      },
      { jsonrpc: '2.0', id: 1, result: { done: true } },
    ]);
    const quiet: unknown[] = [];
    await runtime.dispatch('s', request(2, 'work'), { onNotification: (n) => quiet.push(n) });
    expect(quiet).toEqual([]);
  });

  it('drops progress reported after the response', async () => {
    let late: HandlerContext | undefined;
    const seen: unknown[] = [];
    const runtime = createSessionRuntime({
      handlers: {
        work: (_params, context) => {
          late = context;
          return {};
        },
      },
    });
    await openSession(runtime, 's');
    await runtime.dispatch('s', request(1, 'work', { _meta: { progressToken: 1 } }), {
      onNotification: (n) => seen.push(n),
    });
    late?.progress({ progress: 1 });
    late?.notify({ method: 'notifications/message', params: {} });
    expect(seen).toEqual([]);
  });
});

describe('errors from handlers', () => {
  it('answers a throwing handler with -32603 and no stack trace, and reports it as an event', async () => {
    const reported: unknown[] = [];
    const runtime = createSessionRuntime({
      handlers: {
        throws: () => {
          throw new Error('secret database password in message');
        },
        rejects: () => Promise.reject('not even an Error'),
      },
    });
    runtime.events.on('handlerError', ({ method }) => reported.push(method));
    await openSession(runtime, 's');
    for (const [id, method] of [
      [1, 'throws'],
      [2, 'rejects'],
    ] as const) {
      const answer = await runtime.dispatch('s', request(id, method));
      expect(answer).toEqual({
        jsonrpc: '2.0',
        id,
        error: { code: -32603, message: 'Internal error', data: { reason: 'internal_error' } },
      });
    }
    expect(reported).toEqual(['throws', 'rejects']);
  });

  it('keeps the JSON-RPC code of an error that carries one', async () => {
    const runtime = createSessionRuntime({
      handlers: {
        missing: () => {
          throw Object.assign(new Error('Resource not found'), { code: -32002, data: { uri: 'x://y' } });
        },
      },
    });
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'missing'))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32002, message: 'Resource not found', data: { uri: 'x://y' } },
    });
  });

  it('answers a handler that overruns requestTimeoutMs with request_timeout and aborts it', async () => {
    const clock = new ManualClock();
    let signal: AbortSignal | undefined;
    const runtime = createSessionRuntime({
      clock,
      requestTimeoutMs: 100,
      handlers: {
        slow: (_params, context) => {
          signal = context.signal;
          return new Promise(() => {});
        },
      },
    });
    await openSession(runtime, 's');
    const pending = runtime.dispatch('s', request(1, 'slow'));
    clock.advance(99);
    await flush();
    expect(signal?.aborted).toBe(false);
    clock.advance(1);
    expect(await pending).toMatchObject({
      id: 1,
      error: { code: -32014, data: { reason: 'request_timeout' } },
    });
    expect(signal?.aborted).toBe(true);
  });
});

describe('remove', () => {
  it('settles queued and running requests with session_closed and runs nothing afterwards', async () => {
    const ran: number[] = [];
    let runningSignal: AbortSignal | undefined;
    const runtime = createSessionRuntime({
      handlers: {
        work: (params, context) => {
          ran.push(params.n as number);
          runningSignal = context.signal;
          return new Promise(() => {});
        },
      },
    });
    const stopped: unknown[] = [];
    runtime.events.on('sessionStopped', (event) => stopped.push(event));
    await openSession(runtime, 's');
    const pending = [1, 2, 3].map((n) => runtime.dispatch('s', request(n, 'work', { n })));
    expect(runtime.remove('s')).toBe(true);
    const answers = await Promise.all(pending);
    expect(answers.map(reasonOfResponse)).toEqual(['session_closed', 'session_closed', 'session_closed']);
    expect(runningSignal?.aborted).toBe(true);
    await flush();
    expect(ran).toEqual([1]);
    expect(stopped).toEqual([{ sessionId: 's', reason: 'removed' }]);
    expect(runtime.info('s')).toBeUndefined();
    expect(reasonOfResponse(await runtime.dispatch('s', request(9, 'work')))).toBe('session_not_found');
    expect(runtime.remove('s')).toBe(false);
  });

  it('removes a session while it awaits initialize', async () => {
    const runtime = createSessionRuntime({ spawnPolicy: 'any' });
    await runtime.dispatch('s', request(1, 'ping'));
    expect(runtime.remove('s')).toBe(true);
    expect(runtime.size).toBe(0);
  });
});

describe('idle stop', () => {
  it('stops exactly the sessions that were idle for the timeout', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, idleTimeoutMs: 1_000, handlers: { work: () => ({}) } });
    await openSession(runtime, 'quiet');
    await openSession(runtime, 'busy');
    clock.advance(600);
    await runtime.dispatch('busy', request(1, 'work'));
    clock.advance(400);
    expect(runtime.info('quiet')).toBeUndefined();
    expect(runtime.info('busy')?.state).toBe('ready');
    clock.advance(600);
    expect(runtime.size).toBe(0);
    expect(runtime.metrics().sessionsStopped.idle).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not stop a session whose handler is still running past the timeout', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const runtime = createSessionRuntime({
      clock,
      idleTimeoutMs: 1_000,
      handlers: { work: () => gate.promise },
    });
    await openSession(runtime, 's');
    const pending = runtime.dispatch('s', request(1, 'work'));
    clock.advance(5_000);
    expect(runtime.info('s')?.inFlight).toBe(1);
    gate.resolve({});
    expect(await pending).toMatchObject({ result: {} });
    clock.advance(999);
    expect(runtime.size).toBe(1);
    clock.advance(1);
    expect(runtime.size).toBe(0);
  });

  it('answers a message racing the idle stop: delivered before it, definitive not-found after it', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({
      clock,
      idleTimeoutMs: 1_000,
      handlers: { work: () => ({ ok: 1 }) },
    });
    await openSession(runtime, 's');
    clock.advance(999);
    const before = runtime.dispatch('s', request(1, 'work'));
    clock.advance(1); // the timer fires while the message is being served: the re-check keeps the session
    expect(await before).toMatchObject({ result: { ok: 1 } });
    expect(runtime.size).toBe(1);
    clock.advance(1_000);
    expect(runtime.size).toBe(0);
    expect(reasonOfResponse(await runtime.dispatch('s', request(2, 'work')))).toBe('session_not_found');
    // A fresh initialize for the same id gets a fresh session.
    expect(await runtime.dispatch('s', initializeRequest(3))).toMatchObject({ result: {} });
    expect(runtime.metrics().sessionsStarted).toBe(2);
  });

  it('sweepIdle stops only sessions idle for the threshold', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock });
    await openSession(runtime, 'old');
    clock.advance(500);
    await openSession(runtime, 'new');
    expect(runtime.sweepIdle(400)).toBe(1);
    expect(runtime.info('old')).toBeUndefined();
    expect(runtime.info('new')).toBeDefined();
    expect(runtime.metrics().sessionsStopped.swept).toBe(1);
  });
});

describe('limits', () => {
  it('refuses a session beyond maxSessions with overloaded and keeps the live ones', async () => {
    const runtime = createSessionRuntime({ maxSessions: 2, handlers: { work: () => ({}) } });
    const overloads: unknown[] = [];
    runtime.events.on('overload', (event) => overloads.push(event));
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    const refused = await runtime.dispatch('c', initializeRequest());
    expect(refused).toMatchObject({
      error: { code: -32011, data: { reason: 'overloaded', limit: 2, retryAfterSeconds: 1 } },
    });
    expect(overloads).toEqual([{ sessionId: 'c', reason: 'overloaded', limit: 2 }]);
    expect(await runtime.dispatch('a', request(1, 'work'))).toMatchObject({ result: {} });
    runtime.remove('a');
    expect(await runtime.dispatch('c', initializeRequest())).toMatchObject({ result: {} });
  });

  it('refuses requests beyond mailboxCapacity with mailbox_full and completes every accepted one', async () => {
    const gate = deferred();
    const runtime = createSessionRuntime({ mailboxCapacity: 2, handlers: { work: () => gate.promise } });
    await openSession(runtime, 's');
    const accepted = [1, 2, 3].map((n) => runtime.dispatch('s', request(n, 'work')));
    const refused = await runtime.dispatch('s', request(4, 'work'));
    expect(refused).toMatchObject({
      id: 4,
      error: { code: -32012, data: { reason: 'mailbox_full', limit: 2 } },
    });
    gate.resolve({ ok: true });
    const answers = await Promise.all(accepted);
    expect(answers.map((answer) => answer && 'result' in answer && answer.result)).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    expect(runtime.metrics()).toMatchObject({ accepted: 3, completed: 3, rejected: { mailbox_full: 1 } });
  });
});

describe('close', () => {
  it('lets running and queued work finish within the drain and refuses new messages meanwhile', async () => {
    const gate = deferred();
    const runtime = createSessionRuntime({ handlers: { work: () => gate.promise } });
    await openSession(runtime, 's');
    const pending = [1, 2].map((n) => runtime.dispatch('s', request(n, 'work')));
    const closed = runtime.close({ drainMs: 10_000 });
    expect(reasonOfResponse(await runtime.dispatch('s', request(3, 'work')))).toBe('shutting_down');
    expect(reasonOfResponse(await runtime.dispatch('t', initializeRequest()))).toBe('shutting_down');
    gate.resolve({ done: true });
    expect(await Promise.all(pending)).toMatchObject([
      { result: { done: true } },
      { result: { done: true } },
    ]);
    await closed;
    expect(runtime.size).toBe(0);
    expect(runtime.metrics().sessionsStopped.closed).toBe(1);
  });

  it('cancels what is left when the drain expires, settling every dispatch', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, handlers: { work: () => new Promise(() => {}) } });
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    const pending = ['a', 'a', 'b'].map((id, n) => runtime.dispatch(id, request(n, 'work')));
    const closed = runtime.close({ drainMs: 1_000 });
    clock.advance(1_000);
    await closed;
    expect((await Promise.all(pending)).map(reasonOfResponse)).toEqual([
      'shutting_down',
      'shutting_down',
      'shutting_down',
    ]);
    expect(clock.pendingTimers).toBe(0);
    expect(runtime.close()).toBe(closed);
  });

  it('resolves at once with no sessions', async () => {
    await expect(createSessionRuntime().close()).resolves.toBeUndefined();
  });
});

describe('cross-session calls', () => {
  it('fails a crossing call that would deadlock (A → B while B → A, one slot each) instead of hanging', async () => {
    const gate = deferred();
    const runtime = createSessionRuntime({
      handlers: {
        call: async (params, context) => {
          await gate.promise; // both handlers are running before either calls the other
          return {
            answer: await context.dispatch(
              params.target as string,
              request(`${context.sessionId}-call`, 'leaf'),
            ),
          };
        },
        leaf: () => ({ leaf: true }),
      },
    });
    await openSession(runtime, 'A');
    await openSession(runtime, 'B');
    const fromA = runtime.dispatch('A', request(1, 'call', { target: 'B' }));
    const fromB = runtime.dispatch('B', request(1, 'call', { target: 'A' }));
    await flush();
    gate.resolve(undefined);
    const answers = await Promise.all([fromA, fromB]);
    const inner = answers.map(
      (answer) => (answer as unknown as { result: { answer: unknown } }).result.answer,
    );
    // The second call closes the cycle and is refused; the first then completes once its peer returns.
    expect(inner.map(reasonOfResponse).sort()).toEqual(['call_cycle', undefined]);
    expect(inner.filter((answer) => reasonOfResponse(answer) === undefined)).toMatchObject([
      { result: { leaf: true } },
    ]);
  });

  it('lets a call wait when the peer has a free slot (no false deadlock)', async () => {
    const gate = deferred();
    const runtime = createSessionRuntime({
      maxConcurrentRequests: 2,
      handlers: {
        call: async (params, context) => {
          await gate.promise;
          return {
            answer: await context.dispatch(
              params.target as string,
              request(`${context.sessionId}-call`, 'leaf'),
            ),
          };
        },
        leaf: () => ({ leaf: true }),
      },
    });
    await openSession(runtime, 'A');
    await openSession(runtime, 'B');
    const both = [
      runtime.dispatch('A', request(1, 'call', { target: 'B' })),
      runtime.dispatch('B', request(1, 'call', { target: 'A' })),
    ];
    await flush();
    gate.resolve(undefined);
    expect(await Promise.all(both)).toMatchObject([
      { result: { answer: { result: { leaf: true } } } },
      { result: { answer: { result: { leaf: true } } } },
    ]);
  });

  it('refuses a call that would re-enter a session on its call chain instead of deadlocking', async () => {
    const runtime = createSessionRuntime({
      handlers: {
        relay: async (params, context) => {
          const next = params.next as string[];
          const [target, ...rest] = next;
          if (target === undefined) return { path: [context.sessionId] };
          const answer = await context.dispatch(
            target,
            request(`${context.sessionId}->${target}`, 'relay', { next: rest }),
          );
          return { path: [context.sessionId], answer };
        },
      },
    });
    await openSession(runtime, 'A');
    await openSession(runtime, 'B');
    await openSession(runtime, 'C');
    const chain = await runtime.dispatch('A', request(1, 'relay', { next: ['B', 'C'] }));
    expect(chain).toMatchObject({ result: { answer: { result: { answer: { result: { path: ['C'] } } } } } });
    const cycle = await runtime.dispatch('A', request(2, 'relay', { next: ['B', 'A'] }));
    expect(cycle).toMatchObject({
      result: { answer: { result: { answer: { error: { code: -32015, data: { reason: 'call_cycle' } } } } } },
    });
  });
});
