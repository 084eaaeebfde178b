/**
 * Tasks (the `io.modelcontextprotocol/tasks` extension, SEP-2663) on the 2026-07-28 path, in
 * process through `runtime.serve` (as the HTTP transport hands requests over, without the sockets):
 *
 * - **creation**: `tools/call` of a task-optional tool by a client that declares the extension, so
 *   every call creates a task (a keyed actor in the task directory) and is answered with its
 *   `CreateTaskResult`, against the same call by a client that does not declare it (a plain call,
 *   the baseline, measured in the same run);
 * - **polling**: `tasks/get` on live tasks, round-robin over them, against `tools/list` (the
 *   cheapest request the sessionless path serves);
 * - **round trip**: create, then poll until `completed`, as a client does.
 *
 * Every answer is checked (no JSON-RPC error, `resultType` as expected); any failure is a MISS.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { JsonRpcResponse, SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { BenchConfig } from '../harness/config.js';
import { measure } from '../harness/measure.js';
import { formatCount, formatRatio, median } from '../harness/stats.js';
import type { Report } from '../harness/table.js';

const TASKS = 'io.modelcontextprotocol/tasks';
const CONCURRENCY = 50;

function runtimeOf(): SessionRuntime {
  return createSessionRuntime({
    requestStateKeys: [randomBytes(32)],
    tasks: { maxTasks: 1_000_000, maxTasksPerPrincipal: 1_000_000 },
    tools: [
      defineTool({
        name: 'work',
        inputSchema: { n: z.number() },
        execution: { taskSupport: 'optional' },
        handler: ({ n }) => String(n * 2),
      }),
    ],
  });
}

let nextId = 1;

async function serve(
  runtime: SessionRuntime,
  method: string,
  params: Record<string, unknown>,
  withTasks: boolean,
): Promise<Record<string, unknown>> {
  const message = parseMessage({
    jsonrpc: '2.0',
    id: nextId++,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': withTasks ? { extensions: { [TASKS]: {} } } : {},
      },
    },
  });
  if (message.kind !== 'request') throw new Error('not a request');
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  const answer = (await runtime.serve(message, envelope)) as JsonRpcResponse;
  if ('error' in answer) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
  return answer.result as Record<string, unknown>;
}

/** `count` calls of `call`, `CONCURRENCY` at a time; calls per second. */
async function rate(count: number, call: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) await call(next++);
  };
  const { elapsedMs } = await measure(() => Promise.all(Array.from({ length: CONCURRENCY }, worker)));
  return (count * 1000) / elapsedMs;
}

export async function tasksScenario(config: BenchConfig, report: Report): Promise<void> {
  const count = config.full ? 50_000 : 20_000;
  const creations: number[] = [];
  const plain: number[] = [];
  const gets: number[] = [];
  const lists: number[] = [];
  const roundTrips: number[] = [];
  let errors = 0;
  for (let run = 0; run < config.runs; run++) {
    const runtime = runtimeOf();
    try {
      const ids: string[] = [];
      plain.push(
        await rate(count, async (n) => {
          const result = await serve(runtime, 'tools/call', { name: 'work', arguments: { n } }, false);
          if (result.resultType !== 'complete') throw new Error('expected a plain result');
        }),
      );
      creations.push(
        await rate(count, async (n) => {
          const result = await serve(runtime, 'tools/call', { name: 'work', arguments: { n } }, true);
          if (result.resultType !== 'task') throw new Error(`expected a task, got ${JSON.stringify(result)}`);
          ids.push(result.taskId as string);
        }),
      );
      gets.push(
        await rate(count, async (n) => {
          const task = await serve(runtime, 'tasks/get', { taskId: ids[n % ids.length] }, true);
          if (task.status !== 'completed' && task.status !== 'working') throw new Error(String(task.status));
        }),
      );
      lists.push(
        await rate(count, async () => {
          await serve(runtime, 'tools/list', {}, true);
        }),
      );
      roundTrips.push(
        await rate(count / 4, async (n) => {
          const created = await serve(runtime, 'tools/call', { name: 'work', arguments: { n } }, true);
          for (;;) {
            const task = await serve(runtime, 'tasks/get', { taskId: created.taskId }, true);
            if (task.status === 'completed') return;
            if (task.status !== 'working') throw new Error(String(task.status));
            await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      );
    } catch (error) {
      errors++;
      console.error(`tasks scenario: ${(error as Error).message}`);
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  }
  const verdict = errors > 0 ? 'MISS' : 'info';
  const label = `tasks (SEP-2663), in process, ${CONCURRENCY} concurrent`;
  report.add({
    scenario: `${label}: task creation (tools/call → CreateTaskResult)`,
    ours: `${formatCount(median(creations))} tasks/s`,
    baseline: `plain tools/call ${formatCount(median(plain))} calls/s`,
    ratio: formatRatio(median(creations) / median(plain)),
    target: '—',
    verdict,
  });
  report.add({
    scenario: `${label}: tasks/get polling`,
    ours: `${formatCount(median(gets))} gets/s`,
    baseline: `tools/list ${formatCount(median(lists))} calls/s`,
    ratio: formatRatio(median(gets) / median(lists)),
    target: '—',
    verdict,
  });
  report.add({
    scenario: `${label}: create, then poll tasks/get until completed`,
    ours: `${formatCount(median(roundTrips))} tasks/s`,
    baseline: `plain tools/call ${formatCount(median(plain))} calls/s`,
    ratio: formatRatio(median(roundTrips) / median(plain)),
    target: '—',
    verdict,
  });
}
