/**
 * The tracer and the instruments, looked up lazily through the OpenTelemetry API. With no SDK
 * registered each lookup is a global read and an identity check and returns `undefined`, so the
 * runtime builds no span, no attribute object and no timestamp: telemetry costs ≈ 0 until an
 * application registers a provider. A provider registered (or replaced) later is picked up at the
 * next request.
 */
import type {
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableCounter,
  ObservableGauge,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import { createNoopMeter, metrics, ProxyTracerProvider, trace, ValueType } from '@opentelemetry/api';
import {
  DURATION_BUCKETS_SECONDS,
  INSTRUMENTATION_SCOPE,
  INSTRUMENTATION_VERSION,
  METRIC_FORWARDED,
  METRIC_HANDLE_STOPS,
  METRIC_HANDLES,
  METRIC_IN_FLIGHT,
  METRIC_LEASE_CHANGES,
  METRIC_MAILBOX_DEPTH,
  METRIC_MAILBOX_WAIT,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_DURATION,
  METRIC_OUTBOUND_PENDING,
  METRIC_REFUSALS,
  METRIC_RESTING_ACTORS,
  METRIC_SESSION_STOPS,
  METRIC_SESSIONS,
  METRIC_TASKS,
} from './semconv.js';

/** The API's no-op tracer provider (what a proxy delegates to while no SDK is registered). */
const NOOP_TRACER_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();
const NOOP_METER: Meter = createNoopMeter();

let tracerProvider: TracerProvider | undefined;
let tracer: Tracer | undefined;

/**
 * The runtime's tracer (`mcp-session-runtime`), or `undefined` while no tracer provider is
 * registered. @internal
 */
export function activeTracer(): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === NOOP_TRACER_PROVIDER) return undefined;
  if (provider !== tracerProvider) {
    tracerProvider = provider;
    tracer = provider.getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
  }
  return tracer;
}

/** The instruments of one meter. @internal */
export interface Instruments {
  readonly meter: Meter;
  readonly operationDuration: Histogram;
  readonly sessionDuration: Histogram;
  readonly mailboxWait: Histogram;
  readonly forwarded: Counter;
  readonly leaseChanges: Counter;
  /** The observable instruments a runtime reports to at collection time (`addBatchObservableCallback`). */
  readonly observed: {
    readonly sessions: ObservableGauge;
    readonly resting: ObservableGauge;
    readonly handles: ObservableGauge;
    readonly tasks: ObservableGauge;
    readonly mailboxDepth: ObservableGauge;
    readonly inFlight: ObservableGauge;
    readonly outboundPending: ObservableGauge;
    readonly refusals: ObservableCounter;
    readonly sessionStops: ObservableCounter;
    readonly handleStops: ObservableCounter;
  };
}

let meterProvider: MeterProvider | undefined;
let instruments: Instruments | undefined;

/**
 * The runtime's instruments on the registered meter provider, or `undefined` while none is
 * registered. Created once per provider. @internal
 */
export function activeInstruments(): Instruments | undefined {
  const provider = metrics.getMeterProvider();
  if (provider !== meterProvider) {
    meterProvider = provider;
    const meter = provider.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
    instruments = meter === NOOP_METER ? undefined : createInstruments(meter);
  }
  return instruments;
}

/** Whether any telemetry is collected now (a tracer or a meter provider is registered). */
export function isTelemetryActive(): boolean {
  return activeTracer() !== undefined || activeInstruments() !== undefined;
}

const SECONDS = {
  unit: 's',
  valueType: ValueType.DOUBLE,
  advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS as number[] },
};

function createInstruments(meter: Meter): Instruments {
  const gauge = (name: string, description: string, unit = '{request}') =>
    meter.createObservableGauge(name, { description, unit, valueType: ValueType.INT });
  const counter = (name: string, description: string, unit: string) =>
    meter.createObservableCounter(name, { description, unit, valueType: ValueType.INT });
  return {
    meter,
    operationDuration: meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
      ...SECONDS,
      description:
        'MCP request duration as observed on the receiver from the time it was received until the result is sent.',
    }),
    sessionDuration: meter.createHistogram(METRIC_MCP_SERVER_SESSION_DURATION, {
      ...SECONDS,
      description: 'The duration of the MCP session as observed on the MCP server.',
    }),
    mailboxWait: meter.createHistogram(METRIC_MAILBOX_WAIT, {
      ...SECONDS,
      description: 'Time an accepted request waited in its mailbox before its handler started.',
    }),
    forwarded: meter.createCounter(METRIC_FORWARDED, {
      description: 'Requests forwarded to the instance that holds their actor, by outcome.',
      unit: '{request}',
      valueType: ValueType.INT,
    }),
    leaseChanges: meter.createCounter(METRIC_LEASE_CHANGES, {
      description: 'Lease changes of this instance: claims, refused claims, releases, losses.',
      unit: '{lease}',
      valueType: ValueType.INT,
    }),
    observed: {
      sessions: gauge(METRIC_SESSIONS, 'Live 2025-era sessions.', '{session}'),
      resting: gauge(METRIC_RESTING_ACTORS, 'Live actors whose lifecycle actor is put away.', '{actor}'),
      handles: gauge(METRIC_HANDLES, 'Live state handles by kind.', '{handle}'),
      tasks: gauge(METRIC_TASKS, 'Live tasks by status.', '{task}'),
      mailboxDepth: gauge(METRIC_MAILBOX_DEPTH, 'Requests waiting in mailboxes.'),
      inFlight: gauge(METRIC_IN_FLIGHT, 'Handlers holding a slot.'),
      outboundPending: gauge(METRIC_OUTBOUND_PENDING, 'Server-to-client requests awaiting an answer.'),
      refusals: counter(
        METRIC_REFUSALS,
        'Messages refused before reaching a mailbox, by reason.',
        '{message}',
      ),
      sessionStops: counter(METRIC_SESSION_STOPS, 'Sessions stopped, by reason.', '{session}'),
      handleStops: counter(METRIC_HANDLE_STOPS, 'State handles stopped, by kind and reason.', '{handle}'),
    },
  };
}
