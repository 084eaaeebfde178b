/**
 * A `subscriptions/listen` the runtime refuses (the principal's `maxSubscriptionsPerPrincipal`, more
 * than 100 URIs or task ids, the runtime closing) counts in `mcp_session_runtime.refusals` and
 * `metrics().rejected`, under the reason its answer carries, like every other refusal.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineResource } from '../../src/index.js';
import type { TestSdk } from './sdk.js';
import { collect, metricValue, registerSdk, unregisterSdk } from './sdk.js';

let sdk: TestSdk;
let runtime: SessionRuntime | undefined;

beforeAll(() => {
  sdk = registerSdk();
});

afterAll(async () => {
  await unregisterSdk(sdk);
});

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};
let nextId = 1;

function listen(notifications: Record<string, unknown>): Request {
  return new Request('http://localhost/mcp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'subscriptions/listen',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'subscriptions/listen',
      params: { _meta: meta, notifications },
    }),
  });
}

const resources = [defineResource({ uri: 'test://a', name: 'A', read: () => 'a' })];
const sink = { send: () => true, end: () => {} };

describe('refused listens', () => {
  it('counts the principal past maxSubscriptionsPerPrincipal as overloaded', async () => {
    runtime = createSessionRuntime({ resources, maxSubscriptionsPerPrincipal: 1 });
    const mcp = createFetchHandler(runtime);
    const open = await mcp(listen({ resourcesListChanged: true }));
    expect(open.status).toBe(200);
    const refused = await mcp(listen({ resourcesListChanged: true }));
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { data: { reason: string } } }).error.data.reason).toBe(
      'overloaded',
    );
    expect(runtime.metrics().rejected).toEqual({ overloaded: 1 });
    expect(metricValue(await collect(sdk), 'mcp_session_runtime.refusals', { reason: 'overloaded' })).toBe(1);
    await open.body?.cancel();
  });

  it('counts a listen past 100 resource URIs or task ids as invalid_params', async () => {
    runtime = createSessionRuntime({ resources });
    const mcp = createFetchHandler(runtime);
    const uris = Array.from({ length: 101 }, (_, index) => `test://r/${index}`);
    const refused = await mcp(listen({ resourceSubscriptions: uris }));
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32602);
    expect(runtime.listen({ taskIds: uris }, sink)).toBe('too_many_uris');
    expect(runtime.metrics().rejected).toEqual({ invalid_params: 2 });
    expect(
      metricValue(await collect(sdk), 'mcp_session_runtime.refusals', { reason: 'invalid_params' }),
    ).toBe(2);
  });

  it('counts a listen once the runtime is closing as shutting_down', async () => {
    const closing = createSessionRuntime({ resources });
    await closing.close({ drainMs: 0 });
    expect(closing.listen({ resourcesListChanged: true }, sink)).toBe('closed');
    expect(closing.metrics().rejected).toEqual({ shutting_down: 1 });
  });
});
