/**
 * An in-memory OpenTelemetry SDK for the telemetry tests: spans in an `InMemorySpanExporter`
 * (through a `SimpleSpanProcessor`, so a span is there as soon as it ends), AsyncLocalStorage
 * context, W3C trace context and baggage propagation, and a `MeterProvider` whose reader the test
 * collects from. Registration is process-wide: each test file runs in its own worker, and a file
 * registers once (`beforeAll`) and removes it all in `afterAll`.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { DataPoint, Histogram, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface TestSdk {
  readonly spans: InMemorySpanExporter;
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly reader: PeriodicExportingMetricReader;
}

export function registerSdk(): TestSdk {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(tracerProvider);
  // An export interval far beyond any test: the test collects on demand.
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return { spans, tracerProvider, meterProvider, reader };
}

export async function unregisterSdk(sdk: TestSdk): Promise<void> {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  await sdk.tracerProvider.shutdown();
  await sdk.meterProvider.shutdown();
}

/** Collects every metric now. */
export async function collect(sdk: TestSdk): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await sdk.reader.collect();
  if (errors.length > 0) throw errors[0];
  return resourceMetrics;
}

/** The data points of metric `name`, across scopes. */
export function pointsOf(resourceMetrics: ResourceMetrics, name: string): DataPoint<unknown>[] {
  const points: DataPoint<unknown>[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics)
      if (metric.descriptor.name === name) points.push(...metric.dataPoints);
  }
  return points;
}

/** The value of the gauge or counter `name` at `attributes` (exact match); `undefined` if absent. */
export function metricValue(
  resourceMetrics: ResourceMetrics,
  name: string,
  attributes: Record<string, unknown> = {},
): number | undefined {
  const point = pointsOf(resourceMetrics, name).find((candidate) =>
    sameAttributes(candidate.attributes, attributes),
  );
  return point?.value as number | undefined;
}

export function histogramOf(point: DataPoint<unknown>): Histogram {
  return point.value as Histogram;
}

function sameAttributes(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
