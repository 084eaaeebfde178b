/**
 * Quickstart: one runtime, two tools, 100 simulated clients making 50 calls each, all in one process.
 * Shows that sessions are isolated (each keeps its own counter), that one slow session does not hold
 * the others up, and what the runtime's metrics report afterwards.
 *
 * Run: npm run quickstart
 */
import { z } from 'zod';
import { createSessionRuntime, defineTool, type JsonRpcResponse } from '../src/index.js';

const counters = new Map<string, number>();

const runtime = createSessionRuntime({
  serverInfo: { name: 'quickstart', version: '1.0.0' },
  idleTimeoutMs: 60_000,
  tools: [
    defineTool({
      name: 'add',
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      handler: ({ a, b }) => String(a + b),
    }),
    defineTool({
      name: 'count',
      description: "Increments this session's own counter",
      inputSchema: z.object({ delayMs: z.number().int().min(0).max(1_000).default(0) }),
      handler: async ({ delayMs }, context) => {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        const next = (counters.get(context.sessionId) ?? 0) + 1;
        counters.set(context.sessionId, next);
        return String(next);
      },
    }),
  ],
});
runtime.events.on('sessionStopped', ({ sessionId }) => counters.delete(sessionId));

const textOf = (response: JsonRpcResponse | undefined): string => {
  if (response === undefined || 'error' in response)
    throw new Error(`call failed: ${JSON.stringify(response)}`);
  return (response.result.content as { text: string }[])[0]?.text ?? '';
};

/** One simulated client: the MCP handshake, then 50 tool calls, every other one a 1 ms "I/O" call. */
async function client(index: number): Promise<number> {
  const sessionId = `client-${index}`;
  await runtime.dispatch(sessionId, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: sessionId, version: '1' },
    },
  });
  await runtime.dispatch(sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' });
  let last = 0;
  for (let call = 1; call <= 50; call++) {
    const [name, args] = call % 2 === 0 ? ['count', { delayMs: 1 }] : ['add', { a: index, b: call }];
    const text = textOf(
      await runtime.dispatch(sessionId, {
        jsonrpc: '2.0',
        id: call,
        method: 'tools/call',
        params: { name, arguments: args },
      }),
    );
    if (name === 'count') last = Number(text);
  }
  return last;
}

const started = performance.now();
const finalCounts = await Promise.all(Array.from({ length: 100 }, (_, index) => client(index)));
const elapsedMs = performance.now() - started;
const metrics = runtime.metrics();

console.log('metrics:', JSON.stringify(metrics, null, 2));
console.log(
  `\n100 clients × 50 calls finished in ${elapsedMs.toFixed(0)} ms: ${metrics.completed} calls completed, ` +
    `${metrics.failed} failed, ${metrics.sessions} live sessions. Every client's own counter ended at ` +
    `${new Set(finalCounts).size === 1 ? finalCounts[0] : finalCounts.join(',')} (25 "count" calls each): sessions ` +
    `share nothing. Mean mailbox wait ${metrics.mailboxWait.meanMs.toFixed(3)} ms, max ${metrics.mailboxWait.maxMs} ms: ` +
    'a request waits only behind earlier requests of its own session, never behind other sessions.',
);

await runtime.close({ drainMs: 1_000 });
console.log(
  `closed: ${runtime.size} sessions left, ${runtime.metrics().sessionsStopped.closed} stopped by close().`,
);
