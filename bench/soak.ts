/**
 * Churn soak (issue 8): create → use → idle-stop a million sessions in waves while a steady set of
 * long sessions keeps working, and show that nothing accumulates. Prints the heap at start, peak and
 * end (after GC), sessions per second, errors, lost requests, timers and active handles, each beside
 * its target; the baseline is the same process before the churn, so the figure that matters is the
 * ratio end / start.
 *
 *   npm run soak                 node --expose-gc --import tsx bench/soak.ts
 *   SOAK_SESSIONS=100000 npm run soak
 *
 * Environment: SOAK_SESSIONS (1,000,000), SOAK_WAVE (sessions per wave, 1,000), SOAK_LONG (long
 * sessions, 50), SOAK_CLOCK (`real`: short real idle timeout; `manual`: a ManualClock advanced
 * between waves), SOAK_IDLE_MS (50 real, 1,000 manual). Exits 1 when a target is missed.
 *
 * `runSoak` is also what `test/soak/churn.test.ts` runs, at 20,000 sessions on a ManualClock.
 */
import { getEventListeners, setMaxListeners } from 'node:events';
import os from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Clock, DispatchResult, RuntimeMetrics, SessionRuntime, TimerHandle } from '../src/index.js';
import { createSessionRuntime, defineResource, defineTool, ManualClock, systemClock } from '../src/index.js';

export interface SoakConfig {
  /** Churn sessions, all created, used and idle-stopped. */
  readonly sessions: number;
  /** Churn sessions started together in one wave. */
  readonly wave: number;
  /** Sessions that work throughout and must see no error. */
  readonly longSessions: number;
  readonly clock: 'real' | 'manual';
  readonly idleTimeoutMs: number;
  /** Called after every `sampleEvery` waves (progress output). */
  readonly onSample?: (sample: {
    readonly done: number;
    readonly heapUsed: number;
    readonly live: number;
  }) => void;
  readonly sampleEvery?: number;
}

export interface SoakReport {
  readonly config: SoakConfig;
  readonly churnMs: number;
  readonly sessionsPerSecond: number;
  readonly churnErrors: number;
  readonly longErrors: number;
  readonly longRequests: number;
  readonly dispatched: number;
  readonly lostRequests: number;
  readonly firstErrors: readonly string[];
  /** Heap after GC before the churn and after it, and the highest sample meanwhile (no GC); bytes. */
  readonly heap: {
    readonly start: number;
    readonly peak: number;
    readonly end: number;
    readonly collected: boolean;
  };
  /** Active handles (`process.getActiveResourcesInfo()`) before the runtime, and after close. */
  readonly handles: { readonly before: number; readonly afterClose: number; readonly peak: number };
  /** Runtime timers armed: after the churn (only the long sessions' should remain), after close. */
  readonly timers: { readonly afterChurn: number; readonly afterClose: number };
  readonly sizeAfterChurn: number;
  readonly sizeAfterClose: number;
  /** Subscribers told of a resource update after the churn: only the long sessions. */
  readonly subscribersAfterChurn: number;
  /** Our abort listeners left on the signal every churn request carried. */
  readonly abortListenersAfter: number;
  readonly metrics: RuntimeMetrics;
}

/** The system clock (unref'd timers), counting the timers it has armed and not yet fired or cleared. */
class CountingClock implements Clock {
  private readonly armed = new Set<TimerHandle>();
  get live(): number {
    return this.armed.size;
  }
  now(): number {
    return Date.now();
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = systemClock.setTimeout(() => {
      this.armed.delete(handle);
      callback();
    }, delayMs);
    this.armed.add(handle);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.armed.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

const RESOURCE = 'memo://soak';

function buildRuntime(clock: Clock, config: SoakConfig): SessionRuntime {
  return createSessionRuntime({
    clock,
    idleTimeoutMs: config.idleTimeoutMs,
    maxSessions: 1_000_000,
    requestTimeoutMs: 60_000,
    tools: [
      defineTool({
        name: 'echo',
        inputSchema: z.object({ text: z.string() }),
        handler: async ({ text }, ctx) => {
          ctx.progress({ progress: 1, total: 1 });
          return text;
        },
      }),
    ],
    resources: [defineResource({ uri: RESOURCE, name: 'soak', read: () => 'soak' })],
    handlers: {
      // One real turn of the event loop, as a handler doing I/O would take.
      work: async (params, ctx) => {
        ctx.log('debug', 'working');
        await nextTurn();
        return { n: params.n };
      },
    },
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'soak', version: '1' } },
} as const;

const heapUsed = () => process.memoryUsage().heapUsed;

async function settledHeap(): Promise<{ bytes: number; collected: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return { bytes: heapUsed(), collected: false };
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 8; round++) {
    gc();
    await nextTurn();
    const used = heapUsed();
    if (previous - used < 16 * 1024) break;
    previous = used;
  }
  return { bytes: heapUsed(), collected: true };
}

/** Runs the soak and reports; throws nothing (every failure is a figure in the report). */
export async function runSoak(config: SoakConfig): Promise<SoakReport> {
  const handlesBefore = process.getActiveResourcesInfo().length;
  const manual = config.clock === 'manual' ? new ManualClock() : undefined;
  const counting = manual === undefined ? new CountingClock() : undefined;
  const runtime = buildRuntime(manual ?? (counting as CountingClock), config);
  const armedTimers = () => manual?.pendingTimers ?? counting?.live ?? 0;
  const ledger = new Ledger();
  const signal = new AbortController().signal;
  // Every request of a wave listens on this one signal at once: not a leak, so no warning.
  setMaxListeners(0, signal);

  const long = new LongSessions(runtime, ledger, config.longSessions);
  await long.open();
  long.start();
  const advance = async () => {
    // Let the long sessions' loops take a turn, so that their activity is recent, then move time.
    await nextTurn();
    manual?.advance(Math.ceil(config.idleTimeoutMs * 0.6));
  };

  // Warm-up: one wave through the whole cycle, so that JIT code and caches are in the baseline.
  await churnWave(runtime, ledger, signal, 'warm', Math.min(config.wave, config.sessions));
  await waitForChurnToStop(runtime, config, advance);
  const start = await settledHeap();
  let peak = start.bytes;
  let peakHandles = process.getActiveResourcesInfo().length;

  const began = performance.now();
  const waves = Math.ceil(config.sessions / config.wave);
  for (let wave = 0; wave < waves; wave++) {
    const size = Math.min(config.wave, config.sessions - wave * config.wave);
    await churnWave(runtime, ledger, signal, `c${wave}`, size);
    await advance();
    if (wave % (config.sampleEvery ?? 50) === 0 || wave === waves - 1) {
      const used = heapUsed();
      peak = Math.max(peak, used);
      peakHandles = Math.max(peakHandles, process.getActiveResourcesInfo().length);
      config.onSample?.({ done: wave * config.wave + size, heapUsed: used, live: runtime.size });
    }
  }
  await waitForChurnToStop(runtime, config, advance);
  const churnMs = performance.now() - began;
  const end = await settledHeap();
  const sizeAfterChurn = runtime.size;
  const subscribersAfterChurn = runtime.notifyResourceUpdated(RESOURCE);

  await long.stop();
  const timersAfterChurn = armedTimers();
  await ledger.settle();
  await runtime.close({ drainMs: 1_000 });
  await nextTurn();
  return {
    config,
    churnMs,
    sessionsPerSecond: (config.sessions / churnMs) * 1_000,
    churnErrors: ledger.churnErrors,
    longErrors: ledger.longErrors,
    longRequests: ledger.longRequests,
    dispatched: ledger.dispatched,
    lostRequests: ledger.outstanding,
    firstErrors: ledger.firstErrors,
    heap: { start: start.bytes, peak, end: end.bytes, collected: start.collected },
    handles: {
      before: handlesBefore,
      afterClose: process.getActiveResourcesInfo().length,
      peak: peakHandles,
    },
    timers: { afterChurn: timersAfterChurn, afterClose: armedTimers() },
    sizeAfterChurn,
    sizeAfterClose: runtime.size,
    subscribersAfterChurn,
    abortListenersAfter: getEventListeners(signal, 'abort').length,
    metrics: runtime.metrics(),
  };
}

/** Every dispatch of the soak, so that a promise that never settles is counted as lost. */
class Ledger {
  dispatched = 0;
  outstanding = 0;
  churnErrors = 0;
  longErrors = 0;
  longRequests = 0;
  readonly firstErrors: string[] = [];

  track(promise: Promise<DispatchResult>): Promise<DispatchResult> {
    this.dispatched++;
    this.outstanding++;
    return promise.finally(() => {
      this.outstanding--;
    });
  }

  error(kind: 'churn' | 'long', detail: unknown): void {
    if (kind === 'churn') this.churnErrors++;
    else this.longErrors++;
    if (this.firstErrors.length < 5) this.firstErrors.push(`${kind}: ${JSON.stringify(detail)}`);
  }

  /** Waits (up to 10 s of turns) for every tracked dispatch to settle. */
  async settle(): Promise<void> {
    const deadline = performance.now() + 10_000;
    while (this.outstanding > 0 && performance.now() < deadline) await nextTurn();
  }
}

const isResult = (answer: DispatchResult) => answer !== undefined && 'result' in answer;

/** One churn session's life: handshake, a tool call with progress, a subscription, work, a cancellation. */
async function useSession(
  runtime: SessionRuntime,
  ledger: Ledger,
  signal: AbortSignal,
  sessionId: string,
  n: number,
): Promise<void> {
  const send = (message: unknown, options?: Parameters<SessionRuntime['dispatch']>[2]) =>
    ledger.track(runtime.dispatch(sessionId, message, options));
  const check = (ok: boolean, answer: DispatchResult) => {
    if (!ok) ledger.error('churn', answer ?? `no answer (${sessionId})`);
  };
  const opened = await send(initialize);
  check(isResult(opened), opened);
  check((await send({ jsonrpc: '2.0', method: 'notifications/initialized' })) === undefined, undefined);
  let progressSeen = 0;
  const echoed = await send(
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'hi' }, _meta: { progressToken: n } },
    },
    { onNotification: () => progressSeen++ },
  );
  check(isResult(echoed) && progressSeen === 1, echoed);
  if (n % 4 === 0) {
    runtime.attach(sessionId, () => {});
    const subscribed = await send({
      jsonrpc: '2.0',
      id: 2,
      method: 'resources/subscribe',
      params: { uri: RESOURCE },
    });
    check(isResult(subscribed), subscribed);
  }
  const work = send({ jsonrpc: '2.0', id: 3, method: 'work', params: { n } }, { signal });
  if (n % 10 === 0) {
    // A cancelled request resolves with nothing (MCP, "Cancellation").
    await send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } });
    const answer = await work;
    check(answer === undefined, answer);
  } else {
    const answer = await work;
    check(isResult(answer) && (answer as { result: { n?: number } }).result.n === n, answer);
  }
}

async function churnWave(
  runtime: SessionRuntime,
  ledger: Ledger,
  signal: AbortSignal,
  prefix: string,
  size: number,
) {
  const lives: Promise<void>[] = [];
  for (let n = 0; n < size; n++) lives.push(useSession(runtime, ledger, signal, `${prefix}-${n}`, n));
  await Promise.all(lives);
}

/** Until only the long sessions are left: time moves (manual) or passes (real). */
async function waitForChurnToStop(runtime: SessionRuntime, config: SoakConfig, advance: () => Promise<void>) {
  const deadline = performance.now() + 30_000;
  while (runtime.size > config.longSessions && performance.now() < deadline) {
    if (config.clock === 'manual') await advance();
    else await new Promise((resolve) => setTimeout(resolve, Math.min(20, config.idleTimeoutMs)));
  }
}

/** The steady sessions: each a closed loop of requests for as long as the soak runs. */
class LongSessions {
  private running = true;
  private loops: Promise<void>[] = [];
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly ledger: Ledger,
    private readonly count: number,
  ) {}

  async open(): Promise<void> {
    for (let index = 0; index < this.count; index++) {
      const sessionId = `long-${index}`;
      const opened = await this.ledger.track(this.runtime.dispatch(sessionId, initialize));
      if (!isResult(opened)) this.ledger.error('long', opened);
      await this.runtime.dispatch(sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' });
      this.runtime.attach(sessionId, () => {});
      await this.runtime.dispatch(sessionId, {
        jsonrpc: '2.0',
        id: 'sub',
        method: 'resources/subscribe',
        params: { uri: RESOURCE },
      });
    }
  }

  start(): void {
    this.loops = Array.from({ length: this.count }, (_, index) => this.loop(`long-${index}`));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(sessionId: string): Promise<void> {
    for (let n = 1; this.running; n++) {
      this.ledger.longRequests++;
      const answer = await this.ledger.track(
        this.runtime.dispatch(sessionId, { jsonrpc: '2.0', id: n, method: 'work', params: { n } }),
      );
      if (!isResult(answer) || (answer as { result: { n?: number } }).result.n !== n)
        this.ledger.error('long', answer);
    }
  }
}

// ── The command line ─────────────────────────────────────────────────────────────────────────

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

function configFromEnvironment(): SoakConfig {
  const clock = process.env.SOAK_CLOCK === 'manual' ? 'manual' : 'real';
  return {
    sessions: Number(process.env.SOAK_SESSIONS ?? 1_000_000),
    wave: Number(process.env.SOAK_WAVE ?? 1_000),
    longSessions: Number(process.env.SOAK_LONG ?? 50),
    clock,
    idleTimeoutMs: Number(process.env.SOAK_IDLE_MS ?? (clock === 'real' ? 50 : 1_000)),
    sampleEvery: 50,
    onSample: ({ done, heapUsed: used, live }) =>
      process.stdout.write(
        `  ${done.toLocaleString('en')} sessions, ${live} live, heap ${mebibytes(used)}\n`,
      ),
  };
}

/** The targets of issue 8, each as [what, figure, pass]. */
function verdicts(report: SoakReport): [string, string, boolean][] {
  const ratio = report.heap.end / report.heap.start;
  const stopped = Object.values(report.metrics.sessionsStopped).reduce((sum, count) => sum + count, 0);
  return [
    ['heap end / start (target ≤ 1.05)', `${ratio.toFixed(3)}`, report.heap.collected && ratio <= 1.05],
    ['lost requests (target 0)', `${report.lostRequests}`, report.lostRequests === 0],
    ['errors on long sessions (target 0)', `${report.longErrors}`, report.longErrors === 0],
    ['errors on churn sessions (target 0)', `${report.churnErrors}`, report.churnErrors === 0],
    [
      'sessions started = stopped',
      `${report.metrics.sessionsStarted} / ${stopped}`,
      report.metrics.sessionsStarted === stopped,
    ],
    [
      'live sessions after churn = long sessions',
      `${report.sizeAfterChurn}`,
      report.sizeAfterChurn === report.config.longSessions,
    ],
    ['runtime timers after close (target 0)', `${report.timers.afterClose}`, report.timers.afterClose === 0],
    [
      'active handles after close ≤ before',
      `${report.handles.afterClose} / ${report.handles.before}`,
      report.handles.afterClose <= report.handles.before,
    ],
    ['abort listeners left (target 0)', `${report.abortListenersAfter}`, report.abortListenersAfter === 0],
  ];
}

function print(report: SoakReport): boolean {
  const { heap, config } = report;
  const lines = [
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${os.platform()}`,
    `churn: ${config.sessions.toLocaleString('en')} sessions in waves of ${config.wave}, ${config.longSessions} long sessions, ${config.clock} clock, idle ${config.idleTimeoutMs} ms`,
    `time: ${(report.churnMs / 1_000).toFixed(1)} s, ${Math.round(report.sessionsPerSecond).toLocaleString('en')} sessions/s`,
    `requests: ${report.dispatched.toLocaleString('en')} dispatched, ${report.longRequests.toLocaleString('en')} on long sessions`,
    `heap${heap.collected ? '' : ' (no --expose-gc: not collected)'}: start ${mebibytes(heap.start)}, peak ${mebibytes(heap.peak)}, end ${mebibytes(heap.end)} (end − start ${((heap.end - heap.start) / 1024).toFixed(0)} KiB)`,
    `active handles: before ${report.handles.before}, peak ${report.handles.peak}, after close ${report.handles.afterClose}; runtime timers after churn ${report.timers.afterChurn}, after close ${report.timers.afterClose}`,
    `metrics: ${JSON.stringify({ started: report.metrics.sessionsStarted, stopped: report.metrics.sessionsStopped, accepted: report.metrics.accepted, completed: report.metrics.completed, cancelled: report.metrics.cancelled, failed: report.metrics.failed, rejected: report.metrics.rejected })}`,
    ...report.firstErrors.map((error) => `error: ${error}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  let passed = true;
  for (const [what, figure, pass] of verdicts(report)) {
    passed &&= pass;
    process.stdout.write(`${pass ? 'PASS' : 'FAIL'}  ${what.padEnd(44)} ${figure}\n`);
  }
  return passed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = configFromEnvironment();
  process.stdout.write(`soak: ${config.sessions.toLocaleString('en')} sessions\n`);
  const report = await runSoak(config);
  if (!print(report)) process.exitCode = 1;
}
