/**
 * `shutting_down` (-32013) over HTTP in a cluster: a request the runtime refused is 503, even when
 * `close()` began after the request reached the runtime, while a new task's id was still being
 * claimed (the runtime never accepted it), and a request it accepted and the drain deadline cut
 * stays 200 with the error in its body.
 */
import { describe, expect, it } from 'vitest';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { deferred, flush } from '../helpers.js';
import { FakePlacement } from '../runtime/fakePlacement.js';

const TASKS = 'io.modelcontextprotocol/tasks';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

function setUp() {
  const placement = new FakePlacement();
  const started = deferred<void>();
  const runtime = createSessionRuntime({
    placement,
    tasks: { ttlMs: 10_000 },
    tools: [
      defineTool({ name: 'job', execution: { taskSupport: 'optional' }, handler: () => 'job done' }),
      defineTool({
        name: 'stuck',
        handler: (_args, ctx) =>
          new Promise<string>((_resolve, reject) => {
            started.resolve();
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
          }),
      }),
    ],
  });
  return { runtime, placement, started: started.promise, handler: createFetchHandler(runtime) };
}

let nextId = 1;

async function post(
  handler: FetchRequestHandler,
  name: string,
  tasks: boolean,
): Promise<{ status: number; retryAfter: string | null; body: Json }> {
  const body = {
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: {
      name,
      arguments: {},
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': tasks ? { extensions: { [TASKS]: {} } } : {},
      },
    },
  };
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': name,
  };
  const response = await handler(
    new Request('http://localhost:3000/mcp', { method: 'POST', headers, body: JSON.stringify(body) }),
  );
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Json,
  };
}

describe('shutting_down over HTTP in a cluster', () => {
  it('answers 503 a task creation refused because close() began while its id was being claimed', async () => {
    const { runtime, placement, handler } = setUp();
    placement.claimAnswer = 'hold';
    const answer = post(handler, 'job', true);
    for (let i = 0; i < 50 && placement.heldBack.length === 0; i++) await flush();
    expect(placement.heldBack).toHaveLength(1);
    const closing = runtime.close({ drainMs: 0 });
    placement.heldBack[0]?.settle(true);
    await closing;
    const refused = await answer;
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).not.toBeNull();
    expect(refused.body.error).toMatchObject({ code: -32013, data: { reason: 'shutting_down' } });
    expect(placement.held.size).toBe(0);
  });

  it('answers 200 with the error in the body a request it accepted and the drain deadline cut', async () => {
    const { runtime, handler, started } = setUp();
    const answer = post(handler, 'stuck', false);
    await started;
    await runtime.close({ drainMs: 0 });
    const cut = await answer;
    expect(cut.status).toBe(200);
    expect(cut.body.error).toMatchObject({ code: -32013, data: { reason: 'shutting_down' } });
  });

  it('creates the task when its claim is granted before close()', async () => {
    const { runtime, placement, handler } = setUp();
    placement.claimAnswer = 'hold';
    const answer = post(handler, 'job', true);
    for (let i = 0; i < 50 && placement.heldBack.length === 0; i++) await flush();
    placement.heldBack[0]?.settle(true);
    const created = await answer;
    expect(created.status).toBe(200);
    expect(created.body.result).toMatchObject({ resultType: 'task' });
    await runtime.close({ drainMs: 0 });
  });
});
