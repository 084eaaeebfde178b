/**
 * `mcp-session-runtime/testing`: the in-process client speaks both eras against a runtime with no
 * transport: results, `isError` results, JSON-RPC errors as `TestClientError`, progress, the
 * handler's requests to the client (a request on a 2025 session, a multi-round-trip retry at
 * 2026-07-28), state handles, cancellation, and idle expiry driven by `ManualClock`.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSessionRuntime, defineHandle, defineTool } from '../../src/index.js';
import type { TestClientProtocolVersion } from '../../src/testing/index.js';
import { connect, ManualClock, TestClientError } from '../../src/testing/index.js';
import { deferred } from '../helpers.js';

function server(clock?: ManualClock) {
  const counter = defineHandle({ name: 'counter', create: () => ({ value: 0 }) });
  const hang = deferred<void>();
  const runtime = createSessionRuntime({
    ...(clock === undefined ? {} : { clock, idleTimeoutMs: 60_000 }),
    tools: [
      defineTool({
        name: 'add',
        inputSchema: { a: z.number(), b: z.number() },
        handler: ({ a, b }) => String(a + b),
      }),
      defineTool({
        name: 'steps',
        handler: (_args, ctx) => {
          for (let step = 1; step <= 3; step++) ctx.progress({ progress: step, total: 3 });
          return 'done';
        },
      }),
      defineTool({
        name: 'greet',
        handler: async (_args, ctx) => {
          const answer = await ctx.request(
            'elicitation/create',
            {
              mode: 'form',
              message: 'Your name?',
              requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
            },
            { key: 'name' },
          );
          return `Hello ${(answer.content as { name: string }).name}`;
        },
      }),
      defineTool({
        name: 'wait',
        handler: async (_args, ctx) => {
          await Promise.race([
            hang.promise,
            new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
          ]);
          return 'stopped waiting';
        },
      }),
      defineTool({ name: 'counter_new', opens: counter, handler: () => 'new counter' }),
      defineTool({
        name: 'counter_bump',
        handle: counter,
        inputSchema: { counterId: counter.idSchema },
        handler: (_args, ctx) => String(++ctx.handle.state.value),
      }),
    ],
  });
  return runtime;
}

const eras: TestClientProtocolVersion[] = ['2025-11-25', '2026-07-28'];

describe.each(eras)('the test client at %s', (protocolVersion) => {
  it('calls tools and reads results, isError results and protocol errors', async () => {
    const client = await connect(server(), { protocolVersion });
    expect(client.sessionId === undefined).toBe(protocolVersion === '2026-07-28');
    expect((await client.listTools()).map((tool) => tool.name)).toContain('add');
    const sum = await client.callTool('add', { a: 2, b: 3 });
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
    const invalid = await client.callTool('add', { a: 'two' });
    expect(invalid.isError).toBe(true);
    const error = await client.callTool('nope').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TestClientError);
    expect((error as TestClientError).code).toBe(-32602);
  });

  it('delivers progress in order', async () => {
    const client = await connect(server(), { protocolVersion });
    const progress: unknown[] = [];
    await client.callTool(
      'steps',
      {},
      { progressToken: 'p', onNotification: (n) => progress.push(n.params) },
    );
    expect(progress).toEqual([1, 2, 3].map((step) => ({ progressToken: 'p', progress: step, total: 3 })));
  });

  it('answers the handler’s requests to the client with onRequest', async () => {
    const asked: string[] = [];
    const client = await connect(server(), {
      protocolVersion,
      onRequest: (method) => {
        asked.push(method);
        return { action: 'accept', content: { name: 'Ada' } };
      },
    });
    expect((await client.callTool('greet')).content).toEqual([{ type: 'text', text: 'Hello Ada' }]);
    expect(asked).toEqual(['elicitation/create']);
  });

  it('runs state handles across calls', async () => {
    const client = await connect(server(), { protocolVersion });
    const opened = await client.callTool('counter_new');
    const { counterId } = opened.structuredContent as { counterId: string };
    await client.callTool('counter_bump', { counterId });
    expect((await client.callTool('counter_bump', { counterId })).content).toEqual([
      { type: 'text', text: '2' },
    ]);
  });

  it('cancels a request through its signal', async () => {
    const client = await connect(server(), { protocolVersion });
    const controller = new AbortController();
    const call = client.callTool('wait', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const error = await call.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TestClientError);
    expect((error as TestClientError).code).toBe(0);
  });
});

describe('the test client with ManualClock', () => {
  it('sees a session expire when the clock passes its idle timeout', async () => {
    const clock = new ManualClock();
    const runtime = server(clock);
    const client = await connect(runtime);
    await client.callTool('add', { a: 1, b: 1 });
    clock.advance(60_001);
    expect(runtime.size).toBe(0);
    const error = await client.callTool('add', { a: 1, b: 1 }).catch((thrown: unknown) => thrown);
    expect((error as TestClientError).data).toMatchObject({ reason: 'session_not_found' });
  });

  it('ends its session on close', async () => {
    const runtime = server();
    const client = await connect(runtime);
    expect(runtime.size).toBe(1);
    await client.close();
    expect(runtime.size).toBe(0);
  });
});
