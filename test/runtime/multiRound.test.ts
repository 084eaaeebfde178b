/**
 * Multi-round-trip requests (MCP 2026-07-28, SEP-2322) through `runtime.serve`: a handler's
 * `ctx.request` on the sessionless path is answered from `inputResponses` or the sealed
 * `requestState`, or collected into an `input_required` answer; the retry runs the handler again.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HandlerContext, JsonRpcResponse, SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool, ManualClock, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';

const meta = (capabilities: Record<string, unknown> = { elicitation: {}, sampling: {}, roots: {} }) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});

let nextId = 1;

/** One 2026-07-28 `tools/call` through `serve`, as the HTTP transport hands it over. */
async function call(
  runtime: SessionRuntime,
  name: string,
  extra: Record<string, unknown> = {},
  options: {
    capabilities?: Record<string, unknown>;
    principal?: string;
    args?: Record<string, unknown>;
  } = {},
): Promise<Record<string, unknown>> {
  const message = parseMessage({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name, arguments: options.args ?? {}, _meta: meta(options.capabilities), ...extra },
  }) as IncomingRequest;
  expect(message.kind).toBe('request');
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  const response = (await runtime.serve(message, envelope, {
    principal: options.principal === undefined ? undefined : { id: options.principal },
  })) as JsonRpcResponse;
  expect(response.id).toBe(message.id);
  return response as unknown as Record<string, unknown>;
}

const resultOf = (response: Record<string, unknown>) => response.result as Record<string, unknown>;
const errorOf = (response: Record<string, unknown>) =>
  response.error as { code: number; message: string; data: Record<string, unknown> };

const askName = (ctx: HandlerContext, key: string, field = 'name') =>
  ctx.request(
    'elicitation/create',
    {
      message: `Your ${field}?`,
      requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } } },
    },
    { key },
  );
const accepted = (content: Record<string, unknown>) => ({ action: 'accept', content });
const text = (response: Record<string, unknown>) =>
  ((resultOf(response).content as { text: string }[])[0] as { text: string }).text;

function setUp() {
  const clock = new ManualClock(1_000_000);
  const aborted: unknown[] = [];
  const runtime = createSessionRuntime({
    clock,
    tools: [
      defineTool({
        name: 'greet',
        inputSchema: z.object({ polite: z.boolean().optional() }),
        handler: async (args, ctx) => {
          ctx.signal.addEventListener('abort', () => aborted.push(ctx.signal.reason));
          const answer = await askName(ctx, 'user_name');
          const name = (answer.content as { name: string }).name;
          return args.polite ? `Good day, ${name}.` : `Hello, ${name}!`;
        },
      }),
      defineTool({
        name: 'all_at_once',
        inputSchema: z.object({}),
        handler: async (_args, ctx) => {
          const [name, sampled, roots] = await Promise.all([
            askName(ctx, 'who'),
            ctx.request('sampling/createMessage', { messages: [], maxTokens: 10 }, { key: 'sample' }),
            ctx.request('roots/list', {}),
          ]);
          return `${(name.content as { name: string }).name}/${(sampled.content as { text: string }).text}/${(roots.roots as unknown[]).length}`;
        },
      }),
      defineTool({
        name: 'two_rounds',
        inputSchema: z.object({}),
        handler: async (_args, ctx) => {
          const first = await askName(ctx, 'step1');
          const second = await askName(ctx, 'step2', 'color');
          return `${(first.content as { name: string }).name} likes ${(second.content as { color: string }).color}`;
        },
      }),
    ],
  });
  return { runtime, clock, aborted };
}

describe('multi-round-trip requests on the 2026-07-28 path', () => {
  it('answers input_required with the keyed request and a requestState, then completes from the retry', async () => {
    const { runtime, aborted } = setUp();
    const first = resultOf(await call(runtime, 'greet'));
    expect(first.resultType).toBe('input_required');
    expect(first.inputRequests).toEqual({
      user_name: {
        method: 'elicitation/create',
        params: {
          message: 'Your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
        },
      },
    });
    expect(typeof first.requestState).toBe('string');
    expect((first._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']).toBeDefined();
    // The dropped run of the handler was told so through its signal.
    await new Promise((resolve) => setImmediate(resolve));
    expect(aborted).toHaveLength(1);
    const second = await call(runtime, 'greet', {
      inputResponses: { user_name: accepted({ name: 'Alice' }) },
      requestState: first.requestState,
    });
    expect(resultOf(second).resultType).toBe('complete');
    expect(text(second)).toBe('Hello, Alice!');
    // Without a requestState the answers alone are enough; keys nobody asked for are ignored.
    const alone = await call(runtime, 'greet', {
      inputResponses: { user_name: accepted({ name: 'Bob' }), extra: { anything: true } },
    });
    expect(text(alone)).toBe('Hello, Bob!');
    const metrics = runtime.metrics();
    expect(metrics.accepted).toBe(metrics.completed + metrics.failed + metrics.cancelled);
  });

  it('asks everything a handler asks at once in one round', async () => {
    const { runtime } = setUp();
    const first = resultOf(await call(runtime, 'all_at_once'));
    expect(Object.keys(first.inputRequests as object).sort()).toEqual(['roots/list:2', 'sample', 'who']);
    const done = await call(runtime, 'all_at_once', {
      inputResponses: {
        who: accepted({ name: 'Ann' }),
        sample: { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' },
        'roots/list:2': { roots: [{ uri: 'file:///a' }] },
      },
      requestState: first.requestState,
    });
    expect(text(done)).toBe('Ann/hi/1');
  });

  it('carries earlier answers in a new requestState for each round', async () => {
    const { runtime } = setUp();
    const r1 = resultOf(await call(runtime, 'two_rounds'));
    expect(Object.keys(r1.inputRequests as object)).toEqual(['step1']);
    const r2 = resultOf(
      await call(runtime, 'two_rounds', {
        inputResponses: { step1: accepted({ name: 'Ann' }) },
        requestState: r1.requestState,
      }),
    );
    expect(r2.resultType).toBe('input_required');
    expect(Object.keys(r2.inputRequests as object)).toEqual(['step2']);
    expect(r2.requestState).not.toBe(r1.requestState);
    const r3 = await call(runtime, 'two_rounds', {
      inputResponses: { step2: accepted({ color: 'blue' }) },
      requestState: r2.requestState,
    });
    expect(text(r3)).toBe('Ann likes blue');
  });

  it('refuses a requestState that was altered, expired, or issued for another principal or other params', async () => {
    const { runtime, clock } = setUp();
    const first = resultOf(await call(runtime, 'greet', {}, { principal: 'alice' }));
    const state = first.requestState as string;
    const retry = (requestState: unknown, options: Parameters<typeof call>[3] = { principal: 'alice' }) =>
      call(
        runtime,
        'greet',
        { inputResponses: { user_name: accepted({ name: 'A' }) }, requestState },
        options,
      );
    const refusals = [
      await retry(`${state}-TAMPERED`),
      await retry(state.slice(0, -2)),
      await retry(42),
      await retry(state, { principal: 'mallory' }),
      await retry(state, { principal: 'alice', args: { polite: true } }),
    ];
    for (const refused of refusals) {
      expect(errorOf(refused).code).toBe(-32602);
      expect(errorOf(refused).data.reason).toBe('invalid_params');
    }
    expect(text(await retry(state))).toBe('Hello, A!');
    clock.advance(600_001);
    const expired = await retry(state);
    expect(errorOf(expired).code).toBe(-32602);
    expect(errorOf(expired).message).toMatch(/expired/);
  });

  it('refuses an answer that is not a result of the method asked, and re-asks a missing one', async () => {
    const { runtime } = setUp();
    for (const wrong of [12345, 'text', [1], { action: 'maybe' }]) {
      const refused = await call(runtime, 'greet', { inputResponses: { user_name: wrong } });
      expect(errorOf(refused).code).toBe(-32602);
      expect(errorOf(refused).message).toContain('user_name');
    }
    for (const missing of [null, {}, { user_name: null }, { other: accepted({ name: 'x' }) }]) {
      const asked = resultOf(await call(runtime, 'greet', { inputResponses: missing }));
      expect(asked.resultType).toBe('input_required');
    }
  });

  it('answers -32021 with data.requiredCapabilities when the client did not declare what the handler asks', async () => {
    const { runtime } = setUp();
    const refused = await call(runtime, 'greet', {}, { capabilities: { sampling: {} } });
    expect(errorOf(refused).code).toBe(-32021);
    expect(errorOf(refused).data.requiredCapabilities).toEqual({ elicitation: {} });
  });

  it('rejects requestStateKeys shorter than 32 bytes, and opens state sealed by a runtime sharing the keys', async () => {
    expect(() => createSessionRuntime({ requestStateKeys: ['short'] })).toThrow(/32 bytes/);
    expect(() => createSessionRuntime({ requestStateKeys: [] })).toThrow(TypeError);
    const keys = ['k'.repeat(32)];
    const tool = setUp().runtime; // a runtime with its own random key
    const a = createSessionRuntime({ requestStateKeys: keys, tools: [greetTool()] });
    const b = createSessionRuntime({ requestStateKeys: keys, tools: [greetTool()] });
    const first = resultOf(await call(a, 'greet'));
    const retry = {
      inputResponses: { user_name: accepted({ name: 'Z' }) },
      requestState: first.requestState,
    };
    expect(text(await call(b, 'greet', retry))).toBe('Hi Z');
    expect(errorOf(await call(tool, 'greet', retry)).code).toBe(-32602);
  });
});

function greetTool() {
  return defineTool({
    name: 'greet',
    inputSchema: z.object({}),
    handler: async (_args, ctx) =>
      `Hi ${((await askName(ctx, 'user_name')).content as { name: string }).name}`,
  });
}

describe('multi-round-trip requests: what a client cannot make the server do', () => {
  it('refuses answers too large to carry to the next round with -32602, counted as failed, and serves on', async () => {
    const { runtime } = setUp();
    const huge = accepted({ name: 'x'.repeat(70_000) });
    const refused = await call(runtime, 'two_rounds', { inputResponses: { step1: huge } });
    expect(errorOf(refused).code).toBe(-32602);
    expect(errorOf(refused).message).toMatch(/too large/);
    const metrics = runtime.metrics();
    expect(metrics.failed).toBe(1);
    expect(metrics.inFlight).toBe(0);
    expect(metrics.accepted).toBe(metrics.completed + metrics.failed + metrics.cancelled);
    expect(resultOf(await call(runtime, 'two_rounds')).resultType).toBe('input_required');
  });

  it('settles a ctx.request the handler did not wait for once the request is answered', async () => {
    let asked: Promise<unknown> | undefined;
    const runtime = createSessionRuntime({
      tools: [
        defineTool({
          name: 'impatient',
          inputSchema: z.object({}),
          handler: (_args, ctx) => {
            asked = askName(ctx, 'maybe');
            asked.catch(() => {});
            return 'answered without waiting';
          },
        }),
      ],
    });
    expect(text(await call(runtime, 'impatient'))).toBe('answered without waiting');
    await expect(asked).rejects.toMatchObject({ code: 'request_cancelled' });
  });

  it('asks the client only for elicitation, sampling and roots', async () => {
    const runtime = createSessionRuntime({
      tools: [
        defineTool({
          name: 'pinger',
          inputSchema: z.object({}),
          handler: async (_args, ctx) => JSON.stringify(await ctx.request('ping', {})),
        }),
      ],
    });
    const result = resultOf(await call(runtime, 'pinger'));
    expect(result.resultType).toBe('complete');
    expect(result.isError).toBe(true);
    expect(result.inputRequests).toBeUndefined();
  });
});
