/**
 * What every engine under test offers the drivers: one `dispatch(sessionId, message)` per JSON-RPC
 * message, exactly as a transport would call our runtime. The baselines implement the same shape.
 */
import type { DispatchResult, SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
import { benchHandlers, benchTools } from './handlers.js';

/** An engine the drivers can load. */
export interface BenchEngine {
  /** Short label for the tables. */
  readonly label: string;
  /** Hands one parsed JSON-RPC message to session `sessionId`; resolves with the response. */
  dispatch(sessionId: string, message: unknown): Promise<unknown>;
}

/** Our runtime behind the {@link BenchEngine} shape, with the runtime itself at hand for metrics. */
export interface OurEngine extends BenchEngine {
  readonly runtime: SessionRuntime;
}

/**
 * Our runtime with the bench handlers, and limits high enough that no benchmark hits them by accident:
 * a refused message would be measured as a (cheap) error instead of the work we mean to time.
 */
export function createOurEngine(options: Partial<SessionRuntimeOptions> = {}): OurEngine {
  const runtime = createSessionRuntime({
    serverInfo: { name: 'bench', version: '1.0.0' },
    handlers: benchHandlers,
    tools: benchTools,
    maxSessions: 10_000_000,
    mailboxCapacity: 4_096,
    ...options,
  });
  return {
    label: 'ours',
    runtime,
    dispatch: (sessionId, message): Promise<DispatchResult> => runtime.dispatch(sessionId, message),
  };
}

let nextRequestId = 1;

/** A fresh request id: ids are never reused, so a duplicate-id refusal can never be what we time. */
export function freshId(): number {
  return nextRequestId++;
}

/** The real `initialize` request of an MCP client (2025-11-25). */
export function initializeRequest(id: number = freshId()): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'bench-client', version: '1.0.0' },
    },
  };
}

/** `notifications/initialized`, which moves a session to `ready`. */
export function initializedNotification(): Record<string, unknown> {
  return { jsonrpc: '2.0', method: 'notifications/initialized' };
}

/** A request as a transport hands it over: a new object per message, as `JSON.parse` would make. */
export function requestMessage(method: string, params?: Record<string, unknown>): Record<string, unknown> {
  return params === undefined
    ? { jsonrpc: '2.0', id: freshId(), method }
    : { jsonrpc: '2.0', id: freshId(), method, params };
}

/** True for a JSON-RPC error response: a benchmark that times errors is timing the wrong thing. */
export function isErrorResponse(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** Runs the MCP handshake for one session: `initialize`, then `notifications/initialized`. */
export async function openSession(engine: BenchEngine, sessionId: string): Promise<void> {
  const answer = await engine.dispatch(sessionId, initializeRequest());
  if (isErrorResponse(answer)) throw new Error(`initialize failed: ${JSON.stringify(answer)}`);
  await engine.dispatch(sessionId, initializedNotification());
}

/** Opens every session in `sessionIds`, `batch` handshakes at a time. */
export async function openSessions(
  engine: BenchEngine,
  sessionIds: readonly string[],
  batch = 512,
): Promise<void> {
  for (let start = 0; start < sessionIds.length; start += batch) {
    const slice = sessionIds.slice(start, start + batch);
    await Promise.all(slice.map((sessionId) => openSession(engine, sessionId)));
  }
}

/** `count` session ids with a common prefix, so engines never share ids by accident. */
export function sessionIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}
