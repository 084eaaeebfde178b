/**
 * State handles, "create once, call many": what a handle's actor costs against the same tool
 * keeping its state in a `Map` keyed by an argument, in one runtime, in the same run.
 *
 * - **Calls.** `HANDLES` handles (or Map entries) are created once; then one closed-loop worker per
 *   handle calls it `calls` times back to back, each call adding 1 to a counter in the state and
 *   answering the new count. Through both of the runtime's in-process doors: `dispatch` on one 2025
 *   session per handle, and the sessionless 2026-07-28 `serve` (what the HTTP transport calls for
 *   a 2026 request). Reported: calls/s, p50/p99 of one call (from the door to its answer), CPU per
 *   call, and the ratios handle ÷ Map. The runs (at least 5) are interleaved (handle, Map, Map,
 *   handle, …) with a full collection before each; the tables show their medians.
 * - **Memory.** Heap per idle handle, after `gc`, once the handles rest (their lifecycle actors put
 *   away, their idle timers armed): (heap with N handles − heap before) ÷ N, beside the same for N
 *   Map entries created through the same runtime, and beside a handle still awake.
 *
 * The work per call is the same on both sides: zod validation of `{ counterId, by }` (the same
 * string bounds), a lookup of the id, the owner check (the handle's principal binding; the Map
 * entry stores its creator's principal and the tool compares it), `count += by`, the same string
 * result. What only the handle does is what it is for: the call runs in the handle's mailbox (FIFO
 * per handle, one at a time), keeps its idle timer fresh and counts against its kind's limits. The
 * Map baseline gives none of that: no ordering of calls on one id, no expiry, no limit.
 *
 *   npm run bench -- --only=handles
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineHandle, defineTool, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/messages.js';
import type { BenchConfig } from '../harness/config.js';
import { freshId, initializedNotification, initializeRequest } from '../harness/engine.js';
import { canCollectGarbage, collectGarbage, settledHeapUsed } from '../harness/measure.js';
import { formatBytes, formatCount, formatMs, formatRatio, median, percentile } from '../harness/stats.js';
import type { Report } from '../harness/table.js';

/** Handles (and Map entries) called at once, one worker each. */
const HANDLES = 100;
/** `restAfterMs` of the memory runtime: the handles rest this long after their creation. */
const REST_AFTER_MS = 200;

/** One counter's state: the same object shape on both sides. */
interface Counter {
  count: number;
}

/** A Map entry: the state plus the principal that created it, which the tool checks. */
interface MapEntry extends Counter {
  readonly owner: string | undefined;
}

/** The runtime with both implementations of the counter, side by side. */
interface Subject {
  readonly runtime: SessionRuntime;
  readonly map: Map<string, MapEntry>;
}

function createSubject(options: { restAfterMs?: number } = {}): Subject {
  const kind = defineHandle<Counter>({
    name: 'counter',
    create: () => ({ count: 0 }),
    // High enough that no run hits a limit: a refusal would time the wrong thing.
    maxHandles: 10_000_000,
    maxPerPrincipal: Number.POSITIVE_INFINITY,
  });
  const map = new Map<string, MapEntry>();
  const by = z.number().int();
  const tools = [
    defineTool({
      name: 'handle_open',
      opens: kind,
      handler: () => 'opened',
    }),
    defineTool({
      name: 'handle_bump',
      handle: kind,
      inputSchema: z.object({ counterId: kind.idSchema, by }),
      handler: ({ by: step }, ctx) => {
        ctx.handle.state.count += step;
        return String(ctx.handle.state.count);
      },
    }),
    defineTool({
      name: 'map_open',
      // The same id and the same result shape as the runtime gives an opened handle.
      handler: (_args, ctx) => {
        const counterId = `counter_${randomBytes(18).toString('base64url')}`;
        map.set(counterId, { owner: ctx.auth?.id, count: 0 });
        return {
          content: [
            { type: 'text', text: 'opened' },
            { type: 'text', text: JSON.stringify({ counterId }) },
          ],
          structuredContent: { counterId },
        };
      },
    }),
    defineTool({
      name: 'map_bump',
      // kind.idSchema's bounds, without its description for the model.
      inputSchema: z.object({ counterId: z.string().min(1).max(256), by }),
      handler: ({ counterId, by: step }, ctx) => {
        const entry = map.get(counterId);
        if (entry === undefined || entry.owner !== ctx.auth?.id) {
          return { content: [{ type: 'text', text: 'Unknown or expired counter' }], isError: true };
        }
        entry.count += step;
        return String(entry.count);
      },
    }),
  ];
  const runtime = createSessionRuntime({
    serverInfo: { name: 'bench-handles', version: '1.0.0' },
    tools,
    maxSessions: 10_000_000,
    ...(options.restAfterMs === undefined ? {} : { restAfterMs: options.restAfterMs }),
  });
  return { runtime, map };
}

/** Which implementation a contestant calls. */
type Side = 'handle' | 'map';
/** Which door of the runtime the calls go through. */
type Door = 'dispatch' | 'serve';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'bench-client', version: '1.0.0' },
};

/** A `tools/call` as a transport hands it over: a fresh object per call, as `JSON.parse` makes. */
function toolCall(door: Door, name: string, args: Record<string, unknown>): Record<string, unknown> {
  const params =
    door === 'dispatch' ? { name, arguments: args } : { name, arguments: args, _meta: { ...ENVELOPE } };
  return { jsonrpc: '2.0', id: freshId(), method: 'tools/call', params };
}

/** Sends one call through `door` (for `dispatch`, on session `sessionId`); resolves with the answer. */
function send(
  runtime: SessionRuntime,
  door: Door,
  sessionId: string,
  message: Record<string, unknown>,
): Promise<unknown> {
  if (door === 'dispatch') return runtime.dispatch(sessionId, message);
  // What the HTTP transport does for a 2026 request: classify once, read the envelope, serve.
  const incoming = parseMessage(message) as IncomingRequest;
  const envelope = readEnvelope(incoming.params);
  if (typeof envelope === 'string') throw new Error(`bad envelope: ${envelope}`);
  return runtime.serve(incoming, envelope);
}

interface ToolAnswer {
  readonly result?: {
    readonly content: readonly { text?: string }[];
    readonly structuredContent?: { counterId?: string };
    readonly isError?: boolean;
  };
}

/** The answer's first text, or `undefined` for an error or an `isError` result. */
function okText(answer: unknown): string | undefined {
  const result = (answer as ToolAnswer | undefined)?.result;
  if (result === undefined || result.isError === true) return undefined;
  return result.content[0]?.text;
}

async function openSession(runtime: SessionRuntime, sessionId: string): Promise<void> {
  const answer = await runtime.dispatch(sessionId, initializeRequest());
  if (answer === undefined || 'error' in answer) throw new Error(`initialize: ${JSON.stringify(answer)}`);
  await runtime.dispatch(sessionId, initializedNotification());
}

/** Creates `count` counters of `side` through `door` (`batch` at a time); resolves with their ids. */
async function openCounters(
  runtime: SessionRuntime,
  side: Side,
  door: Door,
  sessionId: string,
  count: number,
  batch = 256,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += batch) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, () =>
        send(runtime, door, sessionId, toolCall(door, `${side}_open`, {})),
      ),
    );
    for (const answer of answers) {
      const id = (answer as ToolAnswer).result?.structuredContent?.counterId;
      if (typeof id !== 'string') throw new Error(`${side}_open failed: ${JSON.stringify(answer)}`);
      ids.push(id);
    }
  }
  return ids;
}

/** One run of one contestant. */
interface RunResult {
  readonly calls: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly cpuMicros: number;
  readonly p50: number;
  readonly p99: number;
}

/** A contestant: `HANDLES` counters of one side, called through one door, one worker per counter. */
interface Contestant {
  readonly side: Side;
  /** Bumps every counter has had so far, to check each worker's last answer. */
  bumps: number;
  readonly ids: readonly string[];
  /** For `dispatch`: the session of each worker. */
  readonly sessions: readonly string[];
}

async function runOnce(
  runtime: SessionRuntime,
  door: Door,
  contestant: Contestant,
  calls: number,
): Promise<RunResult> {
  const latencies = new Float64Array(contestant.ids.length * calls);
  let errors = 0;
  const expected = contestant.bumps + calls;
  const tool = `${contestant.side}_bump`;
  const worker = async (index: number) => {
    const counterId = contestant.ids[index] as string;
    const sessionId = contestant.sessions[index] ?? '';
    let last: unknown;
    for (let call = 0; call < calls; call++) {
      const sentAt = performance.now();
      last = await send(runtime, door, sessionId, toolCall(door, tool, { counterId, by: 1 }));
      latencies[index * calls + call] = performance.now() - sentAt;
    }
    // Every call of this worker counted, none lost or doubled: the last answer is the running total.
    if (okText(last) !== String(expected)) errors++;
  };
  collectGarbage();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(contestant.ids.map((_, index) => worker(index)));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  contestant.bumps = expected;
  const sample = Array.from(latencies);
  return {
    calls: latencies.length,
    errors,
    elapsedMs,
    cpuMicros: cpu.user + cpu.system,
    p50: percentile(sample, 50),
    p99: percentile(sample, 99),
  };
}

interface DoorStanding {
  readonly rate: number;
  readonly cpuPerCall: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly rates: readonly number[];
}

function standingOf(runs: readonly RunResult[]): DoorStanding {
  const rates = runs.map((run) => (run.calls * 1000) / run.elapsedMs);
  return {
    rate: median(rates),
    cpuPerCall: median(runs.map((run) => run.cpuMicros / run.calls)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    rates,
  };
}

async function contestDoor(door: Door, config: BenchConfig, report: Report): Promise<void> {
  const calls = config.full ? 500 : 100;
  const label = `handles: ${HANDLES} × ${calls} calls, ${door === 'dispatch' ? 'dispatch, one 2025 session per handle' : 'serve, 2026-07-28 sessionless'}`;
  console.log(`\n▸ ${label}`);
  const { runtime } = createSubject();
  const contestants: Contestant[] = [];
  for (const side of ['handle', 'map'] as const) {
    const sessions =
      door === 'dispatch' ? Array.from({ length: HANDLES }, (_, index) => `${side}-${door}-${index}`) : [];
    for (const sessionId of sessions) await openSession(runtime, sessionId);
    const ids = await openCounters(runtime, side, door, sessions[0] ?? '', HANDLES);
    contestants.push({ side, bumps: 0, ids, sessions });
  }
  const results = new Map<Side, RunResult[]>([
    ['handle', []],
    ['map', []],
  ]);
  // Warm-up: both sides, untimed.
  for (const contestant of contestants) await runOnce(runtime, door, contestant, Math.ceil(calls / 2));
  // Runs are short (tenths of a second): take more than elsewhere, so a neighbour's burst moves no median.
  const runs = Math.max(config.runs, 5);
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? contestants : [...contestants].reverse();
    for (const contestant of order) {
      results.get(contestant.side)?.push(await runOnce(runtime, door, contestant, calls));
    }
  }
  await runtime.close({ drainMs: 0 });
  const handle = standingOf(results.get('handle') ?? []);
  const map = standingOf(results.get('map') ?? []);
  const erred = handle.errors + map.errors > 0;
  const errorNote = (standing: DoorStanding) => (standing.errors > 0 ? ` (${standing.errors} errors!)` : '');
  report.add({
    scenario: `${label}: calls/s`,
    ours: `${formatCount(handle.rate)} calls/s${errorNote(handle)}`,
    baseline: `Map keyed by argument ${formatCount(map.rate)} calls/s${errorNote(map)}`,
    ratio: formatRatio(handle.rate / map.rate),
    target: '—',
    verdict: erred ? 'MISS' : 'info',
  });
  report.add({
    scenario: `${label}: p50 / p99`,
    ours: `p50 ${formatMs(handle.p50)}, p99 ${formatMs(handle.p99)}`,
    baseline: `Map p50 ${formatMs(map.p50)}, p99 ${formatMs(map.p99)}`,
    ratio: `${formatRatio(handle.p50 / map.p50)} / ${formatRatio(handle.p99 / map.p99)}`,
    target: '—',
    verdict: erred ? 'MISS' : 'info',
  });
  report.add({
    scenario: `${label}: CPU per call`,
    ours: `${handle.cpuPerCall.toFixed(1)} µs/call`,
    baseline: `Map ${map.cpuPerCall.toFixed(1)} µs/call`,
    ratio: formatRatio(handle.cpuPerCall / map.cpuPerCall),
    target: '—',
    verdict: erred ? 'MISS' : 'info',
  });
  const note = erred ? { note: `${handle.errors + map.errors} errors: a miss` } : {};
  for (const [metric, unit, higherIsBetter, value] of [
    ['calls per second', 'calls/s', true, (standing: DoorStanding) => standing.rate],
    ['CPU per call', 'µs/call', false, (standing: DoorStanding) => standing.cpuPerCall],
  ] as const) {
    report.figure({
      scenario: label,
      metric,
      unit,
      higherIsBetter,
      values: { ours: value(handle), 'Map keyed by argument': value(map) },
      ...note,
    });
  }
  for (const [name, standing] of [
    ['state handle', handle],
    ['Map keyed by argument', map],
  ] as const) {
    report.detail({
      scenario: label,
      engine: name,
      figures: `${formatCount(standing.rate)} calls/s (runs ${standing.rates.map((rate) => formatCount(rate)).join(', ')}), CPU ${standing.cpuPerCall.toFixed(2)} µs/call, p50 ${formatMs(standing.p50)}, p99 ${formatMs(standing.p99)}`,
    });
  }
}

/**
 * Heap per counter of `side`: (settled heap with `count` of them − before) ÷ `count`. `awake`: on a
 * runtime whose handles never rest (`restAfterMs: Infinity`), so their lifecycle actors stay.
 */
async function heapPerCounter(side: Side, count: number, awake: boolean): Promise<number> {
  const restAfterMs = awake ? Number.POSITIVE_INFINITY : REST_AFTER_MS;
  // Only handles rest; a Map entry has nothing to wait for.
  const waitToRest = side === 'handle' && !awake;
  const subject = createSubject({ restAfterMs });
  const { runtime } = subject;
  await openSession(runtime, 'memory');
  // One warm-up counter, so that code and shapes compiled on first use are in the baseline.
  await openCounters(runtime, side, 'dispatch', 'memory', 1);
  if (waitToRest) await sleep(REST_AFTER_MS * 2);
  const before = await settledHeapUsed();
  // The ids are not kept here: each lives once, as its handle's key or its Map entry's.
  await openCounters(runtime, side, 'dispatch', 'memory', count);
  // Every handle has had its rest check by then.
  if (waitToRest) await sleep(REST_AFTER_MS * 3);
  const after = await settledHeapUsed();
  const live = side === 'handle' ? runtime.metrics().handles.counter?.live : subject.map.size;
  if (live !== count + 1) throw new Error(`expected ${count + 1} ${side} counters, found ${live}`);
  await runtime.close({ drainMs: 0 });
  return (after - before) / count;
}

async function memory(config: BenchConfig, report: Report): Promise<void> {
  const count = config.full ? 100_000 : 10_000;
  const scenario = `handles: heap per idle handle at ${formatCount(count)} (idle timer armed, resting)`;
  console.log(`\n▸ ${scenario}`);
  if (!canCollectGarbage()) {
    console.log('  (skipped: run with node --expose-gc)');
    report.add({ scenario, ours: '—', baseline: '—', ratio: '—', target: '—', verdict: 'SKIP' });
    return;
  }
  const opened = performance.now();
  const resting = await heapPerCounter('handle', count, false);
  const openMs = performance.now() - opened;
  const entry = await heapPerCounter('map', count, false);
  // Fewer: the figure per handle hardly depends on the count, and each costs an XState actor.
  const awakeCount = count / 4;
  const awake = await heapPerCounter('handle', awakeCount, true);
  report.add({
    scenario,
    ours: `${formatBytes(resting)} per handle`,
    baseline: `${formatBytes(entry)} per Map entry (id, state, owner)`,
    ratio: formatRatio(resting / entry),
    target: '—',
    verdict: 'info',
  });
  report.figure({
    scenario,
    metric: 'heap per idle counter',
    unit: 'bytes',
    higherIsBetter: false,
    values: { ours: resting, 'Map entry (id, state, owner)': entry },
  });
  report.detail({
    scenario: 'heap per idle handle',
    engine: 'state handle',
    figures: `${formatBytes(resting)} resting (at ${formatCount(count)}), ${formatBytes(awake)} awake (at ${formatCount(awakeCount)}, restAfterMs: Infinity); ${formatCount(count)} handles opened, measured and closed in ${formatMs(openMs)}`,
  });
}

export async function handlesScenario(config: BenchConfig, report: Report): Promise<void> {
  await contestDoor('dispatch', config, report);
  await contestDoor('serve', config, report);
  await memory(config, report);
}
