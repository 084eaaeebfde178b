/**
 * A stdio server with one tool that never settles and ignores its abort signal, for the drain
 * deadline test in stdio.test.ts. The deadline comes from `DRAIN_TIMEOUT_MS`.
 */
import { z } from 'zod';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { serveStdio } from '../../src/stdio/index.js';

const runtime = createSessionRuntime({
  idleTimeoutMs: Number.POSITIVE_INFINITY,
  tools: [
    defineTool({
      name: 'forever',
      description: 'Never settles, and ignores its abort signal',
      inputSchema: z.object({}),
      handler: () => new Promise<never>(() => {}),
    }),
  ],
});
const server = serveStdio(runtime, { drainTimeoutMs: Number(process.env.DRAIN_TIMEOUT_MS) });
await server.finished;
await runtime.close();
