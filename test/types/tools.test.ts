/**
 * Type tests of `defineTool`: the handler's arguments are the zod output of `inputSchema` (a zod
 * object, a raw shape, a piped schema), optional fields stay optional, defaults make a field
 * present, and misuse fails to compile. `tsc -p tsconfig.json` checks these; each
 * `@ts-expect-error` line fails the typecheck if the misuse it marks ever compiles.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type {
  CallToolResult,
  HandlerContext,
  ToolArguments,
  ToolDefinition,
  ToolReturn,
} from '../../src/index.js';
import { defineTool } from '../../src/index.js';

describe('defineTool types', () => {
  it('gives the handler the output of a zod object schema, optional and defaulted fields included', () => {
    const tool = defineTool({
      name: 'search',
      inputSchema: z.object({
        query: z.string(),
        limit: z.number().int().default(10),
        language: z.enum(['en', 'it']).optional(),
        tags: z.array(z.string()).optional(),
      }),
      handler: (args) => {
        expectTypeOf(args).toEqualTypeOf<{
          query: string;
          limit: number;
          language?: 'en' | 'it' | undefined;
          tags?: string[] | undefined;
        }>();
        expectTypeOf(args.limit).toEqualTypeOf<number>();
        // @ts-expect-error: not a field of the schema
        void args.nope;
        return args.query;
      },
    });
    expectTypeOf(tool.handler).parameter(0).toEqualTypeOf<{
      query: string;
      limit: number;
      language?: 'en' | 'it' | undefined;
      tags?: string[] | undefined;
    }>();
    expect(tool.name).toBe('search');
  });

  it('reads a raw shape as z.object(shape)', () => {
    const tool = defineTool({
      name: 'add',
      inputSchema: { a: z.number(), b: z.number().optional(), c: z.string().default('x') },
      handler: (args) => {
        expectTypeOf(args).toEqualTypeOf<{ a: number; b?: number | undefined; c: string }>();
        return String(args.a + (args.b ?? 0));
      },
    });
    expectTypeOf<ToolArguments<typeof tool.inputSchema & {}>>().toEqualTypeOf<{
      a: number;
      b?: number | undefined;
      c: string;
    }>();
  });

  it('gives the output of a piped schema (after .transform), not its input', () => {
    defineTool({
      name: 'parse',
      inputSchema: z.object({ when: z.string() }).transform(({ when }) => ({ at: new Date(when) })),
      handler: (args) => {
        expectTypeOf(args).toEqualTypeOf<{ at: Date }>();
        return args.at.toISOString();
      },
    });
  });

  it('gives a tool without inputSchema an empty record of arguments', () => {
    defineTool({
      name: 'now',
      handler: (args) => {
        expectTypeOf(args).toEqualTypeOf<Record<string, never>>();
        return 'now';
      },
    });
  });

  it('lets a handler return a string, a CallToolResult, or a promise of either', () => {
    expectTypeOf<ToolReturn>().toEqualTypeOf<CallToolResult | string>();
    defineTool({ name: 'a', handler: () => 'text' });
    defineTool({ name: 'b', handler: () => ({ content: [{ type: 'text', text: 'x' }] }) });
    defineTool({
      name: 'c',
      handler: async () => ({ content: [], structuredContent: { n: 1 }, isError: false }),
    });
  });

  it('types the handler context and the definition', () => {
    const tool = defineTool({
      name: 'who',
      inputSchema: z.object({ n: z.number() }),
      handler: (_args, ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<HandlerContext<unknown>>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
        return ctx.sessionId;
      },
    });
    expectTypeOf(tool).toEqualTypeOf<ToolDefinition<z.ZodObject<{ n: z.ZodNumber }>, unknown>>();
  });

  it('refuses misuse at compile time (and at run time what the runtime can see)', () => {
    const schema = z.object({ a: z.number() });
    // @ts-expect-error: the handler's argument type disagrees with the schema (a is a number)
    defineTool({ name: 'wrongArgs', inputSchema: schema, handler: (args: { a: string }) => args.a });
    // @ts-expect-error: a number is neither a string nor a CallToolResult
    defineTool({ name: 'wrongReturn', inputSchema: schema, handler: () => 42 });
    // @ts-expect-error: a CallToolResult needs content
    defineTool({ name: 'noContent', handler: () => ({ isError: true }) });
    // @ts-expect-error: a tool's input schema must describe an object
    const notObject = () => defineTool({ name: 'notObject', inputSchema: z.string(), handler: () => '' });
    // @ts-expect-error: a tool needs a handler
    const noHandler = () => defineTool({ name: 'noHandler', inputSchema: schema });
    // @ts-expect-error: a tool needs a name
    const noName = () => defineTool({ inputSchema: schema, handler: () => '' });
    expect(notObject).toThrow(TypeError);
    expect(noHandler).toThrow(TypeError);
    expect(noName).toThrow(TypeError);
  });
});
