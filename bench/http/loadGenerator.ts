/**
 * The closed-loop load generator of the HTTP benchmark: each virtual client owns one session (or,
 * in 2026-07-28, one stateless caller) and sends its next `tools/call` as soon as the previous
 * answer arrived, for a fixed window. It runs in the parent process; the server runs in its own child.
 */
import type { HttpConnectionPool } from './HttpConnectionPool.js';
import type { EchoCaller, ResponseMode } from './McpHttpClient.js';
import { McpHttpSession } from './McpHttpClient.js';

/** What one timed window gave. */
export interface LoadRun {
  /** Calls answered correctly. */
  readonly calls: number;
  /** Calls answered wrongly or not at all. */
  readonly errors: number;
  /** The first few errors, for the report. */
  readonly errorSamples: readonly string[];
  /** Latency of every correct call, ms. */
  readonly latencies: Float64Array;
  /** From the first call sent to the last answer received, ms. */
  readonly elapsedMs: number;
  /** CPU µs the load generator (this process) used meanwhile. */
  readonly clientCpuMicros: number;
}

/** Runs `task` for every index below `count`, at most `concurrency` at a time. */
async function pooled<TResult>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<TResult>,
): Promise<TResult[]> {
  const results: TResult[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Opens `count` sessions (full handshake each), `concurrency` handshakes at a time. */
export function openSessions(
  pool: HttpConnectionPool,
  mode: ResponseMode,
  count: number,
  concurrency: number,
  label: string,
): Promise<McpHttpSession[]> {
  return pooled(count, concurrency, (index) => McpHttpSession.open(pool, mode, `${label}${index}`));
}

/** Deletes every session, `concurrency` at a time. */
export async function closeSessions(sessions: readonly McpHttpSession[], concurrency: number): Promise<void> {
  await pooled(sessions.length, concurrency, (index) => (sessions[index] as McpHttpSession).close());
}

/** Every session (or stateless caller) calls `echo` back to back until `windowMs` has passed. */
export async function closedLoop(sessions: readonly EchoCaller[], windowMs: number): Promise<LoadRun> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + windowMs;
  const client = async (session: EchoCaller): Promise<void> => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const error = await session.callEcho();
      if (error === undefined) latencies.push(performance.now() - sent);
      else {
        errors++;
        if (errorSamples.length < 3) errorSamples.push(error);
      }
    }
  };
  await Promise.all(sessions.map(client));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    calls: latencies.length,
    errors,
    errorSamples,
    latencies: Float64Array.from(latencies),
    elapsedMs,
    clientCpuMicros: cpu.user + cpu.system,
  };
}
