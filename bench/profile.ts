/**
 * Runs one of our runtime's workloads alone, long enough for a CPU profile to say where a message's
 * time goes. No baselines, no tables: pair it with `readProfile.ts`.
 *
 *   npx tsc -p bench/tsconfig.json
 *   node --cpu-prof --cpu-prof-dir=.cache/prof .cache/bench/bench/profile.js throughput
 *   node .cache/bench/bench/readProfile.js .cache/prof/<file>.cpuprofile
 *
 * Workloads: `throughput` (trivial async, 100 sessions × 4 in flight), `tools` (tools/call echo),
 * `sessions10k` (10,000 sessions × 1 in flight), `spawn` (100k handshakes, then close).
 */
import { closedLoopByCount } from './harness/drivers.js';
import {
  createOurEngine,
  initializedNotification,
  initializeRequest,
  openSessions,
  requestMessage,
  sessionIds,
} from './harness/engine.js';
import { echoParams, NOOP_METHOD } from './harness/handlers.js';
import { measure } from './harness/measure.js';
import { formatCount } from './harness/stats.js';

async function closedLoop(
  sessions: number,
  inFlight: number,
  perWorker: number,
  tools: boolean,
): Promise<void> {
  const ours = createOurEngine();
  const ids = sessionIds('profile', sessions);
  await openSessions(ours, ids);
  const message = tools
    ? () => requestMessage('tools/call', echoParams())
    : () => requestMessage(NOOP_METHOD, {});
  const result = await closedLoopByCount({ engine: ours, sessionIds: ids, inFlight, message }, perWorker);
  console.log(`${formatCount(result.rate)} msg/s, CPU ${result.cpuPerMessage.toFixed(2)} µs/msg`);
  await ours.runtime.close({ drainMs: 0 });
}

async function spawn(count: number): Promise<void> {
  const ours = createOurEngine();
  const ids = sessionIds('profile-spawn', count);
  const spawned = await measure(async () => {
    for (const sessionId of ids) await ours.dispatch(sessionId, initializeRequest());
  });
  for (const sessionId of ids) await ours.dispatch(sessionId, initializedNotification());
  const closed = await measure(() => ours.runtime.close({ drainMs: 0 }));
  console.log(
    `spawn ${formatCount((count * 1000) / spawned.elapsedMs)} /s, close ${closed.elapsedMs.toFixed(0)} ms`,
  );
}

const workloads: Record<string, () => Promise<void>> = {
  throughput: () => closedLoop(100, 4, 5_000, false),
  tools: () => closedLoop(100, 4, 5_000, true),
  sessions10k: () => closedLoop(10_000, 1, 200, false),
  spawn: () => spawn(100_000),
};

const name = process.argv[2] ?? 'throughput';
const workload = workloads[name];
if (workload === undefined)
  throw new TypeError(`Expected a workload (${Object.keys(workloads).join(', ')}), got ${name}`);
await workload();
