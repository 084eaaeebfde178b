/**
 * Method params are checked against the official schemas (`@modelcontextprotocol/core`): a request
 * that breaks its method's schema gets -32602 with what was wrong, and never reaches a handler; an
 * invalid cursor on any paginated list method is -32602 too (MCP 2025-11-25, "Pagination").
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
} from '../../src/index.js';
import { checkRequestParams } from '../../src/protocol/params.js';
import { openSession, request } from '../helpers.js';

const calls: string[] = [];

async function fullRuntime(): Promise<SessionRuntime> {
  calls.length = 0;
  const runtime = createSessionRuntime({
    tools: [
      defineTool({
        name: 'echo',
        inputSchema: z.object({ text: z.string() }),
        handler: ({ text }) => {
          calls.push('echo');
          return text;
        },
      }),
    ],
    resources: [
      defineResource({
        uri: 'test://static',
        name: 'Static',
        read: () => {
          calls.push('read');
          return 'content';
        },
      }),
    ],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: 'users://{id}',
        name: 'User',
        read: (_uri, { id }) => String(id),
      }),
    ],
    prompts: [
      definePrompt({
        name: 'greet',
        arguments: z.object({ name: z.string() }),
        get: ({ name }) => {
          calls.push('greet');
          return `Hello ${name}`;
        },
      }),
    ],
    handlers: { custom: (params) => ({ echoed: params }) },
  });
  await openSession(runtime, 's');
  return runtime;
}

/** Samples of the kind: every method the runtime serves, with params that break its schema. */
const invalidSamples: readonly [string, Record<string, unknown>, string][] = [
  ['tools/call', {}, 'params.name'],
  ['tools/call', { name: 5 }, 'params.name'],
  ['tools/call', { name: 'echo', arguments: ['x'] }, 'params.arguments'],
  ['tools/call', { name: 'echo', arguments: 'text' }, 'params.arguments'],
  ['tools/list', { cursor: 5 }, 'params.cursor'],
  ['resources/list', { cursor: null }, 'params.cursor'],
  ['resources/templates/list', { cursor: {} }, 'params.cursor'],
  ['prompts/list', { cursor: true }, 'params.cursor'],
  ['resources/read', {}, 'params.uri'],
  ['resources/read', { uri: 7 }, 'params.uri'],
  ['resources/subscribe', { uri: ['test://static'] }, 'params.uri'],
  ['resources/unsubscribe', {}, 'params.uri'],
  ['prompts/get', { arguments: { name: 'x' } }, 'params.name'],
  ['prompts/get', { name: 'greet', arguments: { name: 1 } }, 'params.arguments.name'],
  ['completion/complete', { argument: { name: 'a', value: 'b' } }, 'params.ref'],
  ['completion/complete', { ref: { type: 'ref/prompt', name: 'greet' } }, 'params.argument'],
  ['logging/setLevel', { level: 'loud' }, 'params.level'],
  ['logging/setLevel', {}, 'params.level'],
  ['ping', { _meta: { progressToken: null } }, 'params._meta.progressToken'],
  ['tools/list', { _meta: { progressToken: 1.5, other: 1 } }, 'params._meta.progressToken'],
];

describe('params checked against the official schemas', () => {
  it.each(invalidSamples)(
    'answers %s %j with -32602 naming %s, and runs no handler',
    async (method, params, path) => {
      const runtime = await fullRuntime();
      const answer = await runtime.dispatch('s', request(1, method, params));
      expect(answer).toMatchObject({
        jsonrpc: '2.0',
        id: 1,
        error: {
          code: -32602,
          // Issues inside `_meta` are found by the envelope's schema, which does not name the method.
          message: expect.stringMatching(new RegExp(`^Invalid params( for ${method})?: ${path}: `)),
          data: { reason: 'invalid_params', issues: expect.arrayContaining([expect.anything()]) },
        },
      });
      const issues = (answer as { error: { data: { issues: { path: unknown[] }[] } } }).error.data.issues;
      expect(issues.map((issue) => issue.path.join('.'))).toContain(path);
      expect(calls).toEqual([]);
      expect(runtime.metrics().rejected.invalid_params).toBe(1);
      // The session goes on serving.
      expect(await runtime.dispatch('s', request(2, 'ping'))).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
    },
  );

  it.each([
    ['tools/call', { name: 'echo', arguments: { text: 'hi' } }],
    ['tools/call', { name: 'echo', arguments: { text: 'hi' }, _meta: { progressToken: 'p' } }],
    // Keys the schema does not know are left alone, as the schema's own parse would.
    ['tools/call', { name: 'echo', arguments: { text: 'hi' }, extension: { any: 1 } }],
    ['tools/list', {}],
    ['tools/list', { _meta: { progressToken: 1, traceparent: 'x' } }],
    ['resources/read', { uri: 'test://static' }],
    ['prompts/get', { name: 'greet', arguments: { name: 'Ada' } }],
    [
      'completion/complete',
      { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'A' } },
    ],
    ['logging/setLevel', { level: 'debug' }],
    ['resources/subscribe', { uri: 'test://static' }],
    ['ping', {}],
  ])('serves %s %j', async (method, params) => {
    const runtime = await fullRuntime();
    const answer = await runtime.dispatch('s', request(1, method, params));
    expect(answer).toMatchObject({ jsonrpc: '2.0', id: 1, result: expect.anything() });
  });

  it('leaves the params of an application method to its handler', async () => {
    const runtime = await fullRuntime();
    expect(await runtime.dispatch('s', request(1, 'custom', { name: 5, cursor: {} }))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { echoed: { name: 5, cursor: {} } },
    });
  });

  it('checks a handler the application registered under an MCP method name too', async () => {
    let ran = false;
    const runtime = createSessionRuntime({
      handlers: {
        'tools/call': () => {
          ran = true;
          return { content: [] };
        },
      },
    });
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'tools/call', { name: ['x'] }))).toMatchObject({
      error: { code: -32602 },
    });
    expect(ran).toBe(false);
  });

  it('answers a method the server does not serve with -32601, whatever its params', async () => {
    const runtime = createSessionRuntime({ handlers: { custom: () => ({}) } });
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'tools/call', { name: 5 }))).toMatchObject({
      error: { code: -32601 },
    });
  });

  it('says how many more issues there were, and lists at most ten', () => {
    const answer = checkRequestParams(1, 'completion/complete', {});
    expect(answer?.error.message).toMatch(
      /^Invalid params for completion\/complete: params\.\w+: .+ \(and 1 more\)$/,
    );
    const arguments_ = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`a${index}`, index]));
    const many = checkRequestParams(2, 'prompts/get', { name: 'p', arguments: arguments_ });
    expect(many?.error.data).toMatchObject({ issues: expect.any(Array) });
    expect((many?.error.data as { issues: unknown[] } | undefined)?.issues).toHaveLength(10);
    expect(many?.error.message).toContain('(and 19 more)');
  });

  it('keeps a client-chosen key in the message short', () => {
    const key = 'k'.repeat(10_000);
    const answer = checkRequestParams(1, 'prompts/get', { name: 'p', arguments: { [key]: 1 } });
    expect(answer?.error.message.length).toBeLessThan(300);
  });
});

describe('invalid cursors on the paginated list methods', () => {
  it.each(['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list'])(
    'answers %s with a cursor this server never issued with -32602',
    async (method) => {
      const runtime = await fullRuntime();
      for (const cursor of ['bogus', '', 'eyJwYWdlIjoyfQ==']) {
        expect(await runtime.dispatch('s', request(1, method, { cursor }))).toMatchObject({
          jsonrpc: '2.0',
          id: 1,
          error: { code: -32602, message: expect.stringContaining('Invalid cursor') },
        });
      }
      // Without a cursor, the first (and only) page.
      const first = await runtime.dispatch('s', request(2, method));
      expect(first).toMatchObject({ id: 2, result: expect.anything() });
      expect((first as { result: Record<string, unknown> }).result.nextCursor).toBeUndefined();
    },
  );

  it('leaves cursors to an application that serves its own list', async () => {
    const runtime = createSessionRuntime({
      handlers: { 'tools/list': (params) => ({ tools: [], page: params.cursor }) },
    });
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'tools/list', { cursor: 'page-2' }))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { tools: [], page: 'page-2' },
    });
  });
});
