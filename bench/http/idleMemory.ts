/**
 * Heap per idle session behind HTTP, in each server's own child: open N sessions (`initialize` +
 * `notifications/initialized`, nothing else), weigh the child's settled heap against its baseline,
 * then see whether the heap comes back after the sessions idle out and after they are deleted.
 * Connections are closed before every weighing, so sockets are not counted as sessions.
 */
import { HttpConnectionPool } from './HttpConnectionPool.js';
import { closeSessions, openSessions } from './loadGenerator.js';
import type { McpHttpSession } from './McpHttpClient.js';
import type { ServerKind } from './ServerProcess.js';
import { ServerProcess } from './ServerProcess.js';

export interface IdleMemoryPlan {
  /**
   * Idle sessions opened at once, per server. Ours hold little each, so they need more of them for
   * their total to stand well above the ±0.3 MiB the heap of an unchanged server wanders by between
   * weighings; the SDK server's hold ten times as much and are slower to open.
   */
  readonly sessions: Readonly<Record<ServerKind, number>>;
  /** Our runtime's idle timeout in this phase (the SDK pattern has none). */
  readonly idleTimeoutMs: number;
  /** Handshakes in flight at once. */
  readonly concurrency: number;
}

/** Heap figures of one server's child, bytes. */
export interface IdleMemory {
  readonly kind: ServerKind;
  /** Sessions opened in each wave. */
  readonly sessions: number;
  readonly baseline: number;
  /** With `sessions` idle sessions open. */
  readonly open: number;
  /** Sessions the server held when `open` was weighed (must be all of them). */
  readonly liveWhenWeighed: number;
  /** After our idle timeout had passed (for the SDK: after the same wait). */
  readonly afterIdle: number;
  readonly liveAfterIdle: number;
  /** How long the idle wait took, ms. */
  readonly idleWaitMs: number;
  /** After `sessions` fresh sessions were opened and deleted with `DELETE`. */
  readonly afterDelete: number;
}

interface Child {
  readonly kind: ServerKind;
  readonly server: ServerProcess;
  readonly pool: HttpConnectionPool;
}

/** Weighs the child with no connection open: ours are dropped, the server closes its idle ones. */
async function weigh(child: Child): Promise<number> {
  child.pool.close();
  return child.server.heapUsed();
}

function open(child: Child, plan: IdleMemoryPlan, label: string): Promise<McpHttpSession[]> {
  const count = plan.sessions[child.kind];
  return openSessions(child.pool, 'json', count, plan.concurrency, `${child.kind}-${label}`);
}

/**
 * Opens as many sessions as the measurement will, calls each once and deletes them, so that the
 * baseline already holds what a first wave leaves for good whatever its sessions: optimized code,
 * inline caches, tables grown to size. What stays beyond it after the measured waves is theirs.
 */
async function warmUp(child: Child, plan: IdleMemoryPlan): Promise<void> {
  const sessions = await open(child, plan, 'warm');
  const errors = (await Promise.all(sessions.map((session) => session.callEcho()))).filter(Boolean);
  if (errors.length > 0) throw new Error(`The ${child.kind} server failed its warm-up: ${errors[0]}`);
  await closeSessions(sessions, plan.concurrency);
}

/** Polls until our server holds no session, or gives up after `limitMs`. */
async function waitUntilEmpty(server: ServerProcess, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  while ((await server.sessions()) > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function startChild(kind: ServerKind, plan: IdleMemoryPlan): Promise<Child> {
  const args = kind === 'ours' ? [`--idle-timeout-ms=${plan.idleTimeoutMs}`] : ['--mode=json'];
  const server = await ServerProcess.start({ kind, arguments: args });
  return { kind, server, pool: new HttpConnectionPool(server.port) };
}

/** Measures both servers; ours first after opening, so its sessions are weighed before they idle out. */
export async function measureIdleMemory(plan: IdleMemoryPlan): Promise<Record<ServerKind, IdleMemory>> {
  const ours = await startChild('ours', plan);
  const sdk = await startChild('sdk', plan);
  try {
    for (const child of [ours, sdk]) await warmUp(child, plan);
    const baseline = { ours: await weigh(ours), sdk: await weigh(sdk) };
    const idleFrom = performance.now();
    await open(ours, plan, 'idle');
    const oursOpen = await weigh(ours);
    const oursLive = await ours.server.sessions();
    const sdkSessions = await open(sdk, plan, 'idle');
    const sdkOpen = await weigh(sdk);
    const sdkLive = await sdk.server.sessions();
    await waitUntilEmpty(ours.server, plan.idleTimeoutMs + 15_000);
    const idleWaitMs = performance.now() - idleFrom;
    const afterIdle = { ours: await weigh(ours), sdk: await weigh(sdk) };
    const liveAfterIdle = { ours: await ours.server.sessions(), sdk: await sdk.server.sessions() };
    await closeSessions(sdkSessions, plan.concurrency);
    await closeSessions(await open(ours, plan, 'delete'), plan.concurrency);
    const afterDelete = { ours: await weigh(ours), sdk: await weigh(sdk) };
    const figures = (kind: ServerKind, heapOpen: number, liveWhenWeighed: number): IdleMemory => ({
      kind,
      sessions: plan.sessions[kind],
      baseline: baseline[kind],
      open: heapOpen,
      liveWhenWeighed,
      afterIdle: afterIdle[kind],
      liveAfterIdle: liveAfterIdle[kind],
      idleWaitMs,
      afterDelete: afterDelete[kind],
    });
    return { ours: figures('ours', oursOpen, oursLive), sdk: figures('sdk', sdkOpen, sdkLive) };
  } finally {
    await ours.server.stop();
    await sdk.server.stop();
  }
}
