/**
 * Task status notifications (tasks extension, SEP-2663, "Task Status Notifications"): a
 * `subscriptions/listen` whose filter names task ids gets `notifications/tasks` (the task as
 * `tasks/get` would answer, tagged with the listen's subscription id) as each of the caller's own
 * tasks changes; another principal's id is not honoured; a client that did not declare the
 * extension gets -32021.
 */
import { describe, expect, it } from 'vitest';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';

const TASKS = 'io.modelcontextprotocol/tasks';
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

function setUp() {
  const gates: (() => void)[] = [];
  const runtime = createSessionRuntime({
    tools: [
      defineTool({
        name: 'job',
        execution: { taskSupport: 'required' },
        handler: () => new Promise<string>((resolve) => gates.push(() => resolve('done'))),
      }),
    ],
  });
  const handler = createFetchHandler(runtime, {
    authenticate: (request) => ({ id: request.bearerToken ?? 'anonymous' }),
  });
  return { runtime, handler, finish: () => gates.shift()?.() };
}

let nextId = 1;

function request(method: string, params: Json, token: string, capabilities: Json): Request {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
    authorization: `Bearer ${token}`,
  };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
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
  return new Request('http://localhost:3000/mcp', { method: 'POST', headers, body: JSON.stringify(body) });
}

const withTasks = { extensions: { [TASKS]: {} } };

async function createTask(handler: FetchRequestHandler, token: string): Promise<string> {
  const response = await handler(request('tools/call', { name: 'job', arguments: {} }, token, withTasks));
  const body = (await response.json()) as Json;
  expect(body.result.resultType).toBe('task');
  return body.result.taskId as string;
}

/** Reads SSE messages from a streamed answer as they come. */
function messages(response: Response): () => Promise<Json> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ready: Json[] = [];
  return async () => {
    for (;;) {
      const next = ready.shift();
      if (next !== undefined) return next;
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split('\n')) {
          if (line.startsWith('data:')) ready.push(JSON.parse(line.slice(5)) as Json);
        }
        end = buffer.indexOf('\n\n');
      }
    }
  };
}

describe('notifications/tasks on subscriptions/listen', () => {
  it('streams the status changes of the caller’s own tasks, and honours only those', async () => {
    const { runtime, handler, finish } = setUp();
    const mine = await createTask(handler, 'alice');
    const theirs = await createTask(handler, 'bob');
    const listen = request(
      'subscriptions/listen',
      { notifications: { taskIds: [mine, theirs] } },
      'alice',
      withTasks,
    );
    const listenId = JSON.parse(await listen.clone().text()).id;
    const response = await handler(listen);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const next = messages(response);
    const acknowledged = await next();
    expect(acknowledged.method).toBe('notifications/subscriptions/acknowledged');
    expect(acknowledged.params.notifications).toEqual({ taskIds: [mine] });
    finish(); // alice's task completes
    finish(); // bob's task completes: alice must not hear of it
    const status = await next();
    expect(status.method).toBe('notifications/tasks');
    expect(status.params).toMatchObject({
      taskId: mine,
      status: 'completed',
      result: { content: [{ type: 'text', text: 'done' }] },
    });
    expect(status.params._meta[SUBSCRIPTION_ID]).toBe(listenId);
    await runtime.close({ drainMs: 0 });
    const end = await next();
    expect(end).toMatchObject({ id: listenId, result: { resultType: 'complete' } });
  });

  it('refuses task notifications to a client that did not declare the extension (-32021, 400)', async () => {
    const { runtime, handler } = setUp();
    const taskId = await createTask(handler, 'alice');
    const response = await handler(
      request('subscriptions/listen', { notifications: { taskIds: [taskId] } }, 'alice', {}),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as Json;
    expect(body.error.code).toBe(-32021);
    expect(body.error.data.requiredCapabilities).toEqual({ extensions: { [TASKS]: {} } });
    await runtime.close({ drainMs: 0 });
  });

  it('refuses taskIds that are not an array of ids (-32602)', async () => {
    const { runtime, handler } = setUp();
    const response = await handler(
      request('subscriptions/listen', { notifications: { taskIds: 'all' } }, 'alice', withTasks),
    );
    expect(((await response.json()) as Json).error.code).toBe(-32602);
    await runtime.close({ drainMs: 0 });
  });
});
