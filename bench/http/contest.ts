/**
 * One HTTP contest: our server and the SDK server, each in its own child, 50 clients each, warmed
 * up, then timed in interleaved windows (ours, SDK, SDK, ours, …) with medians taken. The load
 * generator is this process. In the `2025-11-25` era each client is a session (the SDK 1.x server
 * with one `McpServer` per session); in `2026-07-28` each is a stateless caller, with no
 * `initialize` and no session (the SDK 2.x `createMcpHandler`, one `McpServer` per request).
 */
import { median, percentile } from '../harness/stats.js';
import { HttpConnectionPool } from './HttpConnectionPool.js';
import type { LoadRun } from './loadGenerator.js';
import { closedLoop, closeSessions, openSessions } from './loadGenerator.js';
import type { EchoCaller, McpHttpSession, ResponseMode } from './McpHttpClient.js';
import { McpStatelessCaller } from './McpHttpClient.js';
import type { ChildKind, ServerKind } from './ServerProcess.js';
import { ServerProcess } from './ServerProcess.js';

/** The shape of one contest. */
export interface ContestPlan {
  readonly mode: ResponseMode;
  /** The protocol the clients speak; `2025-11-25` (sessions) when absent. */
  readonly era?: '2025-11-25' | '2026-07-28';
  readonly clients: number;
  readonly warmUpMs: number;
  readonly windowMs: number;
  readonly runs: number;
}

/** One timed window of one server, with the server's CPU time over it. */
export interface TimedRun extends LoadRun {
  readonly serverCpuMicros: number;
}

/** Medians over one server's timed windows. */
export interface ServerStanding {
  readonly kind: ServerKind;
  /** Correct calls per second. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU µs of the server process per correct call. */
  readonly serverCpuPerCall: number;
  /** CPU µs of the load generator per correct call. */
  readonly clientCpuPerCall: number;
  /** Errors over the warm-up and every timed window; any at all makes the contest suspect. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly runs: readonly TimedRun[];
}

interface Contender {
  readonly kind: ServerKind;
  readonly server: ServerProcess;
  readonly pool: HttpConnectionPool;
  /** The callers of the closed loop: the sessions, or the stateless callers. */
  readonly callers: readonly EchoCaller[];
  /** The sessions to close at the end (none when stateless). */
  readonly sessions: readonly McpHttpSession[];
  /** Sessions the server must hold while the contest runs. */
  readonly expectedSessions: number;
  readonly runs: TimedRun[];
  warmUp: LoadRun | undefined;
}

async function liveSessionsMustBe(contender: Contender, when: string): Promise<void> {
  const live = await contender.server.sessions();
  if (live !== contender.expectedSessions) {
    throw new Error(
      `The ${contender.kind} server holds ${live} sessions ${when}, not ${contender.expectedSessions}`,
    );
  }
}

async function startContender(kind: ServerKind, plan: ContestPlan): Promise<Contender> {
  const stateless = plan.era === '2026-07-28';
  const script: ChildKind = stateless && kind === 'sdk' ? 'sdkStateless' : kind;
  const server = await ServerProcess.start({ kind: script, arguments: [`--mode=${plan.mode}`] });
  const pool = new HttpConnectionPool(server.port);
  const sessions = stateless ? [] : await openSessions(pool, plan.mode, plan.clients, plan.clients, kind);
  const callers = stateless
    ? Array.from(
        { length: plan.clients },
        (_, index) => new McpStatelessCaller(pool, plan.mode, `${kind}${index}`),
      )
    : sessions;
  const expectedSessions = stateless ? 0 : plan.clients;
  const contender = { kind, server, pool, callers, sessions, expectedSessions, runs: [], warmUp: undefined };
  await liveSessionsMustBe(contender, 'after opening');
  return contender;
}

async function timedRun(contender: Contender, windowMs: number): Promise<TimedRun> {
  const cpuBefore = await contender.server.cpuMicros();
  const run = await closedLoop(contender.callers, windowMs);
  const serverCpuMicros = (await contender.server.cpuMicros()) - cpuBefore;
  return { ...run, serverCpuMicros };
}

function standingOf(contender: Contender): ServerStanding {
  const runs = contender.runs;
  const perRun = (value: (run: TimedRun) => number) => median(runs.map(value));
  const warmUp = contender.warmUp;
  const all = warmUp === undefined ? runs : [warmUp, ...runs];
  return {
    kind: contender.kind,
    rate: perRun((run) => (run.calls * 1000) / run.elapsedMs),
    p50: perRun((run) => percentile(Array.from(run.latencies), 50)),
    p99: perRun((run) => percentile(Array.from(run.latencies), 99)),
    serverCpuPerCall: perRun((run) => run.serverCpuMicros / run.calls),
    clientCpuPerCall: perRun((run) => run.clientCpuMicros / run.calls),
    errors: all.reduce((sum, run) => sum + run.errors, 0),
    errorSamples: all.flatMap((run) => run.errorSamples).slice(0, 3),
    runs,
  };
}

/**
 * Runs both servers under the same closed loop. The warm-up is also the check that each server
 * answers correctly (its errors count), so a broken baseline cannot pass for a slow one.
 */
export async function runContest(plan: ContestPlan): Promise<Record<ServerKind, ServerStanding>> {
  const contenders = [await startContender('ours', plan), await startContender('sdk', plan)];
  try {
    for (const contender of contenders) {
      contender.warmUp = await closedLoop(contender.callers, plan.warmUpMs);
    }
    for (let round = 0; round < plan.runs; round++) {
      // Every other round in reverse (ours SDK, SDK ours, …), as the in-process comparisons do.
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const contender of order) contender.runs.push(await timedRun(contender, plan.windowMs));
    }
    // A stateless contest must have left no session behind on either server.
    for (const contender of contenders) await liveSessionsMustBe(contender, 'after the load');
    for (const contender of contenders) await closeSessions(contender.sessions, plan.clients);
  } finally {
    for (const contender of contenders) {
      contender.pool.close();
      await contender.server.stop();
    }
  }
  const [ours, sdk] = contenders.map(standingOf) as [ServerStanding, ServerStanding];
  return { ours, sdk };
}
