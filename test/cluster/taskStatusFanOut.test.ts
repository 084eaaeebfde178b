/**
 * Task status notifications in a cluster (tasks extension, SEP-2663, "Task Status Notifications"):
 * two runtimes on one lease store and one in-process bus. A task runs on instance A; a
 * `subscriptions/listen` served by instance B that names it gets its status changes when it is the
 * task's own principal's, and nothing when it is another principal's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ClusterPlacement,
  createClusterPlacement,
  MemoryLeaseStore,
  MemoryNotificationBus,
} from '../../src/cluster/index.js';
import type { JsonRpcMessage, SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

const TASKS = 'io.modelcontextprotocol/tasks';
const runtimes: SessionRuntime[] = [];
const placements: ClusterPlacement[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await Promise.all(placements.splice(0).map((placement) => placement.close()));
});

/**
 * Two instances. A `job` task asks its client for a name (`input_required`), then works until the
 * test calls `finish()`.
 */
async function cluster() {
  const gates: (() => void)[] = [];
  const store = new MemoryLeaseStore();
  const bus = new MemoryNotificationBus();
  const errors: unknown[] = [];
  const instance = (index: number, instanceBus: MemoryNotificationBus) => {
    const placement = createClusterPlacement({
      store,
      bus: instanceBus,
      address: `http://10.0.0.${index}:3000`,
      instanceId: `instance-${index}`,
      onError: (error) => errors.push(error),
    });
    placements.push(placement);
    const runtime = createSessionRuntime({
      placement,
      tools: [
        defineTool({
          name: 'job',
          execution: { taskSupport: 'required' },
          handler: async (_args, ctx) => {
            const answer = await ctx.request(
              'elicitation/create',
              {
                message: 'Name?',
                requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
              },
              { key: 'name' },
            );
            await new Promise<void>((resolve) => gates.push(resolve));
            return `done for ${String((answer.content as Json).name)}`;
          },
        }),
      ],
    });
    runtimes.push(runtime);
    return { runtime, placement };
  };
  const a = instance(1, bus);
  const b = instance(2, bus.connect());
  await Promise.all([a.placement.ready, b.placement.ready]);
  return { a: a.runtime, b: b.runtime, errors, finish: () => gates.shift()?.() };
}

let nextId = 1;

/** A 2026-07-28 request of `principal`, served by `runtime`. */
async function serve(
  runtime: SessionRuntime,
  principal: string,
  method: string,
  params: Json,
): Promise<Json> {
  const message = parseMessage({
    jsonrpc: '2.0',
    id: nextId++,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': { elicitation: {}, extensions: { [TASKS]: {} } },
      },
    },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  return (await runtime.serve(message, envelope, { principal: { id: principal } })) as unknown as Json;
}

/** Starts alice's `job` on `runtime` and waits until it asks for input. */
async function startTask(runtime: SessionRuntime): Promise<string> {
  const answer = await serve(runtime, 'alice', 'tools/call', { name: 'job', arguments: {} });
  const taskId = answer.result?.taskId;
  if (typeof taskId !== 'string') throw new Error(`job failed: ${JSON.stringify(answer)}`);
  await vi.waitFor(async () => {
    const task = await serve(runtime, 'alice', 'tasks/get', { taskId });
    expect(task.result.status).toBe('input_required');
  });
  return taskId;
}

/** Answers the task's question on `runtime` (its owner): the task works again. */
async function answer(runtime: SessionRuntime, taskId: string): Promise<void> {
  const ack = await serve(runtime, 'alice', 'tasks/update', {
    taskId,
    inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } },
  });
  expect(ack.result?.resultType).toBe('complete');
}

/** Opens a listen for `taskIds` as `principal`; `told` collects what it is sent. */
function listen(runtime: SessionRuntime, principal: string, taskIds: string[]) {
  const told: Json[] = [];
  const opened = runtime.listen(
    { taskIds },
    { send: (message: JsonRpcMessage) => told.push(message as Json) > 0, end: () => {} },
    { principal: { id: principal } },
  );
  if (typeof opened === 'string') throw new Error(`listen refused: ${opened}`);
  return { listen: opened, told };
}

const statuses = (told: readonly Json[]): unknown[] => told.map((message) => message.params?.status);

describe('task status notifications across instances', () => {
  it("reach the task's own principal's listens on another instance, working then completed", async () => {
    const { a, b, errors, finish } = await cluster();
    const taskId = await startTask(a);
    // B does not run the task: with a placement it honours the id all the same.
    const remote = listen(b, 'alice', [taskId]);
    const local = listen(a, 'alice', [taskId]);
    expect(remote.listen.honored).toEqual({ taskIds: [taskId] });
    await answer(a, taskId);
    await vi.waitFor(() => expect(statuses(remote.told)).toEqual(['working']));
    finish();
    await vi.waitFor(() => expect(statuses(remote.told)).toEqual(['working', 'completed']));
    expect(remote.told[1]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tasks',
      params: expect.objectContaining({
        taskId,
        status: 'completed',
        result: expect.objectContaining({ content: [{ type: 'text', text: 'done for Ada' }] }),
      }),
    });
    // The owner's own listen is told too, once per change: the bus never echoes its own message.
    expect(local.told).toEqual(remote.told);
    expect(errors).toEqual([]);
  });

  it("tell another principal's listen nothing, on either instance", async () => {
    const { a, b, finish } = await cluster();
    const taskId = await startTask(a);
    const bobThere = listen(b, 'bob', [taskId]);
    const bobHere = listen(a, 'bob', [taskId]);
    // In a cluster the id is honoured (B cannot know whose it is), but nothing of it is sent.
    expect(bobThere.listen.honored).toEqual({ taskIds: [taskId] });
    const alice = listen(b, 'alice', [taskId]);
    await answer(a, taskId);
    finish();
    // Alice's listen on B was told both changes: by then the bus delivered them to B's bob too.
    await vi.waitFor(() => expect(statuses(alice.told)).toEqual(['working', 'completed']));
    expect(bobThere.told).toEqual([]);
    expect(bobHere.told).toEqual([]);
  });
});
