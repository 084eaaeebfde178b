/**
 * What a handler's context puts on the wire, member by member: progress with and without `total`
 * and `message`, notifications with and without params, log messages with and without a logger,
 * `closeStream` while running and after; and a handler called without dispatch options. Also the
 * directory's per-principal session count as sessions stop, and its overload events.
 */
import { describe, expect, it } from 'vitest';
import type { HandlerContext, JsonRpcNotification } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
import { initializeRequest, openSession, request } from '../helpers.js';

async function wireOf(handler: (context: HandlerContext) => void) {
  const closed = { streams: 0 };
  const listenerErrors: unknown[] = [];
  const runtime = createSessionRuntime({
    handlers: {
      work: (_params, context) => {
        handler(context);
        return {};
      },
    },
  });
  runtime.events.on('listenerError', (event) => listenerErrors.push(event));
  await openSession(runtime, 's');
  await runtime.dispatch('s', request('level', 'logging/setLevel', { level: 'debug' }));
  const seen: JsonRpcNotification[] = [];
  await runtime.dispatch('s', request(1, 'work', { _meta: { progressToken: 't' } }), {
    onNotification: (notification) => seen.push(notification),
    onCloseStream: () => closed.streams++,
  });
  await runtime.close();
  return { seen, closed, listenerErrors };
}

describe('what a handler context sends', () => {
  it('progress carries total and message only when given', async () => {
    const { seen } = await wireOf((context) => {
      context.progress({ progress: 1 });
      context.progress({ progress: 2, total: 4 });
      context.progress({ progress: 3, message: 'three' });
      context.progress({ progress: 4, total: 4, message: 'done' });
    });
    // Strict: a key holding undefined is not the same as no key on the wire.
    expect(seen.map((notification) => notification.params)).toStrictEqual([
      { progressToken: 't', progress: 1 },
      { progressToken: 't', progress: 2, total: 4 },
      { progressToken: 't', progress: 3, message: 'three' },
      { progressToken: 't', progress: 4, total: 4, message: 'done' },
    ]);
  });

  it('a notification carries params only when given', async () => {
    const { seen } = await wireOf((context) => {
      context.notify({ method: 'notifications/custom' });
      context.notify({ method: 'notifications/custom', params: { a: 1 } });
    });
    expect(seen).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/custom' },
      { jsonrpc: '2.0', method: 'notifications/custom', params: { a: 1 } },
    ]);
  });

  it('a log message carries the logger only when given', async () => {
    const { seen } = await wireOf((context) => {
      context.log('info', 'plain');
      context.log('warning', { n: 1 }, 'db');
    });
    expect(seen).toStrictEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'plain' } },
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'warning', data: { n: 1 }, logger: 'db' },
      },
    ]);
  });

  it('closeStream reaches the transport while the handler runs, and not after', async () => {
    let late: HandlerContext | undefined;
    const { closed } = await wireOf((context) => {
      context.closeStream();
      late = context;
    });
    expect(closed.streams).toBe(1);
    late?.closeStream();
    expect(closed.streams).toBe(1);
  });

  it('works for a handler dispatched without options: no auth, and progress goes nowhere quietly', async () => {
    const seen: unknown[] = [];
    const listenerErrors: unknown[] = [];
    const runtime = createSessionRuntime({
      handlers: {
        work: (_params, context) => {
          seen.push(context.auth);
          context.progress({ progress: 1 });
          context.notify({ method: 'notifications/custom' });
          context.closeStream();
          return {};
        },
      },
    });
    runtime.events.on('listenerError', (event) => listenerErrors.push(event));
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'work', { _meta: { progressToken: 't' } }))).toMatchObject({
      result: {},
    });
    expect(seen).toEqual([undefined]);
    expect(listenerErrors).toEqual([]);
    await runtime.close();
  });
});

describe('a handler context’s other members', () => {
  it('gives the runtime’s shared context, and closeStream is harmless when the transport has no streams', async () => {
    const shared = { database: 'db' };
    const seen: unknown[] = [];
    const runtime = createSessionRuntime({
      context: shared,
      handlers: {
        work: (_params, context) => {
          seen.push(context.context);
          context.closeStream();
          return { ok: true };
        },
      },
    });
    await openSession(runtime, 's');
    const answer = await runtime.dispatch('s', request(1, 'work'), { onNotification: () => {} });
    expect(answer).toMatchObject({ result: { ok: true } });
    expect(seen).toEqual([shared]);
    await runtime.close();
  });
});

describe('sessions per principal', () => {
  it('counts a principal’s sessions down as they stop, so that the limit holds exactly', async () => {
    const overloads: unknown[] = [];
    const runtime = createSessionRuntime({ maxSessionsPerPrincipal: 2 });
    runtime.events.on('overload', (event) => overloads.push(event));
    const alice = { principal: { id: 'alice' } };
    const open = async (sessionId: string) => runtime.dispatch(sessionId, initializeRequest(), alice);
    expect(await open('a1')).toMatchObject({ result: {} });
    expect(await open('a2')).toMatchObject({ result: {} });
    expect(runtime.remove('a1', alice)).toBe(true);
    expect(await open('a3')).toMatchObject({ result: {} });
    expect(await open('a4')).toMatchObject({ error: { data: { reason: 'too_many_sessions' } } });
    expect(overloads).toEqual([{ sessionId: 'a4', reason: 'too_many_sessions', limit: 2 }]);
    expect(runtime.remove('a2', alice)).toBe(true);
    expect(runtime.remove('a3', alice)).toBe(true);
    expect(await open('a5')).toMatchObject({ result: {} });
    expect(await open('a6')).toMatchObject({ result: {} });
    expect(await open('a7')).toMatchObject({ error: { data: { reason: 'too_many_sessions' } } });
    await runtime.close();
  });

  it('reports the runtime-wide limit as overloaded, with its limit', async () => {
    const overloads: unknown[] = [];
    const runtime = createSessionRuntime({ maxSessions: 1 });
    runtime.events.on('overload', (event) => overloads.push(event));
    await openSession(runtime, 'one');
    expect(await runtime.dispatch('two', initializeRequest())).toMatchObject({
      error: { data: { reason: 'overloaded' } },
    });
    expect(overloads).toEqual([{ sessionId: 'two', reason: 'overloaded', limit: 1 }]);
    await runtime.close();
  });

  it('answers has() for an unknown id and another principal’s id alike: false', async () => {
    const runtime = createSessionRuntime();
    await runtime.dispatch('mine', initializeRequest(), { principal: { id: 'alice' } });
    expect(runtime.has('unknown', { principal: { id: 'alice' } })).toBe(false);
    expect(runtime.has('mine', { principal: { id: 'bob' } })).toBe(false);
    expect(runtime.has('mine', { principal: { id: 'alice' } })).toBe(true);
    await runtime.close();
  });
});
