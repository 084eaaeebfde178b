/**
 * The tasks extension (SEP-2663) through `runtime.serve`: negotiation per request, task creation
 * before the answer, tasks/get, tasks/update and tasks/cancel, principals, limits, the ttl, the
 * work's timeout, `beforeTask`, and `close()`.
 */
import { getEventListeners } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool, ManualClock, parseMessage, ToolError } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { deferred } from '../helpers.js';

const TASKS = 'io.modelcontextprotocol/tasks';
const withTasks = { elicitation: {}, extensions: { [TASKS]: {} } };

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

let nextId = 1;

/** One 2026-07-28 request through `serve`. */
async function send(
  runtime: SessionRuntime,
  method: string,
  params: Record<string, unknown>,
  options: { capabilities?: Record<string, unknown>; principal?: string } = {},
): Promise<Json> {
  const message = parseMessage({
    jsonrpc: '2.0',
    id: nextId++,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? withTasks,
      },
    },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  const principal = options.principal === undefined ? undefined : { id: options.principal };
  return (await runtime.serve(message, envelope, { principal })) as unknown as Json;
}

const call = (runtime: SessionRuntime, name: string, args: Json = {}, options = {}) =>
  send(runtime, 'tools/call', { name, arguments: args }, options);
const get = (runtime: SessionRuntime, taskId: string, options = {}) =>
  send(runtime, 'tasks/get', { taskId }, options);

interface Fixture {
  runtime: SessionRuntime;
  clock: ManualClock;
  gate: ReturnType<typeof deferred<void>>;
  signals: AbortSignal[];
}

function fixture(tasks: Json = {}, extra: Json = {}): Fixture {
  const clock = new ManualClock();
  const gate = deferred<void>();
  const signals: AbortSignal[] = [];
  const tools = [
    defineTool({
      name: 'plain',
      handler: () => 'plain answer',
    }),
    defineTool({
      name: 'job',
      inputSchema: z.object({ n: z.number().default(1) }),
      execution: { taskSupport: 'optional' },
      handler: async ({ n }, ctx) => {
        signals.push(ctx.signal);
        await new Promise<void>((resolve, reject) => {
          gate.promise.then(resolve);
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        });
        return `done ${n}`;
      },
    }),
    defineTool({
      name: 'must',
      execution: { taskSupport: 'required' },
      handler: () => 'must answer',
    }),
    defineTool({
      name: 'oops',
      execution: { taskSupport: 'required' },
      handler: () => {
        throw new ToolError('tool says no');
      },
    }),
    defineTool({
      name: 'ask',
      execution: { taskSupport: 'optional' },
      handler: async (_args, ctx) => {
        const answer = await ctx.request(
          'elicitation/create',
          { message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } },
          { key: 'name' },
        );
        const again = await ctx.request(
          'elicitation/create',
          { message: 'Sure?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } } } },
          { key: 'name' },
        );
        return `hello ${String((answer.content as Json).name)} ${String((again.content as Json).ok)}`;
      },
    }),
    defineTool({
      name: 'prepared',
      inputSchema: z.object({ who: z.string().optional() }),
      execution: { taskSupport: 'required' },
      beforeTask: async (args, ctx) => {
        const answer = await ctx.request(
          'elicitation/create',
          { message: 'Who?', requestedSchema: { type: 'object', properties: { who: { type: 'string' } } } },
          { key: 'who' },
        );
        return { who: String((answer.content as Json).who ?? args.who) };
      },
      handler: ({ who }) => `hi ${who}`,
    }),
  ];
  const runtime = createSessionRuntime({ tools, clock, tasks, ...extra });
  return { runtime, clock, gate, signals };
}

/** Lets the work's handler and the runtime's continuations run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('tasks extension: negotiation', () => {
  it('advertises the extension under capabilities.extensions on server/discover', async () => {
    const { runtime } = fixture();
    const discovered = await send(runtime, 'server/discover', {});
    expect(discovered.result.capabilities.extensions).toEqual({ [TASKS]: {} });
    expect(discovered.result.capabilities.tasks).toBeUndefined();
  });

  it('does not advertise it when no tool runs as a task, and tasks/get is then -32601', async () => {
    const runtime = createSessionRuntime({ tools: [defineTool({ name: 'x', handler: () => 'x' })] });
    const discovered = await send(runtime, 'server/discover', {});
    expect(discovered.result.capabilities.extensions).toBeUndefined();
    expect((await get(runtime, 'anything')).error.code).toBe(-32601);
  });

  it('runs an optional tool as a plain call for a client that did not declare the extension', async () => {
    const { runtime, gate } = fixture();
    gate.resolve();
    const answer = await call(runtime, 'job', { n: 2 }, { capabilities: {} });
    expect(answer.result.resultType).toBe('complete');
    expect(answer.result.content[0].text).toBe('done 2');
    expect(answer.result.taskId).toBeUndefined();
  });

  it('refuses a required tool with -32021 naming the extension', async () => {
    const { runtime } = fixture();
    const answer = await call(runtime, 'must', {}, { capabilities: {} });
    expect(answer.error.code).toBe(-32021);
    expect(answer.error.data.requiredCapabilities).toEqual({ extensions: { [TASKS]: {} } });
  });

  it.each(['tasks/get', 'tasks/update', 'tasks/cancel'])(
    'refuses %s with -32021 without the extension',
    async (method) => {
      const { runtime } = fixture();
      const answer = await send(runtime, method, { taskId: 'x', inputResponses: {} }, { capabilities: {} });
      expect(answer.error.code).toBe(-32021);
    },
  );

  it('never makes a task of a tool without taskSupport', async () => {
    const { runtime } = fixture();
    const answer = await call(runtime, 'plain');
    expect(answer.result.resultType).toBe('complete');
  });
});

describe('tasks extension: lifecycle', () => {
  it('answers CreateTaskResult once the task exists; get finds it; it completes with the result inlined', async () => {
    const { runtime, gate } = fixture({ pollIntervalMs: 250, ttlMs: 60_000 });
    const created = await call(runtime, 'job', { n: 7 });
    const task = created.result;
    expect(task.resultType).toBe('task');
    expect(task.status).toBe('working');
    expect(task.taskId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(task).toMatchObject({ ttlMs: 60_000, pollIntervalMs: 250 });
    expect(task.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const key of ['result', 'error', 'inputRequests', 'requestState', 'task'])
      expect(task).not.toHaveProperty(key);
    const working = await get(runtime, task.taskId);
    expect(working.result).toMatchObject({ resultType: 'complete', taskId: task.taskId, status: 'working' });
    expect(working.result).not.toHaveProperty('result');
    gate.resolve();
    await settle();
    const done = (await get(runtime, task.taskId)).result;
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ content: [{ type: 'text', text: 'done 7' }] });
  });

  it('mints a different id for every task', async () => {
    const { runtime } = fixture();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await call(runtime, 'must')).result.taskId);
    expect(ids.size).toBe(20);
  });

  it("a tool's isError result is completed, not failed", async () => {
    const { runtime } = fixture();
    const { taskId } = (await call(runtime, 'oops')).result;
    await settle();
    const done = (await get(runtime, taskId)).result;
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ isError: true, content: [{ text: 'tool says no' }] });
  });

  it('a JSON-RPC error of the work is failed with the error inlined and no result', async () => {
    const { runtime, clock } = fixture({ timeoutMs: 1_000 });
    const { taskId } = (await call(runtime, 'job')).result;
    clock.advance(1_000);
    await settle();
    const failed = (await get(runtime, taskId)).result;
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe(-32014);
    expect(failed).not.toHaveProperty('result');
  });

  it("an input request ended by the work's timeout leaves no listener on the handler's own signal", async () => {
    const clock = new ManualClock();
    const own = new AbortController();
    const tools = [
      defineTool({
        name: 'ask_with_signal',
        execution: { taskSupport: 'required' },
        handler: async (_args, ctx) => {
          await ctx.request(
            'elicitation/create',
            { message: 'Name?', requestedSchema: { type: 'object', properties: {} } },
            { signal: own.signal },
          );
          return 'never';
        },
      }),
    ];
    const runtime = createSessionRuntime({ tools, clock, tasks: { timeoutMs: 1_000 } });
    const { taskId } = (await call(runtime, 'ask_with_signal')).result;
    await settle();
    expect((await get(runtime, taskId)).result.status).toBe('input_required');
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(1);
    clock.advance(1_000);
    await settle();
    expect((await get(runtime, taskId)).result.status).toBe('failed');
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(0);
  });

  it('tasks/cancel acks empty, aborts the handler signal, and the task ends cancelled; a second cancel acks the same', async () => {
    const { runtime, signals } = fixture();
    const { taskId } = (await call(runtime, 'job')).result;
    const ack = await send(runtime, 'tasks/cancel', { taskId });
    expect(Object.keys(ack.result).sort()).toEqual(['_meta', 'resultType']);
    expect(ack.result.resultType).toBe('complete');
    expect(signals[0]?.aborted).toBe(true);
    expect((await get(runtime, taskId)).result.status).toBe('cancelled');
    expect((await send(runtime, 'tasks/cancel', { taskId })).result.resultType).toBe('complete');
    await settle();
    expect((await get(runtime, taskId)).result.status).toBe('cancelled');
  });

  it('ctx.request moves the task to input_required; tasks/update resumes it; keys are unique for the task', async () => {
    const { runtime } = fixture();
    const { taskId } = (await call(runtime, 'ask')).result;
    await settle();
    const asking = (await get(runtime, taskId)).result;
    expect(asking.status).toBe('input_required');
    expect(Object.keys(asking.inputRequests)).toEqual(['name']);
    expect(asking.inputRequests.name.method).toBe('elicitation/create');
    // An invalid answer to an outstanding key is -32602 and applies nothing.
    const bad = await send(runtime, 'tasks/update', {
      taskId,
      inputResponses: { name: { action: 'maybe' } },
    });
    expect(bad.error.code).toBe(-32602);
    const ack = await send(runtime, 'tasks/update', {
      taskId,
      inputResponses: { name: { action: 'accept', content: { name: 'Ada' } }, unknown: { x: 1 } },
    });
    expect(ack.result.resultType).toBe('complete');
    await settle();
    const again = (await get(runtime, taskId)).result;
    expect(again.status).toBe('input_required');
    const [second] = Object.keys(again.inputRequests);
    // The handler asked under `name` again: the task gives it a key of its own.
    expect(second).not.toBe('name');
    // Answering the used key again is ignored.
    await send(runtime, 'tasks/update', {
      taskId,
      inputResponses: { name: { action: 'accept', content: {} } },
    });
    expect((await get(runtime, taskId)).result.status).toBe('input_required');
    await send(runtime, 'tasks/update', {
      taskId,
      inputResponses: { [second as string]: { action: 'accept', content: { ok: true } } },
    });
    await settle();
    const done = (await get(runtime, taskId)).result;
    expect(done.status).toBe('completed');
    expect(done.result.content[0].text).toBe('hello Ada true');
  });

  it('beforeTask gathers input synchronously (input_required), then the retry creates the task', async () => {
    const { runtime } = fixture();
    const first = await call(runtime, 'prepared');
    expect(first.result.resultType).toBe('input_required');
    expect(first.result).not.toHaveProperty('taskId');
    const retry = await send(runtime, 'tools/call', {
      name: 'prepared',
      arguments: {},
      inputResponses: { who: { action: 'accept', content: { who: 'Alice' } } },
      requestState: first.result.requestState,
    });
    expect(retry.result.resultType).toBe('task');
    expect(retry.result).not.toHaveProperty('requestState');
    await settle();
    const done = (await get(runtime, retry.result.taskId)).result;
    expect(done.status).toBe('completed');
    expect(done.result.content[0].text).toBe('hi Alice');
  });
});

describe('tasks extension: ids, principals, limits, ttl, close', () => {
  it("answers an unknown id and another principal's id alike: -32602", async () => {
    const { runtime } = fixture();
    const { taskId } = (await call(runtime, 'must', {}, { principal: 'alice' })).result;
    expect((await get(runtime, taskId, { principal: 'alice' })).result.status).toBeDefined();
    const other = await get(runtime, taskId, { principal: 'mallory' });
    const unknown = await get(runtime, 'no-such-task', { principal: 'mallory' });
    expect(other.error.code).toBe(-32602);
    expect(other.error).toEqual({ ...unknown.error });
    const cancel = await send(runtime, 'tasks/cancel', { taskId }, { principal: 'mallory' });
    expect(cancel.error.code).toBe(-32602);
    expect((await send(runtime, 'tasks/get', {})).error.code).toBe(-32602);
  });

  it('bounds tasks per principal (too_many_tasks, -32023) and in all (overloaded, -32011)', async () => {
    const { runtime } = fixture({ maxTasks: 3, maxTasksPerPrincipal: 2 });
    await call(runtime, 'job', {}, { principal: 'a' });
    await call(runtime, 'job', {}, { principal: 'a' });
    const third = await call(runtime, 'job', {}, { principal: 'a' });
    expect(third.error.code).toBe(-32023);
    expect(third.error.data).toMatchObject({ reason: 'too_many_tasks', limit: 2 });
    await call(runtime, 'job', {}, { principal: 'b' });
    const full = await call(runtime, 'job', {}, { principal: 'c' });
    expect(full.error.code).toBe(-32011);
    expect(full.error.data).toMatchObject({ reason: 'overloaded', limit: 3 });
  });

  it('keeps a finished task for its ttl after the work ended, then forgets it', async () => {
    const { runtime, clock, gate } = fixture({ ttlMs: 10_000 });
    const { taskId } = (await call(runtime, 'job')).result;
    clock.advance(30_000);
    // Still running: the ttl counts from the end of the work.
    expect((await get(runtime, taskId)).result.status).toBe('working');
    gate.resolve();
    await settle();
    clock.advance(9_999);
    expect((await get(runtime, taskId)).result.status).toBe('completed');
    clock.advance(1);
    expect((await get(runtime, taskId)).error.code).toBe(-32602);
  });

  it('close() settles every task: a running one is cancelled once the drain is over, and close resolves', async () => {
    const { runtime, signals } = fixture();
    const running = (await call(runtime, 'job')).result.taskId;
    await call(runtime, 'must');
    await settle();
    let closed = false;
    const closing = runtime.close({ drainMs: 0 }).then(() => {
      closed = true;
    });
    await closing;
    expect(closed).toBe(true);
    expect(signals[0]?.aborted).toBe(true);
    expect((await get(runtime, running)).error.code).toBe(-32013);
  });

  it('close() lets a running task finish within the drain', async () => {
    const { runtime, gate, signals } = fixture();
    await call(runtime, 'job');
    const closing = runtime.close({ drainMs: 60_000 });
    gate.resolve();
    await closing;
    expect(signals[0]?.aborted).toBe(false);
  });
});
