/** Shared builders for tests: messages and a runtime with an initialized session. */
import type { SessionRuntime } from '../src/index.js';

export const initializeRequest = (id: number | string = 0, protocolVersion = '2025-11-25') => ({
  jsonrpc: '2.0' as const,
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'test-client', version: '1.0.0' } },
});

export const initializedNotification = { jsonrpc: '2.0' as const, method: 'notifications/initialized' };

export const request = (id: number | string, method: string, params?: Record<string, unknown>) => ({
  jsonrpc: '2.0' as const,
  id,
  method,
  ...(params === undefined ? {} : { params }),
});

export const cancelled = (requestId: number | string) => ({
  jsonrpc: '2.0' as const,
  method: 'notifications/cancelled',
  params: { requestId, reason: 'test' },
});

/** Runs the MCP handshake for `sessionId` and fails the test if it does not succeed. */
export async function openSession(runtime: SessionRuntime, sessionId: string): Promise<void> {
  const answer = await runtime.dispatch(sessionId, initializeRequest());
  if (answer === undefined || 'error' in answer)
    throw new Error(`initialize failed: ${JSON.stringify(answer)}`);
  await runtime.dispatch(sessionId, initializedNotification);
}

/** A promise whose settling the test controls. */
export function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask and promise callback run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The `error.data.reason` of a response, or undefined for a result. */
export function reasonOfResponse(response: unknown): unknown {
  return (response as { error?: { data?: { reason?: unknown } } } | undefined)?.error?.data?.reason;
}
