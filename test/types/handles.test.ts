/**
 * Type tests of state handles: `ctx.handle` exists, typed by the kind's `create`, exactly on the
 * tools that take or open a handle; tools with and without handles share one `tools` array. The
 * run-time halves check that the typed value is the one served.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { HandlerContext, HandleView } from '../../src/index.js';
import { createSessionRuntime, defineHandle, defineTool } from '../../src/index.js';
import { openSession, request } from '../helpers.js';

interface Counter {
  value: number;
}

describe('state handle types', () => {
  it('types ctx.handle.state from the kind, on the tools that take or open one only', async () => {
    const counter = defineHandle({ name: 'counter', create: (): Counter => ({ value: 1 }) });
    const open = defineTool({
      name: 'open',
      opens: counter,
      handler: (_args, ctx) => {
        expectTypeOf(ctx.handle).toEqualTypeOf<HandleView<Counter>>();
        return String(ctx.handle.state.value);
      },
    });
    const bump = defineTool({
      name: 'bump',
      handle: counter,
      inputSchema: { counterId: counter.idSchema },
      handler: ({ counterId }, ctx) => {
        expectTypeOf(counterId).toEqualTypeOf<string>();
        expectTypeOf(ctx.handle.state).toEqualTypeOf<Counter>();
        ctx.handle.state.value++;
        return String(ctx.handle.state.value);
      },
    });
    const plain = defineTool({
      name: 'plain',
      inputSchema: { a: z.number() },
      handler: ({ a }, ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<HandlerContext<unknown>>();
        // @ts-expect-error a tool without a handle has no ctx.handle
        ctx.handle;
        return String(a);
      },
    });
    const runtime = createSessionRuntime({ tools: [open, bump, plain] });
    await openSession(runtime, 's');
    const opened = (await runtime.dispatch('s', request(1, 'tools/call', { name: 'open' }))) as unknown as {
      result: { content: { text: string }[]; structuredContent: { counterId: string } };
    };
    expect(opened.result.content[0]?.text).toBe('1');
    const { counterId } = opened.result.structuredContent;
    const bumped = (await runtime.dispatch(
      's',
      request(2, 'tools/call', { name: 'bump', arguments: { counterId } }),
    )) as unknown as { result: { content: { text: string }[] } };
    expect(bumped.result.content[0]?.text).toBe('2');
  });
});
