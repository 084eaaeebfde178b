/**
 * Type tests of the shared `context`: the `TContext` that `createSessionRuntime` infers from its
 * `context` option is the type of `ctx.context` in every inline handler, and a definition declared
 * with `HandlerContext<T>` must agree with the runtime's context. The run-time halves check that the
 * value is the one given.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { HandlerContext, RequestHandler, ToolDefinition } from '../../src/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
} from '../../src/index.js';
import { openSession, request } from '../helpers.js';

interface AppContext {
  readonly db: { lookup(id: string): number };
}

const appContext: AppContext = { db: { lookup: (id) => id.length } };

describe('TContext', () => {
  it('flows from the context option into inline handlers', async () => {
    const runtime = createSessionRuntime({
      context: appContext,
      handlers: {
        lookup: (params, ctx) => {
          expectTypeOf(ctx).toEqualTypeOf<HandlerContext<AppContext>>();
          expectTypeOf(ctx.context).toEqualTypeOf<AppContext>();
          return { n: ctx.context.db.lookup(String(params.id)) };
        },
      },
    });
    await openSession(runtime, 's');
    expect(await runtime.dispatch('s', request(1, 'lookup', { id: 'abc' }))).toMatchObject({
      result: { n: 3 },
    });
    await runtime.close();
  });

  it('is undefined without a context option', () => {
    const runtime = createSessionRuntime({
      handlers: {
        none: (_params, ctx) => {
          expectTypeOf(ctx.context).toEqualTypeOf<undefined>();
          return {};
        },
      },
    });
    expect(runtime.size).toBe(0);
  });

  it('is inferred by defineTool, definePrompt and the resource definitions from a typed HandlerContext', async () => {
    const tool = defineTool({
      name: 'lookup',
      inputSchema: { id: z.string() },
      handler: ({ id }, ctx: HandlerContext<AppContext>) => String(ctx.context.db.lookup(id)),
    });
    expectTypeOf(tool).toEqualTypeOf<ToolDefinition<{ id: z.ZodString }, AppContext>>();
    const prompt = definePrompt({
      name: 'p',
      get: (_args, ctx: HandlerContext<AppContext>) => String(ctx.context.db.lookup('p')),
    });
    expectTypeOf(prompt.get).parameter(1).toEqualTypeOf<HandlerContext<AppContext>>();
    const resource = defineResource({
      uri: 'app://config',
      name: 'config',
      read: (_uri, ctx: HandlerContext<AppContext>) => String(ctx.context.db.lookup('r')),
    });
    expectTypeOf(resource.read).parameter(1).toEqualTypeOf<HandlerContext<AppContext>>();
    const template = defineResourceTemplate({
      uriTemplate: 'app://items/{id}',
      name: 'item',
      read: (_uri, { id }, ctx: HandlerContext<AppContext>) => String(ctx.context.db.lookup(id ?? '')),
    });
    expectTypeOf(template.read).parameter(2).toEqualTypeOf<HandlerContext<AppContext>>();

    const runtime = createSessionRuntime({
      context: appContext,
      tools: [tool],
      prompts: [prompt],
      resources: [resource],
      resourceTemplates: [template],
    });
    await openSession(runtime, 's');
    expect(
      await runtime.dispatch('s', request(1, 'tools/call', { name: 'lookup', arguments: { id: 'abcd' } })),
    ).toMatchObject({ result: { content: [{ type: 'text', text: '4' }] } });
    await runtime.close();
  });

  it('refuses a definition whose context type disagrees with the runtime context', () => {
    const tool = defineTool({
      name: 'lookup',
      handler: (_args, ctx: HandlerContext<AppContext>) => String(ctx.context.db.lookup('x')),
    });
    // @ts-expect-error: the tool needs an AppContext, the runtime's context is a number
    const wrongContext = () => createSessionRuntime({ context: 42, tools: [tool] });
    const handler: RequestHandler<AppContext> = (_params, ctx) => ctx.context.db.lookup('x');
    // @ts-expect-error: the handler needs an AppContext, the runtime's context is a string
    const wrongHandler = () => createSessionRuntime({ context: 'text', handlers: { h: handler } });
    const inline = () =>
      createSessionRuntime({
        context: appContext,
        handlers: {
          // @ts-expect-error: AppContext has no `user`
          h: (_params, ctx) => ctx.context.user,
        },
      });
    // Only the compiler can refuse these: at run time a context is any value.
    for (const create of [wrongContext, wrongHandler, inline]) expect(create().size).toBe(0);
  });
});
