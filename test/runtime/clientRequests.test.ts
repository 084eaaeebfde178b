/** Server-initiated requests (ctx.request), logging, and the session's attached listener. */
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage, JsonRpcRequest } from '../../src/index.js';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import { deferred, flush, initializedNotification, reasonOfResponse, request } from '../helpers.js';

const initializeWith = (capabilities: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'c', version: '1' } },
});

async function open(runtime: ReturnType<typeof createSessionRuntime>, capabilities: Record<string, unknown>) {
  await runtime.dispatch('s', initializeWith(capabilities));
  await runtime.dispatch('s', initializedNotification);
}

const sample = {
  ask: async (_params: unknown, ctx: import('../../src/index.js').HandlerContext) => {
    const answer = await ctx.request('sampling/createMessage', { messages: [], maxTokens: 10 });
    return { got: answer };
  },
};

describe('server-initiated requests', () => {
  it('sends the request on the caller stream and resolves with the client result, bypassing the mailbox', async () => {
    const runtime = createSessionRuntime({ handlers: sample });
    await open(runtime, { sampling: {} });
    const sent: JsonRpcRequest[] = [];
    const arrived = deferred<JsonRpcRequest>();
    const pending = runtime.dispatch('s', request(1, 'ask'), {
      onRequest: (outbound) => {
        sent.push(outbound);
        arrived.resolve(outbound);
      },
    });
    const outbound = await arrived.promise;
    expect(outbound).toMatchObject({
      jsonrpc: '2.0',
      method: 'sampling/createMessage',
      params: { maxTokens: 10 },
    });
    expect(runtime.info('s')).toMatchObject({ inFlight: 1 });
    // The client's answer is routed while the handler still holds the only slot.
    expect(
      await runtime.dispatch('s', { jsonrpc: '2.0', id: outbound.id, result: { text: 'hi' } }),
    ).toBeUndefined();
    expect(await pending).toEqual({ jsonrpc: '2.0', id: 1, result: { got: { text: 'hi' } } });
    expect(sent).toHaveLength(1);
  });

  it('passes the client error on with its code', async () => {
    const runtime = createSessionRuntime({ handlers: sample });
    await open(runtime, { sampling: {} });
    const arrived = deferred<JsonRpcRequest>();
    const pending = runtime.dispatch('s', request(1, 'ask'), { onRequest: arrived.resolve });
    const outbound = await arrived.promise;
    await runtime.dispatch('s', {
      jsonrpc: '2.0',
      id: outbound.id,
      error: { code: -1, message: 'User rejected' },
    });
    expect(await pending).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -1, message: 'User rejected' } });
  });

  it('refuses a method whose client capability was not declared', async () => {
    const runtime = createSessionRuntime({ handlers: sample });
    await open(runtime, {});
    const answer = await runtime.dispatch('s', request(1, 'ask'), { onRequest: () => {} });
    expect(reasonOfResponse(answer)).toBe('client_capability_missing');
  });

  it('refuses when the caller gave no channel and no listener is attached', async () => {
    const runtime = createSessionRuntime({ handlers: sample });
    await open(runtime, { sampling: {} });
    expect(reasonOfResponse(await runtime.dispatch('s', request(1, 'ask')))).toBe('client_unreachable');
  });

  it('falls back to the attached listener', async () => {
    const runtime = createSessionRuntime({ handlers: sample });
    await open(runtime, { sampling: {} });
    const seen: JsonRpcMessage[] = [];
    runtime.attach('s', (message) => {
      seen.push(message);
      if ('id' in message && 'method' in message) {
        void runtime.dispatch('s', { jsonrpc: '2.0', id: message.id, result: { via: 'listener' } });
      }
    });
    expect(await runtime.dispatch('s', request(1, 'ask'))).toMatchObject({
      result: { got: { via: 'listener' } },
    });
    expect(seen).toHaveLength(1);
  });

  it('times out, tells the client with notifications/cancelled, and keeps the session from idling meanwhile', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({
      clock,
      handlers: sample,
      idleTimeoutMs: 1_000,
      clientRequestTimeoutMs: 5_000,
    });
    await open(runtime, { sampling: {} });
    const seen: unknown[] = [];
    const pending = runtime.dispatch('s', request(1, 'ask'), {
      onRequest: (message) => seen.push(message),
      onNotification: (message) => seen.push(message),
    });
    await flush();
    clock.advance(4_999);
    expect(runtime.size).toBe(1);
    clock.advance(1);
    expect(await pending).toMatchObject({ error: { data: { reason: 'request_timeout' } } });
    expect(seen[1]).toMatchObject({
      method: 'notifications/cancelled',
      params: { requestId: (seen[0] as JsonRpcRequest).id },
    });
  });

  it('cancels the outbound request when its caller is cancelled, and rejects it on remove', async () => {
    let outcome: unknown;
    const runtime = createSessionRuntime({
      handlers: {
        ask: async (_params, ctx) => {
          try {
            await ctx.request('elicitation/create', { message: 'name?' });
          } catch (error) {
            outcome = (error as { code?: unknown }).code;
          }
        },
      },
    });
    await open(runtime, { elicitation: {} });
    const seen: unknown[] = [];
    const sink = {
      onRequest: (message: unknown) => seen.push(message),
      onNotification: (message: unknown) => seen.push(message),
    };
    const first = runtime.dispatch('s', request(1, 'ask'), sink);
    await flush();
    await runtime.dispatch('s', {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1 },
    });
    expect(await first).toBeUndefined();
    await flush();
    expect(outcome).toBe('request_cancelled');
    const second = runtime.dispatch('s', request(2, 'ask'), sink);
    await flush();
    runtime.remove('s');
    expect(reasonOfResponse(await second)).toBe('session_closed');
    await flush();
    expect(outcome).toBe('session_closed');
  });
});

describe('logging', () => {
  it('filters ctx.log by the level the client set, per session', async () => {
    const runtime = createSessionRuntime({
      handlers: {
        chatter: (_params, ctx) => {
          ctx.log('debug', 'noise');
          ctx.log('error', { problem: 1 }, 'db');
        },
      },
    });
    await open(runtime, {});
    const before: unknown[] = [];
    await runtime.dispatch('s', request(1, 'chatter'), { onNotification: (n) => before.push(n) });
    expect(before).toHaveLength(2);
    expect(await runtime.dispatch('s', request(2, 'logging/setLevel', { level: 'warning' }))).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: {},
    });
    const after: unknown[] = [];
    await runtime.dispatch('s', request(3, 'chatter'), { onNotification: (n) => after.push(n) });
    expect(after).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'error', data: { problem: 1 }, logger: 'db' },
      },
    ]);
  });

  it('answers an unknown level with -32602', async () => {
    const runtime = createSessionRuntime();
    await open(runtime, {});
    expect(await runtime.dispatch('s', request(1, 'logging/setLevel', { level: 'loud' }))).toMatchObject({
      error: { code: -32602 },
    });
  });
});

describe('attached listener', () => {
  it('receives notify() messages until detached, and nothing for unknown sessions', async () => {
    const runtime = createSessionRuntime();
    await open(runtime, {});
    const seen: unknown[] = [];
    const detach = runtime.attach('s', (message) => seen.push(message));
    expect(runtime.notify('s', { method: 'notifications/tools/list_changed' })).toBe(true);
    detach?.();
    expect(runtime.notify('s', { method: 'notifications/tools/list_changed' })).toBe(false);
    expect(seen).toEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }]);
    expect(runtime.attach('nobody', () => {})).toBeUndefined();
  });
});
