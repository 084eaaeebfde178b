/**
 * Cluster forwarding: what a request costs when it reaches an instance that does not own its id
 * and is forwarded to the one that does, against the same request sent to the owner directly.
 * Two instances of the cluster example (`examples/cluster/instance.ts`, run with tsx) are child
 * processes against one Redis; this process is the load generator. A private `redis-server` is
 * started when the binary exists (its command counts are then exact), else `REDIS_URL` (default
 * `redis://127.0.0.1:6379`) is used and the counts are an upper bound; with neither reachable the
 * scenario prints one line and a SKIP row, and the bench goes on. The key prefix is unique to the
 * run and deleted at the end.
 *
 * Three kinds of call, each on two paths (the owner A directly; the other instance B):
 * - a 2025-11-25 session's `tools/call` (`session_count`), the session opened at A;
 * - a 2026-07-28 `tools/call` on a state handle (`tally_add`), the handle opened at A;
 * - a 2026-07-28 stateless `tools/call` (`whoami`), a control: served where it arrives on both
 *   paths (at A, at B), never forwarded, so its ratio shows how alike the two instances are.
 * Each answer must name the instance expected to run it (the owner, or the entry for `whoami`).
 *
 * Measured in rounds, the two paths alternating (A/B, then B/A) so that drift hits both: sequential
 * calls from one client (latency p50/p99), then a closed loop of 16 clients (calls/s), each with
 * its own session or handle. Redis operations per request: `INFO commandstats` before and after
 * each measured phase, less the commands idle windows saw (scaled to the phases' length), divided
 * by the requests sent. The instances run with a lease ttl of 600 s so that no renewal round falls
 * inside the run (renewals cost per lease, not per request); `commandstats` also counts the
 * commands a Lua script runs, so a claim shows as `EVALSHA` with its `GET`, `EXISTS`, `INCR`, `SET`.
 * Expected: none direct, one `GET` (the placement's `locate`) forwarded; claims happen when a
 * session or handle is created (a detail row).
 *
 * No hard target: the rows are informational, except that errors are a miss and, on a private
 * Redis, more Redis operations per request than expected (0 direct, 1 forwarded) are a miss.
 * Supersedes the former `bench/forwardLatency.ts` (two in-process instances, fake placement).
 */
import { randomUUID } from 'node:crypto';
import type { BenchRedis } from '../cluster/benchRedis.js';
import {
  addCounts,
  commandCounts,
  countsBetween,
  deleteKeys,
  openBenchRedis,
} from '../cluster/benchRedis.js';
import { ClusterInstance, repositoryRoot } from '../cluster/ClusterInstance.js';
import type { ClusterCall } from '../cluster/clusterCalls.js';
import { openHandleCall, openSessionCall, statelessCall } from '../cluster/clusterCalls.js';
import type { ClusterKind, ClusterRoute, PathName } from '../cluster/clusterReport.js';
import { PathTally, reportCreation, reportKind } from '../cluster/clusterReport.js';
import type { BenchConfig } from '../harness/config.js';
import type { Report } from '../harness/table.js';
import { HttpConnectionPool } from '../http/HttpConnectionPool.js';
import type { LoadRun } from '../http/loadGenerator.js';
import { closedLoop } from '../http/loadGenerator.js';
import { orMiss } from './http.js';

const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Clients of the closed loop, each with its own session or handle. */
const CLIENTS = 16;
const PATHS: readonly PathName[] = ['direct', 'forwarded'];
/**
 * The instances' lease ttl, ms: long enough that no renewal round (every ttl / 3) falls inside the
 * run, so that the Redis commands of the measured phases are the requests' own. Renewals cost per
 * live lease, not per request (docs/cluster.md, "Redis operations"); nothing on the request path
 * depends on the ttl.
 */
const LEASE_TTL_MS = 600_000;

interface Plan {
  readonly rounds: number;
  readonly sequentialPerRound: number;
  readonly warmUpCalls: number;
  readonly windowMs: number;
  readonly idleMs: number;
}

function planFor(config: BenchConfig): Plan {
  return config.full
    ? { rounds: 6, sequentialPerRound: 1_000, warmUpCalls: 500, windowMs: 1_000, idleMs: 500 }
    : { rounds: 4, sequentialPerRound: 500, warmUpCalls: 200, windowMs: 500, idleMs: 250 };
}

interface Cluster {
  readonly redis: BenchRedis;
  readonly instances: readonly ClusterInstance[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuOf(cluster: Cluster): number {
  return cluster.instances.reduce((total, instance) => total + instance.cpuMicros(), 0);
}

/** Runs `phase`, adding its Redis commands, wall time and instances' CPU into `tally`. */
async function measured(cluster: Cluster, tally: PathTally, phase: () => Promise<void>): Promise<void> {
  const before = await commandCounts(cluster.redis.client);
  const cpuBefore = cpuOf(cluster);
  const started = performance.now();
  await phase();
  tally.measuredMs += performance.now() - started;
  tally.cpuMicros += cpuOf(cluster) - cpuBefore;
  addCounts(tally.ops, countsBetween(before, await commandCounts(cluster.redis.client)));
}

async function sequential(
  call: ClusterCall,
  route: ClusterRoute,
  count: number,
  tally?: PathTally,
): Promise<void> {
  for (let index = 0; index < count; index++) {
    const sent = performance.now();
    const error = await call(route.pool, route.expected);
    if (tally === undefined) continue;
    tally.requests++;
    if (error === undefined) tally.sequential.push(performance.now() - sent);
    else tally.recordError(error);
  }
}

function loop(calls: readonly ClusterCall[], route: ClusterRoute, windowMs: number): Promise<LoadRun> {
  return closedLoop(
    calls.map((call) => ({ callEcho: () => call(route.pool, route.expected) })),
    windowMs,
  );
}

/** Opens what each kind needs at A (sessions, handles), with the Redis commands it took. */
async function openKinds(
  cluster: Cluster,
  a: ClusterInstance,
  b: ClusterInstance,
  pools: { readonly a: HttpConnectionPool; readonly b: HttpConnectionPool },
  report: Report,
): Promise<ClusterKind[]> {
  const clients = Array.from({ length: CLIENTS }, (_, index) => index);
  const opening = async <T>(what: string, open: () => Promise<T>): Promise<T> => {
    const before = await commandCounts(cluster.redis.client);
    const opened = await open();
    reportCreation(what, CLIENTS, countsBetween(before, await commandCounts(cluster.redis.client)), report);
    return opened;
  };
  const sessionCalls = await opening('2025-11-25 session (initialize + initialized)', () =>
    Promise.all(clients.map((index) => openSessionCall(pools.a, `c${index}`))),
  );
  const handleCalls = await opening('2026-07-28 state handle (tally_open)', () =>
    Promise.all(clients.map(() => openHandleCall(pools.a, a.instanceId))),
  );
  const toOwner = { pool: pools.a, expected: a.instanceId };
  const viaOther = { pool: pools.b, expected: a.instanceId };
  return [
    {
      label: 'cluster: 2025-11-25 session tools/call (session_count)',
      calls: sessionCalls,
      routes: { direct: toOwner, forwarded: viaOther },
      forwarded: true,
    },
    {
      label: 'cluster: 2026-07-28 state handle tools/call (tally_add)',
      calls: handleCalls,
      routes: { direct: toOwner, forwarded: viaOther },
      forwarded: true,
    },
    {
      label: 'cluster: 2026-07-28 stateless tools/call (whoami), control',
      calls: clients.map(() => statelessCall()),
      routes: { direct: toOwner, forwarded: { pool: pools.b, expected: b.instanceId } },
      forwarded: false,
    },
  ];
}

async function measureKinds(cluster: Cluster, kinds: readonly ClusterKind[], plan: Plan, report: Report) {
  for (const kind of kinds) {
    for (const path of PATHS) {
      const route = kind.routes[path];
      await sequential(kind.calls[0] as ClusterCall, route, plan.warmUpCalls);
      await loop(kind.calls, route, Math.min(plan.windowMs, 300));
    }
  }
  const tallies = kinds.map(() => ({ direct: new PathTally(), forwarded: new PathTally() }));
  const idle = new Map<string, number>();
  let idleMs = 0;
  for (let round = 0; round < plan.rounds; round++) {
    const before = await commandCounts(cluster.redis.client);
    const started = performance.now();
    await sleep(plan.idleMs);
    idleMs += performance.now() - started;
    addCounts(idle, countsBetween(before, await commandCounts(cluster.redis.client)));
    const order = round % 2 === 0 ? PATHS : [...PATHS].reverse();
    for (const [index, kind] of kinds.entries()) {
      const tally = tallies[index] as Record<PathName, PathTally>;
      const first = kind.calls[0] as ClusterCall;
      for (const path of order) {
        await measured(cluster, tally[path], () =>
          sequential(first, kind.routes[path], plan.sequentialPerRound, tally[path]),
        );
      }
      for (const path of order) {
        await measured(cluster, tally[path], async () =>
          tally[path].addRun(await loop(kind.calls, kind.routes[path], plan.windowMs)),
        );
      }
    }
  }
  for (const [index, kind] of kinds.entries()) {
    const tally = tallies[index] as Record<PathName, PathTally>;
    reportKind(kind, tally, { ops: idle, ms: idleMs }, cluster.redis.private, CLIENTS, report);
  }
}

async function runCluster(redis: BenchRedis, config: BenchConfig, report: Report): Promise<void> {
  const keyPrefix = `bench:cluster:${process.pid}:${randomUUID()}:`;
  const root = repositoryRoot();
  const env = { REDIS_URL: redis.url, KEY_PREFIX: keyPrefix, LEASE_TTL_MS: String(LEASE_TTL_MS) };
  const started = await Promise.allSettled([
    ClusterInstance.start(root, env),
    ClusterInstance.start(root, env),
  ]);
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const pools = instances.map((instance) => new HttpConnectionPool(instance.port));
  try {
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    const [a, b] = instances as [ClusterInstance, ClusterInstance];
    const [poolA, poolB] = pools as [HttpConnectionPool, HttpConnectionPool];
    const cluster = { redis, instances };
    const kinds = await openKinds(cluster, a, b, { a: poolA, b: poolB }, report);
    await measureKinds(cluster, kinds, planFor(config), report);
  } finally {
    for (const pool of pools) pool.close();
    await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeys(redis.client, keyPrefix);
  }
}

export async function clusterScenario(config: BenchConfig, report: Report): Promise<void> {
  const label = 'cluster: forwarded vs direct';
  console.log(`\n▸ ${label}, two instances in child processes, ${CLIENTS} clients closed loop`);
  const redis = await openBenchRedis(SHARED_REDIS_URL);
  if (redis === undefined) {
    console.log(`  cluster: skipped, no Redis at ${SHARED_REDIS_URL} (start redis-server or set REDIS_URL)`);
    report.add({
      scenario: label,
      ours: `no Redis at ${SHARED_REDIS_URL}`,
      baseline: '—',
      ratio: '—',
      target: '—',
      verdict: 'SKIP',
    });
    return;
  }
  console.log(
    redis.private
      ? `  Redis: a private redis-server at ${redis.url} (exact command counts)`
      : `  Redis: shared at ${redis.url} (no redis-server binary: command counts are an upper bound)`,
  );
  try {
    await orMiss(label, report, () => runCluster(redis, config, report));
  } finally {
    await redis.stop();
  }
}
