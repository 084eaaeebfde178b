/**
 * Definitions fail loudly when they are written (issue 13, item 9): a tool, prompt or resource with
 * a mistake throws a TypeError from `define…` (and from `createSessionRuntime` for one written as a
 * plain object), never later as an invalid `tools/list` that makes a client drop every tool.
 */
import { ListToolsResultSchema } from '@modelcontextprotocol/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { z as z3 } from 'zod/v3';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
} from '../../src/index.js';
import { closestName, editDistance } from '../../src/protocol/closestName.js';
import { openSession, request } from '../helpers.js';

const handler = () => 'ok';

/** Every way a tool reaches the runtime: through `defineTool`, or as a plain object in the options. */
const toolEntries = [
  ['defineTool', (tool: unknown) => defineTool(tool as never)],
  ['createSessionRuntime', (tool: unknown) => createSessionRuntime({ tools: [tool as never] })],
] as const;

describe.each(toolEntries)('tool definitions checked by %s', (_, check) => {
  it.each(['', 'my tool', 'get weather!', 'a/b', 'a,b', 'café', 'x'.repeat(129), 'tab\tname'])(
    'refuse the name %j (MCP 2025-11-25: 1 to 128 of A-Z a-z 0-9 _ - .)',
    (name) => {
      expect(() => check({ name, handler })).toThrow(TypeError);
      expect(() => check({ name, handler })).toThrow(/Expected a tool name of 1 to 128 characters/);
    },
  );

  it.each(['a', 'get_weather', 'v1.search', 'A-B_c.9', 'x'.repeat(128)])('accept the name %j', (name) => {
    expect(() => check({ name, handler })).not.toThrow();
  });

  it.each([
    ['z.string()', z.string(), /got a schema of type "string"/],
    ['z.number()', z.number(), /got a schema of type "number"/],
    ['z.array()', z.array(z.string()), /got a schema of type "array"/],
    [
      'a union of objects',
      z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]),
      /without `"type": "object"`/,
    ],
    ['z.null()', z.null(), /got a schema of type "null"/],
  ])('refuse %s as inputSchema (it is advertised as non-object JSON Schema)', (_, inputSchema, message) => {
    expect(() => check({ name: 't', inputSchema, handler })).toThrow(TypeError);
    expect(() => check({ name: 't', inputSchema, handler })).toThrow(message);
  });

  it.each([
    ['z.date()', z.object({ at: z.date() })],
    ['z.bigint()', z.object({ n: z.bigint() })],
  ])('refuse a schema holding %s, which JSON Schema cannot describe', (_, inputSchema) => {
    expect(() => check({ name: 't', inputSchema, handler })).toThrow(/representable as JSON Schema/);
  });

  it.each([
    ['a zod 3 object', z3.object({ a: z3.number() })],
    ['a zod 3 string', z3.string()],
    ['a raw shape holding a zod 3 schema', { a: z3.number() }],
  ])('refuse %s, saying zod 4 is required', (_, inputSchema) => {
    expect(() => check({ name: 't', inputSchema, handler })).toThrow(TypeError);
    expect(() => check({ name: 't', inputSchema, handler })).toThrow(
      /zod 4 schema.*zod 3 schemas are not supported/,
    );
  });

  it.each([
    ['a JSON Schema', { type: 'object', properties: {} }],
    ['a string', 'object'],
    ['an array', [z.string()]],
    ['null', null],
  ])('refuse %s as inputSchema', (_, inputSchema) => {
    expect(() => check({ name: 't', inputSchema, handler })).toThrow(/zod 4 object schema/);
  });

  it.each([
    ['descripton', 'description'],
    ['inputSchemas', 'inputSchema'],
    ['hander', 'handler'],
    ['open', 'opens'],
    ['titel', 'title'],
    ['annotation', 'annotations'],
  ])('refuse the misspelt key %s, naming %s', (key, suggestion) => {
    expect(() => check({ name: 't', handler, [key]: 'x' })).toThrow(
      `Unknown key \`${key}\` in tool \`t\`; did you mean \`${suggestion}\`?`,
    );
  });

  it('refuse a key no tool has, listing the valid ones', () => {
    expect(() => check({ name: 't', handler, colour: 'red' })).toThrow(
      /Unknown key `colour` in tool `t`; expected one of `name`, `title`/,
    );
  });

  it.each(['outputSchema', 'icons', '_meta'])(
    'refuse the MCP field %s, which is not served yet, saying so',
    (key) => {
      expect(() => check({ name: 't', handler, [key]: {} })).toThrow(
        `The key \`${key}\` in tool \`t\` is an MCP field this runtime does not serve yet`,
      );
    },
  );

  it.each(['forbidden', 'optional', 'required', undefined])(
    'accept execution.taskSupport %s',
    (taskSupport) => {
      expect(() => check({ name: 't', handler, execution: { taskSupport } })).not.toThrow();
    },
  );

  it.each([
    ['a string', 'optional', /Expected the `execution` of tool `t` to be an object/],
    ['an unknown taskSupport', { taskSupport: 'always' }, /Expected `execution.taskSupport` of tool `t`/],
    ['an unknown key', { taskSuport: 'optional' }, /Unknown key `taskSuport` in the `execution` of tool `t`/],
  ])('refuse an execution that is %s', (_what, execution, message) => {
    expect(() => check({ name: 't', handler, execution })).toThrow(message);
  });

  it('refuse a beforeTask that is not a function', () => {
    expect(() => check({ name: 't', handler, beforeTask: 'x' })).toThrow(
      /Expected the `beforeTask` of tool `t` to be a function/,
    );
  });

  it.each([
    ['no handler', { name: 't' }],
    ['a handler that is a string', { name: 't', handler: 'ok' }],
  ])('refuse %s', (_, tool) => {
    expect(() => check(tool)).toThrow(/Expected the `handler` of tool `t` to be a function/);
  });

  it.each([
    ['annotations of the wrong type', { annotations: { readOnlyHint: 'yes' } }, /annotations.readOnlyHint/],
    ['a numeric description', { description: 42 }, /description/],
    [
      'an advertised schema that is not an object schema',
      { advertisedInputSchema: { type: 'string' } },
      /inputSchema.type/,
    ],
  ])('refuse %s (checked with the official Tool schema)', (_, extra, message) => {
    expect(() => check({ name: 't', handler, ...extra })).toThrow(message);
  });

  it.each([
    ['null', null],
    ['a string', 'add'],
    ['a zod schema', z.object({})],
    ['a function', () => 'ok'],
  ])('refuse %s as a definition', (_, tool) => {
    expect(() => check(tool)).toThrow(/Expected a tool definition object/);
  });
});

describe('tool lists', () => {
  it('refuse two tools of one name', () => {
    const one = defineTool({ name: 'same', handler });
    const two = defineTool({ name: 'same', description: 'other', handler });
    expect(() => createSessionRuntime({ tools: [one, two] })).toThrow(
      'Expected tool names to be unique, got `same` twice',
    );
  });

  it('are valid for the official ListToolsResult schema whatever shape each schema was given in', async () => {
    const runtime = createSessionRuntime({
      tools: [
        defineTool({ name: 'none', handler }),
        defineTool({ name: 'shape', inputSchema: { a: z.number() }, handler }),
        defineTool({ name: 'object', inputSchema: z.object({ a: z.string().optional() }), handler }),
        defineTool({ name: 'strict', inputSchema: z.strictObject({}), handler }),
        defineTool({ name: 'piped', inputSchema: z.object({ n: z.string() }).transform((v) => v), handler }),
        defineTool({ name: 'record', inputSchema: z.record(z.string(), z.number()), handler }),
      ],
    });
    await openSession(runtime, 's');
    const answer = (await runtime.dispatch('s', request(1, 'tools/list'))) as unknown as { result: unknown };
    expect(ListToolsResultSchema.safeParse(answer.result).success).toBe(true);
  });
});

describe('prompt definitions', () => {
  const get = () => 'text';

  it.each([
    [
      'z.string() arguments',
      { name: 'p', arguments: z.string(), get },
      /`arguments` of prompt `p` to be an object schema/,
    ],
    [
      'zod 3 arguments',
      { name: 'p', arguments: z3.object({ a: z3.string() }), get },
      /zod 3 schemas are not supported/,
    ],
    ['no get', { name: 'p' }, /`get` of prompt `p` to be a function/],
    ['an empty name', { name: '', get }, /Expected a prompt name/],
    [
      'a misspelt key',
      { name: 'p', get, descripton: 'x' },
      /Unknown key `descripton` in prompt `p`; did you mean `description`\?/,
    ],
    [
      'a completer for no argument',
      { name: 'p', arguments: z.object({ language: z.string() }), complete: { lang: () => [] }, get },
      /Unknown argument `lang` in the completers of prompt `p`; did you mean `language`\?/,
    ],
    [
      'a completer that is no function',
      { name: 'p', arguments: { a: z.string() }, complete: { a: 'x' }, get },
      /completer of argument `a`/,
    ],
    [
      'completers without arguments',
      { name: 'p', complete: { a: () => [] }, get },
      /Unknown argument `a`.*there are none/,
    ],
  ])('refuse %s', (_, prompt, message) => {
    expect(() => definePrompt(prompt as never)).toThrow(TypeError);
    expect(() => definePrompt(prompt as never)).toThrow(message);
    expect(() => createSessionRuntime({ prompts: [prompt as never] })).toThrow(message);
  });

  it('accept a raw shape as arguments, listed and validated as z.object(shape)', async () => {
    const prompt = definePrompt({
      name: 'review',
      arguments: { code: z.string().describe('The code'), tone: z.string().optional() },
      get: ({ code }) => `Review ${code}`,
    });
    const runtime = createSessionRuntime({ prompts: [prompt] });
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'prompts/list'))).toMatchObject({
      result: {
        prompts: [
          {
            name: 'review',
            arguments: [
              { name: 'code', required: true, description: 'The code' },
              { name: 'tone', required: false },
            ],
          },
        ],
      },
    });
    expect(
      await runtime.dispatch('s', request(2, 'prompts/get', { name: 'review', arguments: {} })),
    ).toMatchObject({
      error: { code: -32602 },
    });
  });

  it('refuse two prompts of one name', () => {
    expect(() =>
      createSessionRuntime({ prompts: [definePrompt({ name: 'p', get }), definePrompt({ name: 'p', get })] }),
    ).toThrow('Expected prompt names to be unique, got `p` twice');
  });
});

describe('resource definitions', () => {
  const read = () => 'text';

  it.each([
    ['a relative uri', { uri: 'config', name: 'c', read }, /absolute URI/],
    ['no uri', { name: 'c', read }, /absolute URI/],
    ['no read', { uri: 'config://app', name: 'c' }, /`read` of resource `config:\/\/app` to be a function/],
    ['no name', { uri: 'config://app', read }, /resource `config:\/\/app`.*name/],
    [
      'a misspelt key',
      { uri: 'config://app', name: 'c', read, mimetype: 'text/plain' },
      /Unknown key `mimetype` in resource `config:\/\/app`; did you mean `mimeType`\?/,
    ],
    ['a size that is a string', { uri: 'config://app', name: 'c', read, size: '1kB' }, /size/],
  ])('refuse %s', (_, resource, message) => {
    expect(() => defineResource(resource as never)).toThrow(TypeError);
    expect(() => defineResource(resource as never)).toThrow(message);
    expect(() => createSessionRuntime({ resources: [resource as never] })).toThrow(message);
  });

  it.each([
    ['a query expression', 'search://{q}{?page}', /got `\{\?page\}`/],
    ['a path expression', 'files://{/path}', /got `\{\/path\}`/],
    ['a fragment expression', 'doc://{id}{#part}', /got `\{#part\}`/],
    ['a list of variables', 'pair://{a,b}', /got `\{a,b\}`/],
    ['an unclosed brace', 'users://{id', /got `\{id`/],
    ['a repeated variable', 'x://{id}/{id}', /variables of resource template .* to be unique/],
  ])('refuse a template with %s (it could never match a URI)', (_, uriTemplate, message) => {
    const template = { uriTemplate, name: 't', read };
    expect(() => defineResourceTemplate(template)).toThrow(message);
    expect(() => createSessionRuntime({ resourceTemplates: [template] })).toThrow(message);
  });

  it('refuse a completer for a variable the template does not have, naming the closest', () => {
    expect(() =>
      defineResourceTemplate({
        uriTemplate: 'users://{userId}',
        name: 'u',
        read,
        complete: { userid: () => [] },
      }),
    ).toThrow(
      'Unknown variable `userid` in the completers of resource template `users://{userId}`; did you mean `userId`?',
    );
  });

  it('accept {name} and {+name} templates', () => {
    expect(() =>
      defineResourceTemplate({
        uriTemplate: 'files://{+path}/v/{version}',
        name: 'f',
        read,
        complete: { path: () => [] },
      }),
    ).not.toThrow();
  });

  it('refuse two resources of one URI and two identical templates', () => {
    const resource = { uri: 'a://b', name: 'x', read };
    expect(() => createSessionRuntime({ resources: [resource, { ...resource, name: 'y' }] })).toThrow(
      'Expected resource URIs to be unique, got `a://b` twice',
    );
    const template = { uriTemplate: 'a://{id}', name: 'x', read };
    expect(() => createSessionRuntime({ resourceTemplates: [template, { ...template }] })).toThrow(
      'Expected resource templates to be unique, got `a://{id}` twice',
    );
  });
});

describe('closestName', () => {
  it.each([
    ['idleTimeoutMS', ['idleTimeoutMs', 'maxSessions'], 'idleTimeoutMs'],
    ['maxSession', ['maxSessions', 'maxSessionsPerPrincipal'], 'maxSessions'],
    ['allowedHost', ['allowedHosts', 'allowedOrigins'], 'allowedHosts'],
    ['lang', ['language'], 'language'],
    ['requestTimeout', ['requestTimeoutMs', 'clientRequestTimeoutMs'], 'requestTimeoutMs'],
    ['mailboxCapcity', ['mailboxCapacity'], 'mailboxCapacity'],
  ])('suggests the nearest valid name for %s', (name, candidates, expected) => {
    expect(closestName(name, candidates)).toBe(expected);
  });

  it.each([
    ['port', ['maxSessions', 'idleTimeoutMs']],
    ['x', ['y']],
    ['verbose', ['logging']],
  ])('suggests nothing for %s when no name is near', (name, candidates) => {
    expect(closestName(name, candidates)).toBeUndefined();
  });

  it('measures edits, case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('ABC', 'abc')).toBe(0);
  });
});
