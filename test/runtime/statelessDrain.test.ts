/**
 * Sessionless (2026-07-28) requests under `close()` and `maxStatelessRequests`: drained like a
 * session's work, then ended with `shutting_down`; bounded over all clients.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonRpcResponse, SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool, ManualClock, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { deferred } from '../helpers.js';

const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

function call(runtime: SessionRuntime, id: number, name: string) {
  const message = parseMessage({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: {}, _meta: meta },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  return runtime.serve(message, envelope) as Promise<JsonRpcResponse & Record<string, unknown>>;
}

function setUp() {
  const clock = new ManualClock();
  const release = deferred<void>();
  const aborted: unknown[] = [];
  const runtime = createSessionRuntime({
    clock,
    maxStatelessRequests: 2,
    tools: [
      defineTool({
        name: 'wait',
        inputSchema: z.object({}),
        handler: async (_args, ctx) => {
          ctx.signal.addEventListener('abort', () => aborted.push(ctx.signal.reason), { once: true });
          await Promise.race([
            release.promise,
            new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
          ]);
          return 'released';
        },
      }),
    ],
  });
  return { runtime, clock, release, aborted };
}

describe('sessionless requests and close()', () => {
  it('waits for a running request within drainMs', async () => {
    const { runtime, release } = setUp();
    const answer = call(runtime, 1, 'wait');
    let closed = false;
    const closing = runtime.close({ drainMs: 10_000 }).then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    // New requests are refused while it drains.
    expect((await call(runtime, 2, 'wait')).error).toMatchObject({ code: -32013 });
    release.resolve();
    expect(((await answer).result as { content: { text: string }[] }).content[0]?.text).toBe('released');
    await closing;
    expect(closed).toBe(true);
  });

  it('ends a request still running when the drain is over: shutting_down, handler aborted', async () => {
    const { runtime, clock, aborted } = setUp();
    const answer = call(runtime, 1, 'wait');
    await new Promise((resolve) => setImmediate(resolve));
    const closing = runtime.close({ drainMs: 100 });
    clock.advance(100);
    const response = await answer;
    expect(response.error).toMatchObject({ code: -32013, data: { reason: 'shutting_down' } });
    await closing;
    await new Promise((resolve) => setImmediate(resolve));
    expect(aborted).toHaveLength(1);
    const metrics = runtime.metrics();
    expect(metrics.inFlight).toBe(0);
    expect(metrics.accepted).toBe(metrics.completed + metrics.failed + metrics.cancelled);
  });
});

describe('maxStatelessRequests', () => {
  it('refuses one more request than the bound with overloaded, and serves again once one is answered', async () => {
    const { runtime, release } = setUp();
    const first = call(runtime, 1, 'wait');
    const second = call(runtime, 2, 'wait');
    const third = await call(runtime, 3, 'wait');
    expect(third.error).toMatchObject({ code: -32011, data: { reason: 'overloaded', limit: 2 } });
    release.resolve();
    await Promise.all([first, second]);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await call(runtime, 4, 'wait')).result).toBeDefined();
    await runtime.close({ drainMs: 0 });
  });
});
