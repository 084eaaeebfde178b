import { CallToolResultSchema, ListToolsResultSchema } from '@modelcontextprotocol/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RuntimeEvents, SessionRuntime, ToolDefinition } from '../../src/index.js';
import { createSessionRuntime, defineTool, SessionRuntimeError, ToolError } from '../../src/index.js';
import { openSession, request } from '../helpers.js';

const add = defineTool({
  name: 'add',
  title: 'Add',
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number().describe('the other one') }),
  handler: ({ a, b }) => String(a + b),
});

const lookup = defineTool({
  name: 'lookup',
  inputSchema: z.object({ city: z.string() }),
  handler: ({ city }) => {
    if (city === 'Atlantis') throw new ToolError('No such city');
    if (city === 'crash') throw new Error('connection string leaked');
    return { content: [{ type: 'text', text: city.toUpperCase() }], structuredContent: { city } };
  },
});

type HandlerErrorEvent = Parameters<RuntimeEvents['handlerError']>[0];

// biome-ignore lint/suspicious/noExplicitAny: tools of any input schema
async function runtimeWithTools(...tools: ToolDefinition<any>[]) {
  const runtime = createSessionRuntime({ tools: tools.length > 0 ? tools : [add, lookup] });
  const failures: HandlerErrorEvent[] = [];
  runtime.events.on('handlerError', (event) => failures.push(event));
  await openSession(runtime, 's');
  return { runtime, failures };
}

/**
 * A `tools/call` answer is a valid CallToolResult on the wire: it passes the official schema, and
 * carries `content` itself (the schema would default it; the specification requires it).
 */
function expectValidCallToolResult(answer: unknown): {
  content: { type: string; text?: string }[];
  isError?: boolean;
} {
  const result = (answer as { result?: unknown }).result;
  expect(result, JSON.stringify(answer)).toBeDefined();
  expect(CallToolResultSchema.safeParse(result).success).toBe(true);
  expect(Array.isArray((result as { content?: unknown }).content)).toBe(true);
  return result as { content: { type: string; text?: string }[]; isError?: boolean };
}

const call = (runtime: SessionRuntime, id: number, name: string, args?: unknown) =>
  runtime.dispatch('s', request(id, 'tools/call', args === undefined ? { name } : { name, arguments: args }));

describe('tools', () => {
  it('lists tools with JSON Schema derived from zod, valid for the official ListToolsResult schema', async () => {
    const { runtime } = await runtimeWithTools();
    const answer = await runtime.dispatch('s', request(1, 'tools/list'));
    expect(answer).toMatchObject({
      result: {
        tools: [
          {
            name: 'add',
            title: 'Add',
            description: 'Adds two numbers',
            inputSchema: {
              type: 'object',
              properties: { a: { type: 'number' }, b: { type: 'number', description: 'the other one' } },
              required: ['a', 'b'],
            },
          },
          { name: 'lookup', inputSchema: { type: 'object', required: ['city'] } },
        ],
      },
    });
    expect(ListToolsResultSchema.safeParse((answer as { result: unknown }).result).success).toBe(true);
  });

  it('calls a tool with validated arguments; a string becomes one text block', async () => {
    const { runtime } = await runtimeWithTools();
    expect(await call(runtime, 1, 'add', { a: 2, b: 3 })).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: '5' }] },
    });
    expect(await call(runtime, 2, 'lookup', { city: 'rome' })).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { content: [{ type: 'text', text: 'ROME' }], structuredContent: { city: 'rome' } },
    });
  });
});

describe('tools/call: protocol errors (JSON-RPC -32602)', () => {
  it.each([
    ['an unknown tool', { name: 'nope' }, 'Unknown tool: "nope"'],
    // Params that break CallToolRequest are refused by the method's schema, naming the path.
    ['no name', {}, 'Invalid params for tools/call: params.name'],
    ['a name that is not a string', { name: 42 }, 'Invalid params for tools/call: params.name'],
    [
      'arguments that are a string',
      { name: 'add', arguments: 'a=1' },
      'Invalid params for tools/call: params.arguments',
    ],
    [
      'arguments that are an array',
      { name: 'add', arguments: [1, 2] },
      'Invalid params for tools/call: params.arguments',
    ],
    [
      'arguments that are null',
      { name: 'add', arguments: null },
      'Invalid params for tools/call: params.arguments',
    ],
  ])('answers %s with -32602 (the request breaks CallToolRequest)', async (_, params, message) => {
    const { runtime, failures } = await runtimeWithTools();
    const answer = await runtime.dispatch('s', request(1, 'tools/call', params));
    expect(answer).toMatchObject({ error: { code: -32602 } });
    expect((answer as { error: { message: string } }).error.message).toContain(message);
    expect(failures).toEqual([]);
  });
});

describe('tools/call: invalid arguments are tool execution errors (MCP 2025-11-25, SEP-1303)', () => {
  const place = defineTool({
    name: 'place',
    inputSchema: z.strictObject({
      point: z.object({ x: z.number(), y: z.number() }),
      tags: z.array(z.string()).max(2),
      when: z.iso.date(),
    }),
    handler: () => 'placed',
  });
  const valid = { point: { x: 1, y: 2 }, tags: ['a'], when: '2026-01-31' };

  it.each([
    [
      'a wrong type',
      { ...valid, point: { x: '1', y: 2 } },
      ['point.x: Invalid input: expected number, received string'],
    ],
    [
      'a missing argument',
      { tags: [], when: '2026-01-31' },
      ['point: Invalid input: expected object, received undefined'],
    ],
    [
      'a bad array element',
      { ...valid, tags: ['a', 3] },
      ['tags.1: Invalid input: expected string, received number'],
    ],
    [
      'a value out of range',
      { ...valid, tags: ['a', 'b', 'c'] },
      ['tags: Too big: expected array to have <=2 items'],
    ],
    ['a malformed string', { ...valid, when: '31/01/2026' }, ['when: Invalid ISO date']],
    ['an unexpected argument', { ...valid, colour: 'red' }, ['Unrecognized key: "colour"']],
    [
      'several at once',
      { point: { x: 1 }, tags: 'a', when: 1 },
      [
        'point.y: Invalid input: expected number, received undefined',
        'tags: Invalid input: expected array, received string',
        'when: Invalid input: expected string, received number',
      ],
    ],
  ])(
    'answers %s with an isError result naming each path and message, without running the handler',
    async (_, args, lines) => {
      let ran = false;
      const { runtime, failures } = await runtimeWithTools({
        ...place,
        handler: () => {
          ran = true;
          return 'placed';
        },
      });
      const result = expectValidCallToolResult(await call(runtime, 1, 'place', args));
      expect(result.isError).toBe(true);
      expect(result.content).toEqual([
        { type: 'text', text: ['Invalid arguments for tool `place`:', ...lines].join('\n') },
      ]);
      expect(ran).toBe(false);
      // The model's mistake, not the server's: no failure for the operator, and the call completed.
      expect(failures).toEqual([]);
      expect(runtime.metrics()).toMatchObject({ completed: 1, failed: 0 });
    },
  );

  it('treats absent arguments as {} (so required ones are reported missing)', async () => {
    const { runtime } = await runtimeWithTools();
    const result = expectValidCallToolResult(await call(runtime, 1, 'add'));
    expect(result).toMatchObject({ isError: true });
    expect(result.content[0]?.text).toContain('a: Invalid input: expected number, received undefined');
  });
});

describe('tools/call: what a tool throws', () => {
  it('answers a ToolError with its text in an isError result; not a failure', async () => {
    const { runtime, failures } = await runtimeWithTools();
    expect(await call(runtime, 1, 'lookup', { city: 'Atlantis' })).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'No such city' }], isError: true },
    });
    expect(failures).toEqual([]);
  });

  it.each([
    ['an Error', () => Promise.reject(new Error('connection string leaked'))],
    [
      'a synchronous throw',
      () => {
        throw new TypeError('secret path /etc/leaked');
      },
    ],
    ['a string', () => Promise.reject('leaked string')],
    ['undefined', () => Promise.reject(undefined)],
    ['an object with a message', () => Promise.reject({ message: 'leaked object' })],
  ])(
    'answers %s with a generic isError text, and reports it once with tool name and request id',
    async (_, handler) => {
      const crash = defineTool({ name: 'crash', handler: handler as never });
      const { runtime, failures } = await runtimeWithTools(crash);
      const answer = await call(runtime, 'call-7' as never, 'crash');
      const result = expectValidCallToolResult(answer);
      expect(result.isError).toBe(true);
      expect(result.content).toEqual([
        {
          type: 'text',
          text: 'Tool `crash` failed with an internal error. The server logged the details; retrying with the same arguments will likely fail again.',
        },
      ]);
      expect(JSON.stringify(answer)).not.toContain('leaked');
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({
        sessionId: 's',
        requestId: 'call-7',
        method: 'tools/call',
        target: 'crash',
      });
      expect(runtime.metrics()).toMatchObject({ completed: 0, failed: 1 });
    },
  );

  it('keeps an error that carries a JSON-RPC code a JSON-RPC error (the author chose a protocol error)', async () => {
    const refusing = defineTool({
      name: 'refusing',
      inputSchema: { kind: z.enum(['runtime', 'sdk']) },
      handler: ({ kind }) => {
        if (kind === 'runtime') throw new SessionRuntimeError('invalid_params', 'Expected a smaller page');
        throw Object.assign(new Error('URL elicitation required'), {
          code: -32042,
          data: { url: 'https://x' },
        });
      },
    });
    const { runtime, failures } = await runtimeWithTools(refusing);
    expect(await call(runtime, 1, 'refusing', { kind: 'runtime' })).toMatchObject({
      error: { code: -32602, message: 'Expected a smaller page' },
    });
    expect(await call(runtime, 2, 'refusing', { kind: 'sdk' })).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32042, message: 'URL elicitation required', data: { url: 'https://x' } },
    });
    expect(failures).toEqual([]);
  });
});

describe('tools/call: what a tool returns is a valid CallToolResult, or a reported failure', () => {
  it.each([
    ['a string', 'ok'],
    ['an empty content list', { content: [] }],
    ['text and structured content', { content: [{ type: 'text', text: 'x' }], structuredContent: { x: 1 } }],
    ['its own isError', { content: [{ type: 'text', text: 'no' }], isError: true }],
    ['an image', { content: [{ type: 'image', data: 'aGk=', mimeType: 'image/png' }] }],
    ['a resource link', { content: [{ type: 'resource_link', uri: 'file:///a', name: 'a' }] }],
    ['_meta', { content: [], _meta: { trace: 'x' } }],
  ])('passes %s through', async (_, value) => {
    const tool = defineTool({ name: 'give', handler: () => value as never });
    const { runtime, failures } = await runtimeWithTools(tool);
    const result = expectValidCallToolResult(await call(runtime, 1, 'give'));
    expect(result).toEqual(typeof value === 'string' ? { content: [{ type: 'text', text: value }] } : value);
    expect(failures).toEqual([]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['{}', {}],
    ['{ content: "text" }', { content: 'text' }],
    ['a number', 42],
    ['a boolean', true],
    ['an array of blocks', [{ type: 'text', text: 'x' }]],
    ['a block without its text', { content: [{ type: 'text' }] }],
    ['a block of an unknown type', { content: [{ type: 'video', url: 'x' }] }],
    ['a non-boolean isError', { content: [], isError: 'yes' }],
    ['structuredContent that is not an object', { content: [], structuredContent: 'x' }],
    ['structuredContent that is an array', { content: [], structuredContent: [1] }],
  ])('answers %s with a generic isError result and reports the tool to the operator', async (_, value) => {
    const tool = defineTool({ name: 'broken', handler: () => value as never });
    const { runtime, failures } = await runtimeWithTools(tool);
    const result = expectValidCallToolResult(await call(runtime, 3, 'broken'));
    expect(result.isError).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ requestId: 3, target: 'broken' });
    const error = failures[0]?.error as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^Tool `broken` returned .*, which is not a CallToolResult/);
  });

  it('answers whatever a tool returns or throws with a valid CallToolResult (property)', async () => {
    let next: () => unknown = () => undefined;
    const tool = defineTool({ name: 'any', handler: () => next() as never });
    const { runtime } = await runtimeWithTools(tool);
    let id = 0;
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.boolean(), async (value, throws) => {
        next = () => {
          if (throws) throw value;
          return value;
        };
        const answer = await call(runtime, ++id, 'any');
        if ('error' in (answer as object)) {
          // Only an Error that carries a JSON-RPC code may become a protocol error.
          expect(throws && value instanceof Error).toBe(true);
        } else expectValidCallToolResult(answer);
      }),
      { numRuns: 300 },
    );
  });
});

describe('tools without inputSchema', () => {
  const now = defineTool({ name: 'now', description: 'The time', handler: () => 'noon' });

  it('are listed with an object schema that takes no properties', async () => {
    const { runtime } = await runtimeWithTools(now);
    const answer = (await runtime.dispatch('s', request(1, 'tools/list'))) as unknown as {
      result: { tools: unknown[] };
    };
    expect(answer.result.tools[0]).toEqual({
      name: 'now',
      description: 'The time',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: {},
        additionalProperties: false,
      },
    });
    expect(ListToolsResultSchema.safeParse(answer.result).success).toBe(true);
  });

  it('run with no arguments or {}, and answer arguments they do not take with an isError result', async () => {
    const { runtime } = await runtimeWithTools(now);
    expect(expectValidCallToolResult(await call(runtime, 1, 'now'))).toEqual({
      content: [{ type: 'text', text: 'noon' }],
    });
    expect(expectValidCallToolResult(await call(runtime, 2, 'now', {}))).toEqual({
      content: [{ type: 'text', text: 'noon' }],
    });
    const result = expectValidCallToolResult(await call(runtime, 3, 'now', { city: 'Rome' }));
    expect(result).toMatchObject({ isError: true });
    expect(result.content[0]?.text).toContain('Unrecognized key: "city"');
  });
});

describe('tools with a raw shape as inputSchema (as the official SDK accepts)', () => {
  it('are read as z.object(shape): listed, validated and typed the same', async () => {
    const shaped = defineTool({
      name: 'shaped',
      inputSchema: { a: z.number(), b: z.string().optional() },
      handler: ({ a, b }) => `${a + 1}${b ?? ''}`,
    });
    const { runtime } = await runtimeWithTools(shaped);
    const listed = (await runtime.dispatch('s', request(1, 'tools/list'))) as unknown as {
      result: { tools: unknown[] };
    };
    expect(listed.result.tools[0]).toMatchObject({
      inputSchema: {
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'string' } },
        required: ['a'],
      },
    });
    expect(expectValidCallToolResult(await call(runtime, 2, 'shaped', { a: 1, b: 'x' }))).toEqual({
      content: [{ type: 'text', text: '2x' }],
    });
    expect(expectValidCallToolResult(await call(runtime, 3, 'shaped', { a: '1' }))).toMatchObject({
      isError: true,
    });
  });
});

describe('tools/call: errors carrying codes of their own', () => {
  const throwing = (name: string, error: () => unknown) =>
    defineTool({
      name,
      handler: () => {
        throw error();
      },
    });
  const withCode = (code: number, message: string) => Object.assign(new Error(message), { code });

  it.each([
    ['a gRPC status (14, unavailable)', withCode(14, 'connect ECONNREFUSED db:5432 password=hunter2')],
    ['an HTTP status', withCode(503, 'upstream https://internal.example/secret failed')],
    ['a positive JSON-RPC-looking code', withCode(32_000, 'token=abc')],
    ['a code below the reserved range', withCode(-40_000, 'token=abc')],
  ])('answers %s as a generic tool execution error and tells the operator', async (_, thrown) => {
    const { runtime, failures } = await runtimeWithTools(throwing('leaky', () => thrown));
    const result = expectValidCallToolResult(await call(runtime, 1, 'leaky', {}));
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|secret|token=/);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ requestId: 1, target: 'leaky', error: thrown });
  });

  it('keeps a code in JSON-RPC’s reserved range as a protocol error (the author chose it, e.g. -32042)', async () => {
    const required = withCode(-32042, 'URL elicitation required');
    const { runtime, failures } = await runtimeWithTools(throwing('elicit', () => required));
    expect(await call(runtime, 1, 'elicit', {})).toMatchObject({
      error: { code: -32042, message: 'URL elicitation required' },
    });
    expect(failures).toEqual([]);
  });

  it('answers a failed request of the tool’s own to the client as the tool’s failure, not a protocol error', async () => {
    const asks = defineTool({
      name: 'asks',
      handler: async (_args, ctx) => {
        // The session's client declared no elicitation capability.
        await ctx.request('elicitation/create', {
          message: 'name?',
          requestedSchema: { type: 'object', properties: {} },
        });
        return 'unreachable';
      },
    });
    const { runtime, failures } = await runtimeWithTools(asks);
    const result = expectValidCallToolResult(await call(runtime, 1, 'asks', {}));
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/^Tool `asks` could not ask the client: .*elicitation/);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.error).toBeInstanceOf(SessionRuntimeError);
    expect(failures[0]?.error).toMatchObject({ code: 'client_capability_missing' });
  });
});
