/**
 * The runtime's observable instruments: read from its counters when a metric reader collects,
 * never updated per message. One batch callback per runtime, registered on the meter of the
 * provider registered now (re-registered if the provider changes) and removed when the runtime
 * closes.
 */
import type { BatchObservableCallback, BatchObservableResult, Observable } from '@opentelemetry/api';
import type { RuntimeMetrics } from '../types.js';
import type { Instruments } from './instruments.js';
import { activeInstruments } from './instruments.js';
import { ATTR_KIND, ATTR_REASON, ATTR_STATUS } from './semconv.js';

/** What the gauges read of a runtime, at collection time only. @internal */
export interface GaugeSource {
  metrics(): RuntimeMetrics;
  restingActors(): Readonly<Record<string, number>>;
  tasksByStatus(): Readonly<Record<string, number>>;
  outboundPending(): number;
}

/** @internal */
export class RuntimeGauges {
  private registeredOn: Instruments | undefined;
  private readonly callback: BatchObservableCallback = (result) => this.observe(result);

  constructor(private readonly source: GaugeSource) {}

  /**
   * Registers the callback on the current meter provider's instruments, if that changed.
   * `instruments`: the ones the caller has just looked up (a request's), else looked up here.
   */
  sync(instruments: Instruments | undefined = activeInstruments()): void {
    if (instruments === this.registeredOn) return;
    this.close();
    if (instruments === undefined) return;
    instruments.meter.addBatchObservableCallback(this.callback, observablesOf(instruments));
    this.registeredOn = instruments;
  }

  /** Stops reporting (the runtime closes). */
  close(): void {
    const registered = this.registeredOn;
    if (registered === undefined) return;
    registered.meter.removeBatchObservableCallback(this.callback, observablesOf(registered));
    this.registeredOn = undefined;
  }

  private observe(result: BatchObservableResult): void {
    const instruments = this.registeredOn;
    if (instruments === undefined) return;
    const { observed } = instruments;
    const { source } = this;
    const counters = source.metrics();
    result.observe(observed.sessions, counters.sessions);
    result.observe(observed.mailboxDepth, counters.queued);
    result.observe(observed.inFlight, counters.inFlight);
    result.observe(observed.outboundPending, source.outboundPending());
    for (const [reason, count] of Object.entries(counters.rejected)) {
      result.observe(observed.refusals, count, { [ATTR_REASON]: reason });
    }
    for (const [reason, count] of Object.entries(counters.sessionsStopped)) {
      result.observe(observed.sessionStops, count, { [ATTR_REASON]: reason });
    }
    for (const [kind, handles] of Object.entries(counters.handles)) {
      result.observe(observed.handles, handles.live, { [ATTR_KIND]: kind });
      for (const [reason, count] of Object.entries(handles.stopped)) {
        result.observe(observed.handleStops, count, { [ATTR_KIND]: kind, [ATTR_REASON]: reason });
      }
      if (handles.refused > 0) {
        result.observe(observed.refusals, handles.refused, {
          [ATTR_REASON]: 'handle_refused',
          [ATTR_KIND]: kind,
        });
      }
    }
    for (const [status, count] of Object.entries(source.tasksByStatus())) {
      result.observe(observed.tasks, count, { [ATTR_STATUS]: status });
    }
    for (const [kind, count] of Object.entries(source.restingActors())) {
      result.observe(observed.resting, count, { [ATTR_KIND]: kind });
    }
  }
}

function observablesOf(instruments: Instruments): Observable[] {
  return Object.values(instruments.observed);
}
