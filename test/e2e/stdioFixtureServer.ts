/**
 * A stdio server for stdio.test.ts: `forever` never settles and ignores its abort signal (the drain
 * deadline test); `elicit` asks the client for a name; `announce` makes the runtime tell the
 * session that the tool list changed (a message that belongs to no request). The drain deadline
 * comes from `DRAIN_TIMEOUT_MS` (default 5000).
 */
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { serveStdio } from '../../src/stdio/index.js';

const noInput = z.object({});
const runtime: SessionRuntime = createSessionRuntime({
  idleTimeoutMs: Number.POSITIVE_INFINITY,
  tools: [
    defineTool({
      name: 'forever',
      description: 'Never settles, and ignores its abort signal',
      inputSchema: noInput,
      handler: () => new Promise<never>(() => {}),
    }),
    defineTool({
      name: 'elicit',
      description: 'Asks the client for a name',
      inputSchema: noInput,
      handler: async (_params, ctx) => {
        const answer = await ctx.request('elicitation/create', {
          message: 'Your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        });
        return `hello ${(answer.content as { name: string }).name}`;
      },
    }),
    defineTool({
      name: 'announce',
      description: 'Sends notifications/tools/list_changed outside this request',
      inputSchema: noInput,
      handler: (_params, ctx) =>
        String(runtime.notify(ctx.sessionId, { method: 'notifications/tools/list_changed' })),
    }),
  ],
});
const server = serveStdio(runtime, { drainTimeoutMs: Number(process.env.DRAIN_TIMEOUT_MS ?? 5_000) });
await server.finished;
await runtime.close();
