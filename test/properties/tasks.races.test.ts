/**
 * Races on tasks (SEP-2663): fast-check draws task creations, `tasks/get`, `tasks/update`,
 * `tasks/cancel`, the handlers' progress (each step and each input request is its own scheduled
 * event), clock jumps past the ttl and a `close()` anywhere, and the interleaving of all of them.
 * Whatever the order: every request settles, a `tasks/get` sent the moment `CreateTaskResult`
 * arrives finds the task, ids are never shared (one live task per id, each in the directory once),
 * a status once terminal never changes, and `close()` resolves with no task left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool, ManualClock, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { numRuns, propertyParameters, settleReactions, timeoutFor } from './raceRun.js';

const TASKS = 'io.modelcontextprotocol/tasks';
const TTL_MS = 1_000;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

let nextId = 1;

function send(runtime: SessionRuntime, method: string, params: Json): Promise<Json> {
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
  return runtime.serve(message, envelope, { principal: { id: 'p' } }) as Promise<Json>;
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), ask: fc.boolean(), fail: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('get' as const, 'cancel' as const, 'update' as const), task: fc.nat(5) }),
  fc.record({ kind: fc.constant('expire' as const) }),
);

const taskScenario = fc.record({
  scheduler: fc.scheduler({
    act: async (task) => {
      await task();
      await settleReactions();
    },
  }),
  operations: fc.array(operation, { minLength: 1, maxLength: 10 }),
  /** Where `close()` comes among the operations (past the end: after them all). */
  closeAt: fc.nat(12),
});

describe('task races', () => {
  it(
    'settles every request, finds every task right after its creation, never shares an id, and closes clean',
    async () => {
      const property = fc.asyncProperty(taskScenario, async ({ scheduler, operations, closeAt }) => {
        const clock = new ManualClock();
        let works = 0;
        const step = scheduler.scheduleFunction(async function step(_label: string) {});
        const runtime = createSessionRuntime({
          clock,
          tasks: { ttlMs: TTL_MS },
          tools: [
            defineTool({
              name: 'job',
              execution: { taskSupport: 'required' },
              inputSchema: z.object({ ask: z.boolean().optional(), fail: z.boolean().optional() }),
              handler: async (args, ctx) => {
                works++;
                await step('work');
                if (args.ask === true) {
                  await ctx.request(
                    'elicitation/create',
                    { message: 'ok?', requestedSchema: { type: 'object', properties: {} } },
                    { key: 'ok' },
                  );
                }
                await step('finish');
                if (args.fail === true) throw new Error('job failed');
                return 'done';
              },
            }),
          ],
        });
        const ids: string[] = [];
        const requests: Promise<unknown>[] = [];
        const settled = new Set<Promise<unknown>>();
        const track = <T>(promise: Promise<T>): Promise<T> => {
          requests.push(promise);
          void promise.then(() => settled.add(promise));
          return promise;
        };
        const terminal = new Map<string, string>();
        const observe = (answer: Json) => {
          const task = answer.result;
          if (task?.taskId === undefined || task.status === undefined) return;
          const before = terminal.get(task.taskId);
          if (before !== undefined) expect(task.status, 'a terminal status changed').toBe(before);
          else if (TERMINAL.has(task.status)) terminal.set(task.taskId, task.status);
        };
        let closing: Promise<void> | undefined;
        const close = () => {
          closing ??= runtime.close({ drainMs: 0 });
          return closing;
        };
        const deliver = scheduler.scheduleFunction(async function deliver(_index: number) {});
        const runs = operations.map((op, index) =>
          deliver(index).then(async () => {
            if (index === closeAt) void close();
            const taskId =
              op.kind === 'create' || op.kind === 'expire' ? undefined : (ids[op.task] ?? 'unknown-id');
            switch (op.kind) {
              case 'create': {
                const created = await track(send(runtime, 'tools/call', { name: 'job', arguments: op }));
                if (created.error !== undefined) {
                  expect(created.error.data.reason).toBe('shutting_down');
                  return;
                }
                const id = created.result.taskId as string;
                expect(ids, 'a task id was minted twice').not.toContain(id);
                ids.push(id);
                // Strong consistency (SEP-2663): the task is there the moment it is announced.
                const got = await track(send(runtime, 'tasks/get', { taskId: id }));
                if (closing === undefined) expect(got.result?.taskId).toBe(id);
                observe(got);
                return;
              }
              case 'get':
                observe(await track(send(runtime, 'tasks/get', { taskId })));
                return;
              case 'cancel':
                await track(send(runtime, 'tasks/cancel', { taskId }));
                return;
              case 'update':
                await track(
                  send(runtime, 'tasks/update', { taskId, inputResponses: { ok: { action: 'accept' } } }),
                );
                return;
              default:
                clock.advance(TTL_MS);
            }
          }),
        );
        await scheduler.waitIdle();
        await Promise.all(runs);
        // Last looks before close: cancelling a finished task changes nothing.
        for (const id of ids) observe(await track(send(runtime, 'tasks/get', { taskId: id })));
        for (const id of ids) await track(send(runtime, 'tasks/cancel', { taskId: id }));
        for (const id of ids) observe(await track(send(runtime, 'tasks/get', { taskId: id })));
        if (closing === undefined) expect(works, 'a created task never ran its work').toBe(ids.length);
        const live = (runtime as unknown as { tasks: { size: number } }).tasks;
        expect(live.size, 'more live tasks than ids minted').toBeLessThanOrEqual(ids.length);
        await close();
        await scheduler.waitIdle();
        await settleReactions();
        expect(live.size, 'a task outlived close()').toBe(0);
        await Promise.all(requests);
        expect(settled.size, 'a request never settled').toBe(requests.length);
      });
      await fc.assert(property, propertyParameters(Math.min(numRuns, 200)));
    },
    timeoutFor(Math.min(numRuns, 200)),
  );
});
