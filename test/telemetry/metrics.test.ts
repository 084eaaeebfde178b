/**
 * The metrics: the convention's two histograms (seconds, its bucket boundaries, its attributes) and
 * the runtime's own `mcp_session_runtime.*` instruments, observed from its counters at collection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { DURATION_BUCKETS_SECONDS } from '../../src/runtime/telemetry/semconv.js';
import { initializeRequest, openSession, request } from '../helpers.js';
import type { TestSdk } from './sdk.js';
import { collect, histogramOf, metricValue, pointsOf, registerSdk, unregisterSdk } from './sdk.js';

let sdk: TestSdk;
let runtime: SessionRuntime | undefined;

const echo = defineTool({ name: 'echo', inputSchema: { text: z.string() }, handler: ({ text }) => text });
const mirror = defineTool({ name: 'mirror', inputSchema: { text: z.string() }, handler: ({ text }) => text });

beforeAll(() => {
  sdk = registerSdk();
});

afterAll(async () => {
  await unregisterSdk(sdk);
});

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

describe('mcp.server.operation.duration', () => {
  it('records each request in seconds with the convention buckets and attributes, network.* but not client.*', async () => {
    runtime = createSessionRuntime({ tools: [echo] });
    await openSession(runtime, 's1');
    const telemetry = { attributes: { 'network.transport': 'pipe', 'client.address': '10.0.0.1' } };
    await runtime.dispatch('s1', request(2, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }), {
      telemetry,
    });
    await runtime.dispatch('s1', request(3, 'no/such'), { telemetry });
    const points = pointsOf(await collect(sdk), 'mcp.server.operation.duration');
    const call = points.find((point) => point.attributes['mcp.method.name'] === 'tools/call');
    expect(call?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'mcp.protocol.version': '2025-11-25',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'pipe',
    });
    const histogram = histogramOf(call as (typeof points)[number]);
    expect(histogram.buckets.boundaries).toEqual([...DURATION_BUCKETS_SECONDS]);
    expect(histogram.count).toBe(1);
    // Seconds, not ms: an in-process call takes far less than one.
    expect(histogram.sum).toBeLessThan(1);
    const failed = points.find((point) => point.attributes['mcp.method.name'] === 'no/such');
    expect(failed?.attributes).toMatchObject({
      'error.type': '-32601',
      'rpc.response.status_code': '-32601',
    });
    // No session id on a metric: one series per session would be unbounded.
    for (const point of points) expect(point.attributes['mcp.session.id']).toBeUndefined();
  });

  it('hands the SDK attribute sets whose keys are already in code-point order (it sorts them on every record)', async () => {
    runtime = createSessionRuntime({ tools: [echo] });
    await openSession(runtime, 's1');
    const telemetry = {
      attributes: {
        'network.transport': 'tcp',
        'network.protocol.version': '1.1',
        'network.protocol.name': 'http',
        'client.port': 1,
      },
    };
    await runtime.dispatch('s1', request(2, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }), {
      telemetry,
    });
    await runtime.dispatch('s1', request(3, 'no/such'), { telemetry });
    const points = pointsOf(await collect(sdk), 'mcp.server.operation.duration');
    const keys = points.map((point) => Object.keys(point.attributes));
    expect(keys).toContainEqual([
      'gen_ai.operation.name',
      'gen_ai.tool.name',
      'mcp.method.name',
      'mcp.protocol.version',
      'network.protocol.name',
      'network.protocol.version',
      'network.transport',
    ]);
    expect(keys).toContainEqual([
      'error.type',
      'mcp.method.name',
      'mcp.protocol.version',
      'network.protocol.name',
      'network.protocol.version',
      'network.transport',
      'rpc.response.status_code',
    ]);
    for (const set of keys) expect(set).toEqual([...set].sort());
  });

  it('keeps one series per attribute set: requests differing only in their transport are not merged', async () => {
    runtime = createSessionRuntime({ tools: [mirror] });
    await openSession(runtime, 's1');
    const transports = [
      { 'network.transport': 'tcp', 'network.protocol.name': 'http', 'network.protocol.version': '1.1' },
      { 'network.transport': 'tcp', 'network.protocol.name': 'http', 'network.protocol.version': '2' },
      { 'network.transport': 'unix', 'network.protocol.name': 'http', 'network.protocol.version': '1.1' },
      { 'network.transport': 'tcp', 'network.protocol.name': 'https', 'network.protocol.version': '1.1' },
      { 'network.transport': 'tcp', 'network.protocol.name': 'http', 'network.protocol.version': '1.1' },
    ];
    let id = 10;
    for (const attributes of transports) {
      await runtime.dispatch(
        's1',
        request(id++, 'tools/call', { name: 'mirror', arguments: { text: 'x' } }),
        {
          telemetry: { attributes },
        },
      );
    }
    await runtime.dispatch('s1', request(id++, 'tools/call', { name: 'mirror', arguments: { text: 'x' } }));
    const calls = pointsOf(await collect(sdk), 'mcp.server.operation.duration').filter(
      (point) => point.attributes['gen_ai.tool.name'] === 'mirror',
    );
    const counts = calls.map((point) => [
      `${point.attributes['network.transport']} ${point.attributes['network.protocol.name']} ${point.attributes['network.protocol.version']}`,
      histogramOf(point).count,
    ]);
    expect(counts.sort()).toEqual([
      ['tcp http 1.1', 2],
      ['tcp http 2', 1],
      ['tcp https 1.1', 1],
      ['undefined undefined undefined', 1],
      ['unix http 1.1', 1],
    ]);
  });
});

/** The session-duration histogram's count and sum so far (0 and 0 before any). */
function sessionDurations(collected: Awaited<ReturnType<typeof collect>>): { count: number; sum: number } {
  const point = pointsOf(collected, 'mcp.server.session.duration')[0];
  if (point === undefined) return { count: 0, sum: 0 };
  const { count, sum = 0 } = histogramOf(point);
  return { count, sum };
}

describe('mcp.server.session.duration', () => {
  it("records a session's life from start to stop, in seconds, with its protocol version", async () => {
    const clock = new ManualClock();
    runtime = createSessionRuntime({ tools: [echo], clock });
    await openSession(runtime, 's1');
    // Cumulative: sessions of earlier tests are in it too, so compare before and after.
    const before = sessionDurations(await collect(sdk));
    clock.advance(1_500);
    runtime.remove('s1');
    const points = pointsOf(await collect(sdk), 'mcp.server.session.duration');
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes).toEqual({ 'mcp.protocol.version': '2025-11-25' });
    const histogram = histogramOf(points[0] as (typeof points)[number]);
    expect(histogram.buckets.boundaries).toEqual([...DURATION_BUCKETS_SECONDS]);
    expect(histogram.count - before.count).toBe(1);
    expect((histogram.sum ?? 0) - before.sum).toBeCloseTo(1.5, 9);
  });
});

describe('mcp_session_runtime gauges and counters', () => {
  it('observes live sessions at collection time: 0, then 2, then 0', async () => {
    runtime = createSessionRuntime({ tools: [echo] });
    expect(metricValue(await collect(sdk), 'mcp_session_runtime.sessions')).toBe(0);
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    expect(metricValue(await collect(sdk), 'mcp_session_runtime.sessions')).toBe(2);
    runtime.remove('a');
    runtime.remove('b');
    const after = await collect(sdk);
    expect(metricValue(after, 'mcp_session_runtime.sessions')).toBe(0);
    expect(metricValue(after, 'mcp_session_runtime.sessions.stopped', { reason: 'removed' })).toBe(2);
    expect(metricValue(after, 'mcp_session_runtime.sessions.stopped', { reason: 'idle' })).toBe(0);
  });

  it('counts refusals by reason', async () => {
    runtime = createSessionRuntime({ tools: [echo], maxSessions: 1 });
    await openSession(runtime, 'a');
    const refused = await runtime.dispatch('b', initializeRequest());
    expect(refused).toMatchObject({ error: { data: { reason: 'overloaded' } } });
    await runtime.dispatch('nobody', request(1, 'tools/list'));
    const collected = await collect(sdk);
    expect(metricValue(collected, 'mcp_session_runtime.refusals', { reason: 'overloaded' })).toBe(1);
    expect(metricValue(collected, 'mcp_session_runtime.refusals', { reason: 'session_not_found' })).toBe(1);
  });

  it('reports mailbox depth and in-flight requests while a handler runs, and the mailbox wait', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = defineTool({ name: 'slow', handler: () => held.then(() => 'done') });
    runtime = createSessionRuntime({ tools: [slow] });
    await openSession(runtime, 's1');
    const first = runtime.dispatch('s1', request(1, 'tools/call', { name: 'slow' }));
    const second = runtime.dispatch('s1', request(2, 'tools/call', { name: 'slow' }));
    const during = await collect(sdk);
    expect(metricValue(during, 'mcp_session_runtime.requests.in_flight')).toBe(1);
    expect(metricValue(during, 'mcp_session_runtime.mailbox.depth')).toBe(1);
    release();
    await Promise.all([first, second]);
    const after = await collect(sdk);
    expect(metricValue(after, 'mcp_session_runtime.mailbox.depth')).toBe(0);
    const waits = pointsOf(after, 'mcp_session_runtime.mailbox.wait');
    const before = pointsOf(during, 'mcp_session_runtime.mailbox.wait');
    const count = (points: typeof waits) => points.reduce((sum, point) => sum + histogramOf(point).count, 0);
    // The first started at once (a wait of 0 is recorded too); the second once the first ended.
    expect(count(waits) - count(before)).toBe(1);
    expect(histogramOf(waits[0] as (typeof waits)[number]).buckets.boundaries).toEqual([
      ...DURATION_BUCKETS_SECONDS,
    ]);
  });
});
