/**
 * Type tests of `definePrompt` and the resource definitions: a prompt's `get` receives the zod
 * output of its `arguments` (a zod object or a raw shape), a template's `read` receives its URI
 * variables as strings by name, and what each may return is held to its type.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type {
  Completer,
  PromptArguments,
  PromptDefinition,
  PromptReturn,
  ResourceReturn,
} from '../../src/index.js';
import { definePrompt, defineResource, defineResourceTemplate } from '../../src/index.js';

describe('definePrompt types', () => {
  it('gives get the output of a zod object of arguments, optional ones included', () => {
    const prompt = definePrompt({
      name: 'review',
      arguments: z.object({ code: z.string(), language: z.string().optional() }),
      get: (args) => {
        expectTypeOf(args).toEqualTypeOf<{ code: string; language?: string | undefined }>();
        // @ts-expect-error: not an argument of the prompt
        void args.style;
        return `Review this ${args.language ?? 'code'}:\n${args.code}`;
      },
    });
    expectTypeOf(prompt).toEqualTypeOf<
      PromptDefinition<z.ZodObject<{ code: z.ZodString; language: z.ZodOptional<z.ZodString> }>, unknown>
    >();
    expect(prompt.name).toBe('review');
  });

  it('reads a raw shape of arguments as z.object(shape), and gives none an empty record', () => {
    definePrompt({
      name: 'greet',
      arguments: { name: z.string(), tone: z.enum(['warm', 'dry']).default('warm') },
      get: (args) => {
        expectTypeOf(args).toEqualTypeOf<{ name: string; tone: 'warm' | 'dry' }>();
        return `Greet ${args.name}`;
      },
    });
    expectTypeOf<PromptArguments<{ a: z.ZodString }>>().toEqualTypeOf<{ a: string }>();
    definePrompt({
      name: 'plain',
      get: (args) => {
        expectTypeOf(args).toEqualTypeOf<Record<string, never>>();
        return 'plain';
      },
    });
  });

  it('lets get return a string or a GetPromptResult, possibly in a promise; completers take strings', () => {
    definePrompt({ name: 'a', get: () => 'text' });
    definePrompt({
      name: 'b',
      get: async () => ({ messages: [{ role: 'user', content: { type: 'text' } }] }),
    });
    expectTypeOf<Completer>().parameters.toEqualTypeOf<
      [value: string, context: { readonly arguments: Readonly<Record<string, string>> }]
    >();
    expectTypeOf<PromptReturn>().extract<string>().toEqualTypeOf<string>();
  });

  it('refuses misuse at compile time (and at run time what the runtime can see)', () => {
    const args = z.object({ code: z.string() });
    const numeric = (given: { code: number }) => String(given.code);
    // @ts-expect-error: get's argument type disagrees with the schema (code is a string)
    definePrompt({ name: 'wrongArgs', arguments: args, get: numeric });
    // @ts-expect-error: a number is not a prompt result
    definePrompt({ name: 'wrongReturn', arguments: args, get: () => 42 });
    // @ts-expect-error: a message's role is user or assistant
    definePrompt({ name: 'wrongRole', get: () => ({ messages: [{ role: 'system', content: {} }] }) });
    // @ts-expect-error: prompt arguments are an object schema
    const notObject = () => definePrompt({ name: 'notObject', arguments: z.string(), get: () => '' });
    expect(notObject).toThrow(TypeError);
  });
});

describe('resource definition types', () => {
  it('gives a template read its variables as strings by name, and a resource read its URI', () => {
    const template = defineResourceTemplate({
      uriTemplate: 'users://{id}/files/{+path}',
      name: 'user file',
      read: (uri, variables) => {
        expectTypeOf(uri).toEqualTypeOf<string>();
        expectTypeOf(variables).toEqualTypeOf<Readonly<Record<string, string>>>();
        // @ts-expect-error: variables are read-only
        variables.id = 'x';
        return `${variables.id}:${variables.path}`;
      },
      complete: { id: (value) => [value] },
    });
    expectTypeOf(template.read).returns.toEqualTypeOf<ResourceReturn | Promise<ResourceReturn>>();
    const resource = defineResource({
      uri: 'config://app',
      name: 'config',
      read: (uri) => {
        expectTypeOf(uri).toEqualTypeOf<string>();
        return { contents: [{ uri, mimeType: 'application/json', text: '{}' }] };
      },
    });
    expect(resource.uri).toBe('config://app');
  });

  it('refuses a read that returns neither a string nor contents, or wants typed variables', () => {
    // @ts-expect-error: a number is not a resource result
    defineResource({ uri: 'config://n', name: 'n', read: () => 42 });
    // @ts-expect-error: each entry of contents needs its uri
    defineResource({ uri: 'config://c', name: 'c', read: () => ({ contents: [{ text: 'x' }] }) });
    const numeric = (_uri: string, variables: { n: number }) => String(variables.n);
    // @ts-expect-error: a template's variables are strings
    defineResourceTemplate({ uriTemplate: 'x://{n}', name: 'n', read: numeric });
  });
});
