/**
 * Runs one server of the HTTP benchmark alone in its child process under `node --cpu-prof`, with the
 * same closed loop as `--only=http`, so that a profile says where a call's time goes on the server.
 * No baseline, no table: pair it with `readProfile.ts`.
 *
 *   npx tsc -p bench/tsconfig.json
 *   node .cache/bench/bench/profileHttp.js ours json 10     # server, mode, seconds
 *   node .cache/bench/bench/profileHttp.js ours json 10 2026-07-28   # the stateless contest's load
 *   node .cache/bench/bench/profileHttp.js ours json 10 2025-11-25 traces+metrics   # with an OpenTelemetry SDK
 *   node .cache/bench/bench/readProfile.js .cache/prof/http/<file>.cpuprofile
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { formatCount } from './harness/stats.js';
import { HttpConnectionPool } from './http/HttpConnectionPool.js';
import { closedLoop, closeSessions, openSessions } from './http/loadGenerator.js';
import type { EchoCaller, McpHttpSession, ResponseMode } from './http/McpHttpClient.js';
import { McpStatelessCaller } from './http/McpHttpClient.js';
import type { ChildKind, ServerKind } from './http/ServerProcess.js';
import { ServerProcess } from './http/ServerProcess.js';

const [
  kindArgument = 'ours',
  modeArgument = 'json',
  secondsArgument = '10',
  eraArgument = '2025-11-25',
  telemetryArgument,
] = process.argv.slice(2);
if (kindArgument !== 'ours' && kindArgument !== 'sdk') {
  throw new TypeError(`Expected a server (ours, sdk), got ${kindArgument}`);
}
if (modeArgument !== 'json' && modeArgument !== 'sse') {
  throw new TypeError(`Expected a mode (json, sse), got ${modeArgument}`);
}
if (eraArgument !== '2025-11-25' && eraArgument !== '2026-07-28') {
  throw new TypeError(`Expected an era (2025-11-25, 2026-07-28), got ${eraArgument}`);
}
const kind: ServerKind = kindArgument;
const stateless = eraArgument === '2026-07-28';
// In 2026-07-28 the SDK side is the SDK 2.x `createMcpHandler`, as in the `stateless` scenario.
const script: ChildKind = stateless && kind === 'sdk' ? 'sdkStateless' : kind;
const mode: ResponseMode = modeArgument;
const directory = '.cache/prof/http';
mkdirSync(directory, { recursive: true });
const before = new Set(readdirSync(directory));

const server = await ServerProcess.start({
  kind: script,
  // `ourServer` registers the SDK of `harness/telemetrySdk.ts` (`traces+metrics` or `metrics`).
  arguments: [
    `--mode=${mode}`,
    ...(telemetryArgument === undefined ? [] : [`--telemetry=${telemetryArgument}`]),
  ],
  profileDirectory: directory,
});
const pool = new HttpConnectionPool(server.port);
const sessions: McpHttpSession[] = stateless ? [] : await openSessions(pool, mode, 50, 50, kind);
const callers: readonly EchoCaller[] = stateless
  ? Array.from({ length: 50 }, (_, index) => new McpStatelessCaller(pool, mode, `${kind}${index}`))
  : sessions;
const cpuBefore = await server.cpuMicros();
const run = await closedLoop(callers, Number(secondsArgument) * 1000);
const cpu = (await server.cpuMicros()) - cpuBefore;
await closeSessions(sessions, 50);
pool.close();
await server.stop();
console.log(
  `${script} ${mode} ${eraArgument}: ${formatCount((run.calls * 1000) / run.elapsedMs)} calls/s, ${run.errors} errors, server CPU ${(cpu / run.calls).toFixed(1)} µs/call, load generator CPU ${(run.clientCpuMicros / run.calls).toFixed(1)} µs/call`,
);
for (const file of readdirSync(directory))
  if (!before.has(file)) console.log(`profile: ${directory}/${file}`);
