/**
 * The conformance suite's tasks-extension tools (`io.modelcontextprotocol/tasks`, SEP-2663, on MCP
 * 2026-07-28): a plain one (`greet`) and ones that run as tasks for a client that declares the
 * extension, each as the suite's scenarios call it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool, SessionRuntimeError, ToolError } from '../../src/index.js';

/** Sleeps `ms` unless `signal` aborts first (then rejects with its reason). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
}

/** An `elicitation/create` form asking for one field. */
function form(message: string, field: string, type: 'string' | 'boolean') {
  return {
    mode: 'form',
    message,
    requestedSchema: { type: 'object', properties: { [field]: { type } }, required: [field] },
  };
}

/** The value of `field` in an accepted elicitation's `content`. */
function field(answer: Readonly<Record<string, unknown>>, name: string): unknown {
  const content = answer.content as Record<string, unknown> | undefined;
  return answer.action === 'accept' ? content?.[name] : undefined;
}

export const taskTools = [
  defineTool({
    name: 'greet',
    description: 'Greets by name (never a task)',
    inputSchema: z.object({ name: z.string() }),
    handler: ({ name }) => `Hello, ${name}!`,
  }),
  defineTool({
    name: 'slow_compute',
    description: 'Sleeps `seconds` seconds, then reports; runs as a task when the client supports tasks',
    inputSchema: z.object({ seconds: z.number().min(0).max(3600), label: z.string().optional() }),
    execution: { taskSupport: 'optional' },
    handler: async ({ seconds, label }, ctx) => {
      await wait(seconds * 1000, ctx.signal);
      return `Computed ${label ?? 'result'} after ${seconds}s`;
    },
  }),
  defineTool({
    name: 'failing_job',
    description: 'Fails with a tool execution error after about a second (task required)',
    inputSchema: z.object({}),
    execution: { taskSupport: 'required' },
    handler: async (_args, ctx) => {
      await wait(1000, ctx.signal);
      throw new ToolError('The job failed: the upstream service rejected the input');
    },
  }),
  defineTool({
    name: 'protocol_error_job',
    description: 'Fails with a JSON-RPC error (task required)',
    inputSchema: z.object({}),
    execution: { taskSupport: 'required' },
    handler: async (_args, ctx) => {
      await wait(100, ctx.signal);
      throw new SessionRuntimeError('internal_error', 'The job crashed');
    },
  }),
  defineTool({
    name: 'confirm_delete',
    description: 'Asks the user to confirm, then deletes `filename` (pretend; task supported)',
    inputSchema: z.object({ filename: z.string() }),
    execution: { taskSupport: 'optional' },
    handler: async ({ filename }, ctx) => {
      const answer = await ctx.request(
        'elicitation/create',
        form(`Delete ${filename}?`, 'confirm', 'boolean'),
        { key: 'confirm' },
      );
      return field(answer, 'confirm') === true ? `Deleted ${filename}` : `Kept ${filename}`;
    },
  }),
  defineTool({
    name: 'multi_input',
    description: 'Asks two questions at once (task supported)',
    inputSchema: z.object({}),
    execution: { taskSupport: 'optional' },
    handler: async (_args, ctx) => {
      const [first, second] = await Promise.all([
        ctx.request('elicitation/create', form('First name?', 'name', 'string'), { key: 'first' }),
        ctx.request('elicitation/create', form('Second name?', 'name', 'string'), { key: 'second' }),
      ]);
      return `Got ${String(field(first, 'name'))} and ${String(field(second, 'name'))}`;
    },
  }),
  defineTool({
    name: 'test_tool_with_task',
    description: 'Asks for user_name (multi round-trip), then greets in a task (task required)',
    inputSchema: z.object({ user_name: z.string().optional() }),
    execution: { taskSupport: 'required' },
    beforeTask: async (args, ctx) => {
      const answer = await ctx.request('elicitation/create', form('Your name?', 'name', 'string'), {
        key: 'user_name',
      });
      const name = field(answer, 'name');
      return { ...args, user_name: typeof name === 'string' ? name : 'unknown' };
    },
    handler: async ({ user_name }) => `Hello, ${user_name}! (from a task)`,
  }),
];
