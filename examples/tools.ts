/**
 * The demo server every example serves (HTTP, Hono, stdio): four tools on one runtime.
 *
 * - `echo` and `add`: plain tools; `add` shows zod validation (`{"a": "1"}` is answered with an
 *   `isError` result that tells the model what was wrong, so it can correct itself).
 * - `slow`: sleeps in steps, reporting progress (`ctx.progress`), and stops when cancelled (`ctx.signal`).
 * - `counter`: per-session state in a Map keyed by `ctx.sessionId`, dropped on `sessionStopped`:
 *   two clients count independently, and a stopped session leaves nothing behind. A 2026-07-28
 *   request has no session (`ctx.sessionId` is `''`), so there the tool says so instead of sharing
 *   one counter between every such client (state across requests needs an explicit id the client
 *   passes, SEP-2567).
 *
 * Examples import from `../src/…` so they run from a checkout; in your code, import from
 * `mcp-session-runtime`.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { SessionRuntime, SessionRuntimeOptions } from '../src/index.js';
import { createSessionRuntime, defineTool, ToolError } from '../src/index.js';

const echo = defineTool({
  name: 'echo',
  description: 'Returns its text',
  inputSchema: z.object({ text: z.string() }),
  handler: ({ text }) => text,
});

const add = defineTool({
  name: 'add',
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  handler: ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
    structuredContent: { sum: a + b },
  }),
});

const slow = defineTool({
  name: 'slow',
  description: 'Waits `steps` times `delayMs`, reporting progress after each step',
  inputSchema: z.object({
    steps: z.number().int().min(1).max(100).default(5),
    delayMs: z.number().int().min(0).max(60_000).default(200),
  }),
  handler: async ({ steps, delayMs }, ctx) => {
    for (let step = 1; step <= steps; step++) {
      // Rejects with an AbortError when the client cancels or the session ends: the work stops here.
      await sleep(delayMs, undefined, { signal: ctx.signal });
      ctx.progress({ progress: step, total: steps, message: `step ${step} of ${steps}` });
    }
    return `done after ${steps} steps`;
  },
});

/**
 * Creates the demo runtime. `options` are passed on (idle timeout, clock, limits); `options.tools`
 * are served beside the demo tools.
 *
 * @example
 * ```ts
 * const runtime = createDemoRuntime({ idleTimeoutMs: 60_000 });
 * ```
 */
export function createDemoRuntime(options: SessionRuntimeOptions = {}): SessionRuntime {
  // Per-session state lives outside the runtime, keyed by session id, and is dropped when the
  // session stops, whatever the reason (idle, DELETE, shutdown).
  const counts = new Map<string, number>();
  const counter = defineTool({
    name: 'counter',
    description: "Adds `by` to this session's counter and returns it; other sessions are not affected",
    inputSchema: z.object({ by: z.number().int().default(1) }),
    handler: ({ by }, ctx) => {
      if (ctx.sessionId === '') {
        throw new ToolError('counter keeps per-session state; this request has no session (MCP 2026-07-28)');
      }
      const count = (counts.get(ctx.sessionId) ?? 0) + by;
      counts.set(ctx.sessionId, count);
      return { content: [{ type: 'text', text: String(count) }], structuredContent: { count } };
    },
  });
  const runtime = createSessionRuntime({
    serverInfo: { name: 'mcp-session-runtime-demo', version: '0.1.0' },
    ...options,
    tools: [echo, add, slow, counter, ...(options.tools ?? [])],
  });
  runtime.events.on('sessionStopped', ({ sessionId }) => counts.delete(sessionId));
  return runtime;
}

/**
 * Logs session starts and stops to stderr (stdout may carry protocol messages, as in stdio).
 *
 * @example
 * ```ts
 * logSessionLifecycle(createDemoRuntime());
 * ```
 */
export function logSessionLifecycle(runtime: SessionRuntime): void {
  runtime.events.on('sessionStarted', ({ sessionId }) => {
    process.stderr.write(`session started: ${shortHash(sessionId)}\n`);
  });
  runtime.events.on('sessionStopped', ({ sessionId, reason }) => {
    process.stderr.write(`session stopped: ${shortHash(sessionId)} (${reason})\n`);
  });
}

/**
 * Logs every handler failure to stderr (never stdout: over stdio it carries protocol messages), one
 * line naming the method and its target (the tool, prompt or resource), the JSON-RPC request id and
 * the session's short hash, then the error's stack. The client was answered with a generic text; the
 * detail is here. Cancelled requests are not failures and are not logged.
 *
 * @example
 * ```ts
 * logHandlerFailures(createDemoRuntime());
 * // handler failed: tools/call add, request 7, session #1a2b3c4d: Error: connect ECONNREFUSED …
 * ```
 */
export function logHandlerFailures(
  runtime: SessionRuntime,
  write: (line: string) => void = (line) => process.stderr.write(line),
): void {
  runtime.events.on('handlerError', ({ sessionId, requestId, method, target, error }) => {
    const what = target === undefined ? method : `${method} ${target}`;
    const detail = error instanceof Error ? (error.stack ?? String(error)) : describeThrown(error);
    write(
      `handler failed: ${what}, request ${JSON.stringify(requestId)}, session ${shortHash(sessionId)}: ${detail}\n`,
    );
  });
}

/** A thrown value that is not an Error (a string, `undefined`, an object), for a log line. */
function describeThrown(value: unknown): string {
  try {
    return `threw ${typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value)}`;
  } catch {
    return `threw a ${typeof value}`;
  }
}

/**
 * A session id is a bearer of its session: logs carry a short hash of it, never the id itself, so a
 * log reader cannot take over a session but can still follow one through the log.
 */
export function shortHash(sessionId: string): string {
  return `#${createHash('sha256').update(sessionId).digest('hex').slice(0, 8)}`;
}
