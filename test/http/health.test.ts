/**
 * Opt-in health and readiness answers (`health` option): `/health` while the process serves,
 * `/ready` with the live sessions, 503 with `Retry-After` once the runtime drains; off by default.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';

let runtime: SessionRuntime | undefined;
let server: Server | undefined;
afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  runtime = undefined;
  server = undefined;
});

const get = (
  mcp: (request: Request) => Promise<Response>,
  path: string,
  headers: Record<string, string> = {},
) => mcp(new Request(`http://localhost${path}`, { headers }));

function fetchForm(options: StreamableHttpOptions = {}) {
  runtime = createSessionRuntime();
  return { runtime, mcp: createFetchHandler(runtime, options) };
}

const initialize = (mcp: (request: Request) => Promise<Response>) =>
  mcp(
    new Request('http://localhost/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      }),
    }),
  );

describe('health and readiness', () => {
  it('answers /health and /ready when enabled, uncached, and /ready counts live sessions', async () => {
    const { mcp } = fetchForm({ health: true });
    const health = await get(mcp, '/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(await (await get(mcp, '/ready')).json()).toEqual({
      status: 'ready',
      sessions: 0,
      draining: false,
    });
    expect((await initialize(mcp)).status).toBe(200);
    expect(await (await get(mcp, '/ready')).json()).toEqual({
      status: 'ready',
      sessions: 1,
      draining: false,
    });
  });

  it('answers /ready 503 with Retry-After once close() began, while /health stays 200', async () => {
    const { runtime, mcp } = fetchForm({ health: true });
    const closing = runtime.close({ drainMs: 0 });
    const ready = await get(mcp, '/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('1');
    expect(await ready.json()).toEqual({ status: 'draining', sessions: 0, draining: true });
    expect((await get(mcp, '/health')).status).toBe(200);
    await closing;
  });

  it('takes its own paths, and still checks Host before answering', async () => {
    const { mcp } = fetchForm({ health: { healthPath: '/livez', readyPath: '/readyz' } });
    expect((await get(mcp, '/livez')).status).toBe(200);
    expect((await get(mcp, '/readyz')).status).toBe(200);
    // The default paths are not mounted: a GET there is an ordinary MCP GET (no session id).
    expect((await get(mcp, '/health')).status).not.toBe(200);
    expect((await get(mcp, '/livez', { host: 'evil.example' })).status).toBe(403);
  });

  it('is off by default', async () => {
    const { mcp } = fetchForm();
    expect((await get(mcp, '/health')).status).not.toBe(200);
    expect((await get(mcp, '/ready')).status).not.toBe(200);
  });

  it('refuses a malformed option when the handler is built', () => {
    runtime = createSessionRuntime();
    for (const health of ['yes', { healthPath: 'health' }, { livePath: '/x' }]) {
      expect(() =>
        createFetchHandler(runtime as SessionRuntime, { health } as StreamableHttpOptions),
      ).toThrow(TypeError);
    }
  });

  it('answers over the node handler too', async () => {
    runtime = createSessionRuntime();
    server = createServer(createNodeHandler(runtime, { health: true })).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});
