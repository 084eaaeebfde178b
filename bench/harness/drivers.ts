/**
 * Load drivers: closed loops (each worker sends its next message when the previous one is answered),
 * by message count or by duration, and the head-of-line probe.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BenchEngine } from './engine.js';
import { isErrorResponse } from './engine.js';
import { measure } from './measure.js';
import { percentile } from './stats.js';

export interface LoadShape {
  readonly engine: BenchEngine;
  readonly sessionIds: readonly string[];
  /** Workers per session, each with one message outstanding. */
  readonly inFlight: number;
  /** Builds the next message (a fresh object with a fresh id). */
  readonly message: () => unknown;
}

export interface LoadResult {
  readonly messages: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly cpuMicros: number;
  /** Messages per second. */
  readonly rate: number;
  /** CPU microseconds per message. */
  readonly cpuPerMessage: number;
}

function result(messages: number, errors: number, elapsedMs: number, cpuMicros: number): LoadResult {
  return {
    messages,
    errors,
    elapsedMs,
    cpuMicros,
    rate: (messages * 1000) / elapsedMs,
    cpuPerMessage: cpuMicros / messages,
  };
}

/** Every worker sends `perWorker` messages; timed from the first send to the last answer. */
export async function closedLoopByCount(shape: LoadShape, perWorker: number): Promise<LoadResult> {
  let errors = 0;
  const worker = async (sessionId: string) => {
    for (let sent = 0; sent < perWorker; sent++) {
      if (isErrorResponse(await shape.engine.dispatch(sessionId, shape.message()))) errors++;
    }
  };
  const run = await measure(() => {
    const workers: Promise<void>[] = [];
    for (const sessionId of shape.sessionIds) {
      for (let slot = 0; slot < shape.inFlight; slot++) workers.push(worker(sessionId));
    }
    return Promise.all(workers);
  });
  const messages = shape.sessionIds.length * shape.inFlight * perWorker;
  return result(messages, errors, run.elapsedMs, run.cpuMicros);
}

/**
 * Workers send until `durationMs` has passed; only answers that arrive inside the window count, so
 * an engine with a long queue at the deadline is not credited for draining it afterwards. Workers
 * also read the clock themselves, so a handler that never yields to the event loop still stops.
 */
export async function closedLoopByTime(shape: LoadShape, durationMs: number): Promise<LoadResult> {
  let answered = 0;
  let errors = 0;
  let open = true;
  let cpuAtDeadline = 0;
  const cpuBefore = process.cpuUsage();
  const deadline = performance.now() + durationMs;
  const close = () => {
    if (!open) return;
    open = false;
    const cpu = process.cpuUsage(cpuBefore);
    cpuAtDeadline = cpu.user + cpu.system;
  };
  const closer = setTimeout(close, durationMs);
  const worker = async (sessionId: string) => {
    while (open) {
      const answer = await shape.engine.dispatch(sessionId, shape.message());
      if (performance.now() > deadline) close();
      if (!open) break;
      answered++;
      if (isErrorResponse(answer)) errors++;
    }
  };
  const workers: Promise<void>[] = [];
  for (const sessionId of shape.sessionIds) {
    for (let slot = 0; slot < shape.inFlight; slot++) workers.push(worker(sessionId));
  }
  await Promise.all(workers);
  clearTimeout(closer);
  return result(answered, errors, durationMs, cpuAtDeadline);
}

export interface HeadOfLineResult {
  /** Latencies of the other sessions' requests, in ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
  /** Slow requests answered meanwhile. */
  readonly slowAnswered: number;
}

/**
 * One session runs `slowMessage` back to back; every other session sends `fastMessage`, waits for its
 * answer, yields one event-loop turn (as a request from a socket would arrive) and goes again. Reports
 * the other sessions' latency, from `dispatch` to answer.
 */
export async function headOfLine(
  engine: BenchEngine,
  slowSessionId: string,
  fastSessionIds: readonly string[],
  messages: { readonly slow: () => unknown; readonly fast: () => unknown },
  durationMs: number,
): Promise<HeadOfLineResult> {
  let open = true;
  let slowAnswered = 0;
  const latencies: number[] = [];
  const slowLoop = async () => {
    while (open) {
      await engine.dispatch(slowSessionId, messages.slow());
      slowAnswered++;
    }
  };
  const fastLoop = async (sessionId: string) => {
    while (open) {
      await nextTurn();
      const sentAt = performance.now();
      await engine.dispatch(sessionId, messages.fast());
      latencies.push(performance.now() - sentAt);
    }
  };
  const closer = setTimeout(() => {
    open = false;
  }, durationMs);
  await Promise.all([slowLoop(), ...fastSessionIds.map(fastLoop)]);
  clearTimeout(closer);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    samples: latencies.length,
    slowAnswered,
  };
}
