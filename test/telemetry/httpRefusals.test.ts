/**
 * The HTTP transport's own refusals (before a message reaches the runtime) count in the runtime's
 * `mcp_session_runtime.refusals`, by the reason their body carries, beside the runtime's own; the
 * transport's failures (500) are not refusals and are not counted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticatorUnavailableError, createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
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

const url = 'http://localhost/mcp';
const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

function post(headers: Record<string, string>, body = list): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
}

const refusals = (collected: Awaited<ReturnType<typeof collect>>, reason: string) =>
  metricValue(collected, 'mcp_session_runtime.refusals', { reason });

describe('refusals of the HTTP transport', () => {
  it('counts rate_limited with the runtime refusals, and in metrics().rejected', async () => {
    runtime = createSessionRuntime();
    const handler = createFetchHandler(runtime, { rateLimit: { requestsPerSecond: 0.001, burst: 1 } });
    // The first takes the only token (and is refused for its unknown session by the runtime).
    expect((await handler(post({ 'mcp-session-id': 'nobody' }))).status).toBe(404);
    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await handler(post({ 'mcp-session-id': 'nobody' }));
      expect(refused.status).toBe(429);
    }
    const collected = await collect(sdk);
    expect(refusals(collected, 'rate_limited')).toBe(2);
    expect(refusals(collected, 'session_not_found')).toBe(1);
    expect(runtime.metrics().rejected).toMatchObject({ rate_limited: 2, session_not_found: 1 });
  });

  it('counts the other refusals by the reason their body carries', async () => {
    runtime = createSessionRuntime();
    const handler = createFetchHandler(runtime, { maxBodyBytes: 64 });
    // 403 forbidden (Origin), 413 payload_too_large, 415, 406, 400 invalid_request (no session id),
    // 404 for an unknown session's GET stream.
    expect((await handler(post({ origin: 'https://evil.example' }))).status).toBe(403);
    expect((await handler(post({}, JSON.stringify({ padding: 'x'.repeat(100) })))).status).toBe(413);
    expect((await handler(post({ 'content-type': 'text/plain' }))).status).toBe(415);
    expect((await handler(post({ accept: 'text/html' }))).status).toBe(406);
    expect((await handler(post({}))).status).toBe(400);
    const stream = new Request(url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': 'nobody' },
    });
    expect((await handler(stream)).status).toBe(404);
    const collected = await collect(sdk);
    expect(refusals(collected, 'forbidden')).toBe(1);
    expect(refusals(collected, 'payload_too_large')).toBe(1);
    expect(refusals(collected, 'unsupported_media_type')).toBe(1);
    expect(refusals(collected, 'not_acceptable')).toBe(1);
    expect(refusals(collected, 'invalid_request')).toBe(1);
    expect(refusals(collected, 'session_not_found')).toBe(1);
  });

  it('counts authentication_unavailable (503: what verifies credentials is unreachable)', async () => {
    runtime = createSessionRuntime();
    const handler = createFetchHandler(runtime, {
      authenticate: () => {
        throw new AuthenticatorUnavailableError('the key set is unreachable');
      },
      onError: () => {},
    });
    expect((await handler(post({}))).status).toBe(503);
    expect(refusals(await collect(sdk), 'authentication_unavailable')).toBe(1);
    expect(runtime.metrics().rejected).toEqual({ authentication_unavailable: 1 });
  });

  it('counts a batch refused as a whole: initialize in a batch', async () => {
    runtime = createSessionRuntime();
    const handler = createFetchHandler(runtime);
    const batch = JSON.stringify([
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      },
    ]);
    expect((await handler(post({}, batch))).status).toBe(400);
    expect(runtime.metrics().rejected).toEqual({ invalid_request: 1 });
  });

  it('does not count its own failures (500) as refusals', async () => {
    runtime = createSessionRuntime();
    const handler = createFetchHandler(runtime, {
      authenticate: () => {
        throw new Error('the hook failed');
      },
      onError: () => {},
    });
    expect((await handler(post({}))).status).toBe(500);
    expect(runtime.metrics().rejected).toEqual({});
  });
});
