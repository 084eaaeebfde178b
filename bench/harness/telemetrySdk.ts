/**
 * An OpenTelemetry SDK set up the way a production service would, for the `telemetry` scenario
 * and its HTTP child: a `BasicTracerProvider` (AlwaysOn sampler, or 10 % of root traces behind
 * `ParentBased`) with a `BatchSpanProcessor`
 * (default queue of 2,048, batches of 512, 5 s delay) in front of an exporter that counts the spans
 * and drops them (an in-memory exporter would grow with every span and end up timing the collector),
 * an `AsyncLocalStorageContextManager`, the W3C propagator, and a `MeterProvider` whose reader is
 * the Prometheus exporter (`preventServerStart`: it is scraped through {@link TelemetrySdk.scrape}
 * or its request handler).
 *
 * OpenTelemetry's registration is process-wide: `install()` registers the providers as the globals,
 * `uninstall()` disables the globals again (the runtime re-reads them at its next request), so one
 * process can interleave rounds with and without an SDK.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

/** Counts what it is handed and drops it: the cost of a real exporter's network I/O is not ours. */
class DroppingSpanExporter implements SpanExporter {
  exported = 0;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exported += spans.length;
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * What to register: traces (AlwaysOn) and metrics; traces sampled at {@link SAMPLED_RATIO}
 * (`ParentBased(TraceIdRatioBased(0.1))`, what docs/observability.md advises for a busy server) and
 * metrics; or metrics alone.
 */
export type TelemetrySignals = 'traces+metrics' | 'sampled-traces+metrics' | 'metrics';

/** The share of root traces the `sampled-traces+metrics` set-up keeps. */
export const SAMPLED_RATIO = 0.1;

const SIGNALS: readonly string[] = ['traces+metrics', 'sampled-traces+metrics', 'metrics'];

/** The signals named by `value` (a `--telemetry=` argument); `undefined` when absent. */
export function parseSignals(value: string | undefined): TelemetrySignals | undefined {
  if (value === undefined || SIGNALS.includes(value)) return value as TelemetrySignals | undefined;
  throw new TypeError(`Expected \`--telemetry\` to be one of ${SIGNALS.join(', ')}, got ${value}`);
}

/** One SDK set-up; registered while installed. */
export class TelemetrySdk {
  private readonly spans = new DroppingSpanExporter();
  private readonly tracerProvider: BasicTracerProvider | undefined;
  /** The metric reader; its `getMetricsRequestHandler` serves `/metrics`. */
  readonly prometheus = new PrometheusExporter({ preventServerStart: true });
  private readonly meterProvider = new MeterProvider({ readers: [this.prometheus] });
  /** Bytes of Prometheus text of the last scrape. */
  lastScrapeBytes = 0;

  constructor(readonly signals: TelemetrySignals) {
    this.tracerProvider =
      signals === 'metrics'
        ? undefined
        : new BasicTracerProvider({
            sampler:
              signals === 'sampled-traces+metrics'
                ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(SAMPLED_RATIO) })
                : new AlwaysOnSampler(),
            spanProcessors: [new BatchSpanProcessor(this.spans)],
          });
  }

  /** Spans the batch processor handed to the exporter so far. */
  get spansExported(): number {
    return this.spans.exported;
  }

  /** Registers the providers (and, with traces, a fresh context manager and the propagator). */
  install(): void {
    if (this.tracerProvider !== undefined) {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(this.tracerProvider);
    }
    metrics.setGlobalMeterProvider(this.meterProvider);
  }

  /** Disables every global again (`context.disable()` also disables the context manager). */
  uninstall(): void {
    trace.disable();
    propagation.disable();
    context.disable();
    metrics.disable();
  }

  /** What a Prometheus scrape costs this process: collect every metric and serialize them as text. */
  async scrape(): Promise<string> {
    const text = await new Promise<string>((resolve) => {
      const chunks: string[] = [];
      const response = {
        statusCode: 0,
        setHeader: () => undefined,
        end: (chunk?: string) => {
          if (chunk !== undefined) chunks.push(chunk);
          resolve(chunks.join(''));
        },
      };
      this.prometheus.getMetricsRequestHandler(
        {} as Parameters<PrometheusExporter['getMetricsRequestHandler']>[0],
        response as unknown as Parameters<PrometheusExporter['getMetricsRequestHandler']>[1],
      );
    });
    this.lastScrapeBytes = text.length;
    return text;
  }

  /** Hands every ended span still queued to the exporter. */
  async forceFlush(): Promise<void> {
    await this.tracerProvider?.forceFlush();
  }

  /** Flushes and shuts the providers down (after `uninstall`). */
  async shutdown(): Promise<void> {
    await this.tracerProvider?.shutdown();
    await this.meterProvider.shutdown();
  }
}
