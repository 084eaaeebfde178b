import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileUriTemplate } from '../../src/features/resources.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
} from '../../src/index.js';
import { openSession, request } from '../helpers.js';

const staticText = defineResource({
  uri: 'test://static-text',
  name: 'Static text',
  mimeType: 'text/plain',
  read: () => 'This is the content',
});

const userTemplate = defineResourceTemplate({
  uriTemplate: 'users://{id}/profile',
  name: 'User profile',
  mimeType: 'application/json',
  read: (_uri, { id }) => JSON.stringify({ id }),
  complete: { id: (value) => ['alice', 'albert', 'bob'].filter((name) => name.startsWith(value)) },
});

const greeting = definePrompt({
  name: 'greet',
  description: 'Greets someone',
  arguments: z.object({
    name: z.string().describe('Who to greet'),
    style: z.string().optional(),
  }),
  get: ({ name, style }) => `Hello ${name}${style ? ` (${style})` : ''}`,
  complete: { style: (value) => ['formal', 'friendly'].filter((style) => style.startsWith(value)) },
});

async function runtimeWithAll() {
  const runtime = createSessionRuntime({
    resources: [staticText],
    resourceTemplates: [userTemplate],
    prompts: [greeting],
  });
  await openSession(runtime, 's');
  return runtime;
}

describe('URI templates', () => {
  it('matches simple and reserved variables, decoding them', () => {
    expect(compileUriTemplate('users://{id}/profile').match('users://a%20b/profile')).toEqual({ id: 'a b' });
    expect(compileUriTemplate('users://{id}/profile').match('users://a/b/profile')).toBeUndefined();
    expect(compileUriTemplate('file:///{+path}').match('file:///a/b.txt')).toEqual({ path: 'a/b.txt' });
    expect(compileUriTemplate('x://{a}.{b}').match('x://1.2')).toEqual({ a: '1', b: '2' });
  });
});

describe('resources', () => {
  it('declares resources, prompts and completions in the initialize answer', async () => {
    const runtime = createSessionRuntime({ resources: [staticText], prompts: [greeting] });
    const answer = await runtime.dispatch('s', {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    });
    expect(answer).toMatchObject({
      result: { capabilities: { resources: { subscribe: true }, prompts: {}, completions: {} } },
    });
  });

  it('lists resources and templates and reads both', async () => {
    const runtime = await runtimeWithAll();
    expect(await runtime.dispatch('s', request(1, 'resources/list'))).toMatchObject({
      result: { resources: [{ uri: 'test://static-text', name: 'Static text', mimeType: 'text/plain' }] },
    });
    expect(await runtime.dispatch('s', request(2, 'resources/templates/list'))).toMatchObject({
      result: { resourceTemplates: [{ uriTemplate: 'users://{id}/profile', name: 'User profile' }] },
    });
    expect(await runtime.dispatch('s', request(3, 'resources/read', { uri: 'test://static-text' }))).toEqual({
      jsonrpc: '2.0',
      id: 3,
      result: {
        contents: [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content' }],
      },
    });
    expect(
      await runtime.dispatch('s', request(4, 'resources/read', { uri: 'users://42/profile' })),
    ).toMatchObject({
      result: { contents: [{ uri: 'users://42/profile', text: '{"id":"42"}' }] },
    });
  });

  it('answers an unknown URI with -32002 resource not found', async () => {
    const runtime = await runtimeWithAll();
    expect(await runtime.dispatch('s', request(1, 'resources/read', { uri: 'nope://x' }))).toMatchObject({
      error: { code: -32002, data: { uri: 'nope://x', reason: 'resource_not_found' } },
    });
  });

  it('sends resources/updated only to subscribed sessions, until they unsubscribe or stop', async () => {
    const runtime = await runtimeWithAll();
    await openSession(runtime, 'other');
    const seen: Record<string, unknown[]> = { s: [], other: [] };
    runtime.attach('s', (message) => seen.s?.push(message));
    runtime.attach('other', (message) => seen.other?.push(message));
    expect(
      await runtime.dispatch('s', request(1, 'resources/subscribe', { uri: 'test://static-text' })),
    ).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {},
    });
    expect(runtime.notifyResourceUpdated('test://static-text')).toBe(1);
    expect(seen).toEqual({
      s: [
        { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://static-text' } },
      ],
      other: [],
    });
    await runtime.dispatch('s', request(2, 'resources/unsubscribe', { uri: 'test://static-text' }));
    expect(runtime.notifyResourceUpdated('test://static-text')).toBe(0);
    await runtime.dispatch('other', request(3, 'resources/subscribe', { uri: 'test://static-text' }));
    runtime.remove('other');
    expect(runtime.notifyResourceUpdated('test://static-text')).toBe(0);
  });
});

describe('prompts', () => {
  it('lists prompts with arguments derived from zod', async () => {
    const runtime = await runtimeWithAll();
    expect(await runtime.dispatch('s', request(1, 'prompts/list'))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        prompts: [
          {
            name: 'greet',
            description: 'Greets someone',
            arguments: [
              { name: 'name', required: true, description: 'Who to greet' },
              { name: 'style', required: false },
            ],
          },
        ],
      },
    });
  });

  it('gets a prompt with validated arguments', async () => {
    const runtime = await runtimeWithAll();
    expect(
      await runtime.dispatch('s', request(1, 'prompts/get', { name: 'greet', arguments: { name: 'Ada' } })),
    ).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { messages: [{ role: 'user', content: { type: 'text', text: 'Hello Ada' } }] },
    });
    expect(
      await runtime.dispatch('s', request(2, 'prompts/get', { name: 'greet', arguments: {} })),
    ).toMatchObject({
      error: { code: -32602, data: { issues: [{ path: ['name'] }] } },
    });
    expect(await runtime.dispatch('s', request(3, 'prompts/get', { name: 'nope' }))).toMatchObject({
      error: { code: -32602 },
    });
  });
});

describe('completion', () => {
  it('completes prompt arguments and template variables', async () => {
    const runtime = await runtimeWithAll();
    expect(
      await runtime.dispatch(
        's',
        request(1, 'completion/complete', {
          ref: { type: 'ref/prompt', name: 'greet' },
          argument: { name: 'style', value: 'f' },
        }),
      ),
    ).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { completion: { values: ['formal', 'friendly'], total: 2, hasMore: false } },
    });
    expect(
      await runtime.dispatch(
        's',
        request(2, 'completion/complete', {
          ref: { type: 'ref/resource', uri: 'users://{id}/profile' },
          argument: { name: 'id', value: 'al' },
        }),
      ),
    ).toMatchObject({ result: { completion: { values: ['alice', 'albert'] } } });
    expect(
      await runtime.dispatch(
        's',
        request(3, 'completion/complete', {
          ref: { type: 'ref/prompt', name: 'greet' },
          argument: { name: 'name', value: 'x' },
        }),
      ),
    ).toMatchObject({ result: { completion: { values: [], total: 0 } } });
    expect(
      await runtime.dispatch(
        's',
        request(4, 'completion/complete', {
          ref: { type: 'ref/prompt', name: 'nope' },
          argument: { name: 'a', value: '' },
        }),
      ),
    ).toMatchObject({ error: { code: -32602 } });
  });
});

describe('what prompts, resources and completers return is valid on the wire, or a reported failure', () => {
  async function serving(options: Parameters<typeof createSessionRuntime>[0]) {
    const runtime = createSessionRuntime(options);
    const failures: { method: string; target: string | undefined; error: unknown }[] = [];
    runtime.events.on('handlerError', ({ method, target, error }) =>
      failures.push({ method, target, error }),
    );
    await openSession(runtime, 's');
    return { runtime, failures };
  }

  it.each([
    ['undefined', undefined],
    ['{}', {}],
    ['{ messages: "text" }', { messages: 'text' }],
    ['a message without content', { messages: [{ role: 'user' }] }],
    [
      'a message of an unknown role',
      { messages: [{ role: 'system', content: { type: 'text', text: 'x' } }] },
    ],
    ['a number', 7],
  ])('prompts/get answers a prompt returning %s with internal_error and reports it', async (_, value) => {
    const { runtime, failures } = await serving({
      prompts: [definePrompt({ name: 'bad', get: () => value as never })],
    });
    const answer = await runtime.dispatch('s', request(1, 'prompts/get', { name: 'bad' }));
    expect(answer).toMatchObject({ error: { code: -32603, message: 'Internal error' } });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ method: 'prompts/get', target: 'bad' });
    expect(String(failures[0]?.error)).toMatch(/Prompt `bad` returned .*, which is not a GetPromptResult/);
  });

  it.each([
    ['undefined', undefined],
    ['{}', {}],
    ['{ contents: "text" }', { contents: 'text' }],
    ['contents without a uri', { contents: [{ text: 'x' }] }],
    ['a number', 7],
  ])('resources/read answers a resource read as %s with internal_error and reports it', async (_, value) => {
    const { runtime, failures } = await serving({
      resources: [defineResource({ uri: 'bad://one', name: 'bad', read: () => value as never })],
    });
    const answer = await runtime.dispatch('s', request(1, 'resources/read', { uri: 'bad://one' }));
    expect(answer).toMatchObject({ error: { code: -32603 } });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ method: 'resources/read', target: 'bad://one' });
  });

  it.each([
    ['undefined', undefined],
    ['a string', 'alice'],
    ['numbers', [1, 2]],
  ])(
    'completion/complete answers a completer returning %s with internal_error and reports it',
    async (_, value) => {
      const { runtime, failures } = await serving({
        prompts: [
          definePrompt({
            name: 'p',
            arguments: { who: z.string() },
            complete: { who: () => value as never },
            get: () => 'x',
          }),
        ],
      });
      const answer = await runtime.dispatch(
        's',
        request(1, 'completion/complete', {
          ref: { type: 'ref/prompt', name: 'p' },
          argument: { name: 'who', value: 'a' },
        }),
      );
      expect(answer).toMatchObject({ error: { code: -32603 } });
      expect(failures).toHaveLength(1);
    },
  );
});
