/**
 * The handlers every engine serves, the same functions for ours and for the baselines, so that the
 * work inside a handler is identical and only the engine around it differs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { RequestHandler, ToolDefinition } from '../../src/index.js';
import { defineTool } from '../../src/index.js';

/** The "trivial async handler" of issue 7: no work, one promise. */
export const NOOP_METHOD = 'bench/noop';
/** A handler that waits on 1 ms of (simulated) I/O. */
export const IO_METHOD = 'bench/io';
/** The head-of-line troublemaker: 50 ms of (simulated) I/O. */
export const SLOW_METHOD = 'bench/slow';

const noop: RequestHandler = async () => ({});
const io: RequestHandler = () => sleep(1, {});
const slow: RequestHandler = () => sleep(50, {});

/** Plain handlers by method. */
export const benchHandlers: Readonly<Record<string, RequestHandler>> = {
  [NOOP_METHOD]: noop,
  [IO_METHOD]: io,
  [SLOW_METHOD]: slow,
};

/** One `echo` tool, for the `tools/call` variant (argument validation with zod on every call). */
export const echoTool: ToolDefinition<z.ZodObject<{ text: z.ZodString }>> = defineTool({
  name: 'echo',
  description: 'Echoes its text',
  inputSchema: z.object({ text: z.string() }),
  handler: async ({ text }) => text,
});

export const benchTools: readonly ToolDefinition<z.ZodObject<{ text: z.ZodString }>>[] = [echoTool];

/** The params of an `echo` call. */
export function echoParams(): Record<string, unknown> {
  return { name: 'echo', arguments: { text: 'hello' } };
}
