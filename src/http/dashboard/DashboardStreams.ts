/**
 * The dashboard's event streams: every open stream gets the same `runtime.snapshot()` once a
 * second, taken once per tick whatever the number of viewers, and at most `maxStreams` are open.
 * The timer runs only while a stream is open; streams end when the runtime stops accepting work,
 * so that a graceful shutdown is not held by a browser tab.
 *
 * With a transition log (`dashboard.transitions`), a `transitions` event follows: a new stream
 * gets the log's newest transitions, and each tick sends every stream those recorded since the
 * last tick (nothing when there are none); the page drops the ones it has already.
 */
import type { TransitionLog } from '../../runtime/telemetry/transitionLog.js';
import type { SessionRuntime } from '../../server/createSessionRuntime.js';
import type { EventStream, HttpExchange } from '../exchange.js';
import { frameSseEvent } from '../sse.js';

/** How often a snapshot is sent (ms). */
export const DASHBOARD_INTERVAL_MS = 1_000;

/** How many actors each snapshot lists. */
const PAGE_LIMIT = 50;

const streamHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** @internal */
export class DashboardStreams {
  private readonly open = new Set<EventStream>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The newest transition `seq` the ticks have sent. */
  private sentSeq = 0;

  constructor(
    private readonly runtime: SessionRuntime,
    private readonly maxStreams: number,
    private readonly report: (error: unknown) => void,
    private readonly transitions?: TransitionLog | undefined,
  ) {}

  /** Opens one stream and sends it a snapshot at once; 503 past `maxStreams` or while closing. */
  subscribe(exchange: HttpExchange): void {
    if (this.open.size >= this.maxStreams || !this.runtime.accepting) {
      exchange.respond(
        503,
        { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5', 'cache-control': 'no-store' },
        this.runtime.accepting
          ? `At most ${this.maxStreams} dashboard streams are open at once\n`
          : 'Closing\n',
      );
      return;
    }
    const stream = exchange.openStream(streamHeaders);
    this.open.add(stream);
    stream.onClose(() => {
      this.open.delete(stream);
      if (this.open.size === 0) this.stopTimer();
    });
    const event = this.snapshotEvent();
    if (event !== undefined) stream.write(event);
    const transitions = this.transitionsEvent(0);
    if (transitions !== undefined) stream.write(transitions);
    if (this.timer === undefined && !stream.closed) {
      this.sentSeq = this.newestSeq();
      this.timer = setInterval(() => this.tick(), DASHBOARD_INTERVAL_MS);
      // An open dashboard alone must not keep a process alive (Node; other platforms lack `unref`).
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  private tick(): void {
    if (!this.runtime.accepting) {
      for (const stream of [...this.open]) stream.end();
      return;
    }
    const snapshot = this.snapshotEvent();
    const after = this.sentSeq;
    this.sentSeq = this.newestSeq();
    const transitions = this.sentSeq > after ? this.transitionsEvent(after) : undefined;
    const event = (snapshot ?? '') + (transitions ?? '');
    if (event === '') return;
    for (const stream of this.open) stream.write(event);
  }

  /** The log's newest `seq`; 0 without a log or (reported) if it could not be read. */
  private newestSeq(): number {
    try {
      return this.transitions?.entries({ limit: 1 })[0]?.seq ?? 0;
    } catch (error) {
      this.report(error);
      return 0;
    }
  }

  /**
   * One SSE event holding `{ capacity, entries }`: the log's transitions recorded after `after`,
   * newest first; `undefined` without a log, or (reported) if they could not be read.
   */
  private transitionsEvent(after: number): string | undefined {
    if (this.transitions === undefined) return undefined;
    try {
      return frameSseEvent(
        JSON.stringify({ capacity: this.transitions.capacity, entries: this.transitions.entries({ after }) }),
        undefined,
        'transitions',
      );
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }

  /** One SSE event holding the snapshot as JSON; `undefined` (reported) if it could not be taken. */
  private snapshotEvent(): string | undefined {
    try {
      return frameSseEvent(
        JSON.stringify(this.runtime.snapshot({ limit: PAGE_LIMIT })),
        undefined,
        'snapshot',
      );
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
