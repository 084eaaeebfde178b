/**
 * A meter provider without a tracer provider (a context manager registered, as the Node SDK does):
 * the duration is recorded, and the request's work runs in its caller's context, untouched (no span,
 * so nothing to switch to).
 */
import { context, createContextKey, metrics, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { openSession, request } from '../helpers.js';
import { histogramOf, pointsOf } from './sdk.js';

const CALLER = createContextKey('caller');
let reader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
});

afterAll(async () => {
  metrics.disable();
  context.disable();
  await meterProvider.shutdown();
});

describe('metrics without traces', () => {
  it("records the duration and runs the handler in its caller's context", async () => {
    const seen: unknown[] = [];
    const runtime = createSessionRuntime({
      tools: [
        defineTool({
          name: 'look',
          handler: async () => {
            await Promise.resolve();
            seen.push(context.active().getValue(CALLER), trace.getActiveSpan());
            return 'ok';
          },
        }),
      ],
    });
    await openSession(runtime, 's1');
    const answer = await context.with(ROOT_CONTEXT.setValue(CALLER, 'caller'), () =>
      runtime.dispatch('s1', request(2, 'tools/call', { name: 'look' })),
    );
    expect(answer).toMatchObject({ result: { content: [{ text: 'ok' }] } });
    expect(seen).toEqual(['caller', undefined]);
    const { resourceMetrics } = await reader.collect();
    const call = pointsOf(resourceMetrics, 'mcp.server.operation.duration').find(
      (point) => point.attributes['gen_ai.tool.name'] === 'look',
    );
    expect(call === undefined ? 0 : histogramOf(call).count).toBe(1);
    await runtime.close({ drainMs: 0 });
  });
});
