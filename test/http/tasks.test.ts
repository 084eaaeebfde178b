/**
 * The tasks extension (SEP-2663) on the wire: 2026-07-28 POSTs through the Web-standard handler,
 * with the routing headers a client sends (`Mcp-Method`, `Mcp-Name: <taskId>`), HTTP statuses and
 * JSON-RPC codes: create → get → update → completed, cancel, an unknown id, another principal's
 * id, a limit, and `close()`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';

const TASKS = 'io.modelcontextprotocol/tasks';
const url = 'http://localhost:3000/mcp';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

function setUp(tasks: Json = {}) {
  let aborted = 0;
  const runtime = createSessionRuntime({
    tasks,
    tools: [
      defineTool({
        name: 'confirm',
        inputSchema: z.object({ file: z.string() }),
        execution: { taskSupport: 'optional' },
        handler: async ({ file }, ctx) => {
          const answer = await ctx.request(
            'elicitation/create',
            { message: `Delete ${file}?`, requestedSchema: { type: 'object', properties: {} } },
            { key: 'confirm' },
          );
          return `${String(answer.action)} ${file}`;
        },
      }),
      defineTool({
        name: 'sleepy',
        execution: { taskSupport: 'required' },
        handler: async (_args, ctx) => {
          await new Promise<void>((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => {
              aborted++;
              reject(ctx.signal.reason);
            }),
          );
          return 'never';
        },
      }),
    ],
  });
  // A bearer token names the principal, as an authenticator would.
  const handler = createFetchHandler(runtime, {
    authenticate: (request) => ({ id: request.bearerToken ?? 'anonymous' }),
  });
  return { runtime, handler, aborted: () => aborted };
}

let nextId = 1;

async function post(
  handler: FetchRequestHandler,
  method: string,
  params: Json,
  options: { token?: string; capabilities?: Json; name?: string } = {},
): Promise<{ status: number; body: Json }> {
  const capabilities = options.capabilities ?? { elicitation: {}, extensions: { [TASKS]: {} } };
  const body = {
    jsonrpc: '2.0',
    id: nextId++,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': capabilities,
      },
    },
  };
  const name = options.name ?? (typeof params.taskId === 'string' ? params.taskId : params.name);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  if (typeof name === 'string') headers['mcp-name'] = name;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await handler(new Request(url, { method: 'POST', headers, body: JSON.stringify(body) }));
  return { status: response.status, body: (await response.json()) as Json };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(2);
  }
  throw new Error('condition not reached');
}

describe('tasks over Streamable HTTP (2026-07-28)', () => {
  it('create → get → update → completed', async () => {
    const { handler } = setUp();
    const created = await post(handler, 'tools/call', { name: 'confirm', arguments: { file: 'a.txt' } });
    expect(created.status).toBe(200);
    const { taskId, resultType } = created.body.result;
    expect(resultType).toBe('task');
    const first = await post(handler, 'tasks/get', { taskId });
    expect(first.status).toBe(200);
    expect(first.body.result.taskId).toBe(taskId);
    await until(
      async () => (await post(handler, 'tasks/get', { taskId })).body.result.status === 'input_required',
    );
    const asking = (await post(handler, 'tasks/get', { taskId })).body.result;
    expect(asking.inputRequests.confirm.method).toBe('elicitation/create');
    const ack = await post(handler, 'tasks/update', {
      taskId,
      inputResponses: { confirm: { action: 'accept', content: {} } },
    });
    expect(ack.status).toBe(200);
    expect(ack.body.result.resultType).toBe('complete');
    await until(
      async () => (await post(handler, 'tasks/get', { taskId })).body.result.status === 'completed',
    );
    const done = (await post(handler, 'tasks/get', { taskId })).body.result;
    expect(done.result.content[0].text).toBe('accept a.txt');
  });

  it('cancel reaches the handler and the task ends cancelled', async () => {
    const { handler, aborted } = setUp();
    const { taskId } = (await post(handler, 'tools/call', { name: 'sleepy', arguments: {} })).body.result;
    const ack = await post(handler, 'tasks/cancel', { taskId });
    expect(ack.body.result).toMatchObject({ resultType: 'complete' });
    expect(aborted()).toBe(1);
    expect((await post(handler, 'tasks/get', { taskId })).body.result.status).toBe('cancelled');
  });

  it('Mcp-Name must match the taskId (-32020, 400)', async () => {
    const { handler } = setUp();
    const { taskId } = (await post(handler, 'tools/call', { name: 'sleepy', arguments: {} })).body.result;
    const mismatch = await post(handler, 'tasks/get', { taskId }, { name: 'another-id' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.code).toBe(-32020);
  });

  it("an unknown id and another principal's id are both -32602 with the same body", async () => {
    const { handler } = setUp();
    const { taskId } = (
      await post(handler, 'tools/call', { name: 'sleepy', arguments: {} }, { token: 'alice' })
    ).body.result;
    expect((await post(handler, 'tasks/get', { taskId }, { token: 'alice' })).body.result.status).toBe(
      'working',
    );
    const stolen = await post(handler, 'tasks/get', { taskId }, { token: 'mallory' });
    const unknown = await post(handler, 'tasks/get', { taskId: 'x'.repeat(24) }, { token: 'mallory' });
    expect(stolen.status).toBe(unknown.status);
    expect(stolen.body.error).toEqual(unknown.body.error);
    expect(stolen.body.error.code).toBe(-32602);
  });

  it('a required tool from a client without the extension is -32021 (400)', async () => {
    const { handler } = setUp();
    const refused = await post(
      handler,
      'tools/call',
      { name: 'sleepy', arguments: {} },
      { capabilities: {} },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.data.requiredCapabilities.extensions[TASKS]).toEqual({});
  });

  it('maxTasksPerPrincipal is too_many_tasks (-32023, 429)', async () => {
    const { handler } = setUp({ maxTasksPerPrincipal: 1 });
    await post(handler, 'tools/call', { name: 'sleepy', arguments: {} }, { token: 'bob' });
    const refused = await post(handler, 'tools/call', { name: 'sleepy', arguments: {} }, { token: 'bob' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe(-32023);
  });

  it('close() ends running tasks and resolves', async () => {
    const { handler, runtime, aborted } = setUp();
    await post(handler, 'tools/call', { name: 'sleepy', arguments: {} });
    await runtime.close({ drainMs: 10 });
    expect(aborted()).toBe(1);
  });
});
