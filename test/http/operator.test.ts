/**
 * The operator's endpoints: a Prometheus scrape of whatever is measured through
 * `@opentelemetry/api` (`metrics`), and the dashboard page with its snapshot stream
 * (`dashboard`). Both off by default, both for loopback peers only unless `allowRemote`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics as metricsApi } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import { isLoopbackAddress } from '../../src/http/loopback.js';
import type { RuntimeSnapshot, SessionRuntime } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';

let runtime: SessionRuntime | undefined;
let server: Server | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  for (const cleanup of cleanups.splice(0)) await cleanup();
  runtime = undefined;
  server = undefined;
});

/** A Node server on an ephemeral loopback port; `remoteAddress` pretends the peer is elsewhere. */
async function serve(options: StreamableHttpOptions, remoteAddress?: string): Promise<string> {
  runtime = createSessionRuntime();
  const handler = createNodeHandler(runtime, options);
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (remoteAddress !== undefined)
      Object.defineProperty(req.socket, 'remoteAddress', { value: remoteAddress });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function initialize(base: string): Promise<string> {
  const response = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'op-test', version: '1' },
      },
    }),
  });
  await response.text();
  return response.headers.get('mcp-session-id') as string;
}

/** The samples of a Prometheus text exposition: `name{labels}` → value, and its HELP/TYPE lines. */
function parseExposition(text: string) {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null)
      (comment[1] === 'HELP' ? help : type).set(comment[2] as string, comment[3] as string);
    else if (line !== '' && !line.startsWith('#')) {
      const sample = /^(\S+?)(\{.*\})? (\S+)/.exec(line);
      if (sample !== null) samples.set(sample[1] as string, Number(sample[3]));
    }
  }
  return { help, type, samples };
}

describe('metrics (Prometheus)', () => {
  it('is off by default', async () => {
    const base = await serve({});
    // A GET of any other path is the MCP endpoint's: without a session it is refused as such.
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('"jsonrpc"');
  });

  it('serves what the given exporter collects, in the text format', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    cleanups.push(() => provider.shutdown());
    const base = await serve({ metrics: { exporter } });
    const meter = provider.getMeter('operator-test');
    meter
      .createObservableGauge('mcp_test_live_sessions', { description: 'Live sessions' })
      .addCallback((result) => result.observe(runtime?.metrics().sessions ?? -1));
    await initialize(base);
    await initialize(base);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { help, type, samples } = parseExposition(await response.text());
    expect(help.get('mcp_test_live_sessions')).toBe('Live sessions');
    expect(type.get('mcp_test_live_sessions')).toBe('gauge');
    expect(samples.get('mcp_test_live_sessions')).toBe(2);
  });

  it('with `true`, loads the exporter and registers a global MeterProvider that the API reaches', async () => {
    cleanups.push(() => metricsApi.disable());
    const base = await serve({ metrics: { path: '/prometheus' } });
    // The first scrape waits for the exporter to load.
    expect((await fetch(`${base}/prometheus`)).status).toBe(200);
    metricsApi
      .getMeter('operator-test')
      .createCounter('mcp_test_scrapes', { description: 'Scrapes seen' })
      .add(3);
    const { type, samples } = parseExposition(await (await fetch(`${base}/prometheus`)).text());
    expect(type.get('mcp_test_scrapes_total')).toBe('counter');
    expect(samples.get('mcp_test_scrapes_total')).toBe(3);
  });

  it('refuses a peer that is not loopback with 403, unless allowRemote', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    cleanups.push(() => provider.shutdown());
    let base = await serve({ metrics: { exporter } }, '203.0.113.7');
    const refused = await fetch(`${base}/metrics`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/this machine only/);
    await runtime?.close({ drainMs: 0 });
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    base = await serve({ metrics: { exporter, allowRemote: true } }, '203.0.113.7');
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('refuses every scrape in the fetch form (no peer address) unless allowRemote', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    cleanups.push(() => provider.shutdown());
    runtime = createSessionRuntime();
    const closed = createFetchHandler(runtime, { metrics: { exporter } });
    expect((await closed(new Request('http://localhost/metrics'))).status).toBe(403);
    const open = createFetchHandler(runtime, { metrics: { exporter, allowRemote: true } });
    expect((await open(new Request('http://localhost/metrics'))).status).toBe(200);
  });

  it('checks the option', () => {
    runtime = createSessionRuntime();
    expect(() =>
      createNodeHandler(runtime as SessionRuntime, { metrics: { exporter: {} as never } }),
    ).toThrow(/getMetricsRequestHandler/);
    expect(() => createNodeHandler(runtime as SessionRuntime, { metrics: { path: 'metrics' } })).toThrow(
      TypeError,
    );
  });
});

describe('isLoopbackAddress', () => {
  it('accepts 127.0.0.0/8, ::1 and mapped IPv4 loopback only', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopbackAddress(address)).toBe(true);
    }
    for (const address of [
      undefined,
      '',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      '::',
      '0.0.0.0',
      '1127.0.0.1',
      '127.0.0.1.evil',
    ]) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});

/** Reads SSE events from a streaming response until `count` snapshots arrived. */
async function readSnapshots(response: Response, count: number): Promise<RuntimeSnapshot[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const snapshots: RuntimeSnapshot[] = [];
  while (snapshots.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      expect(event).toMatch(/^event: snapshot\n/);
      const data = /^data: (.*)$/m.exec(event)?.[1];
      snapshots.push(JSON.parse(data as string) as RuntimeSnapshot);
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return snapshots;
}

describe('dashboard', () => {
  it('is off by default', async () => {
    const base = await serve({});
    const response = await fetch(`${base}/dashboard`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('"jsonrpc"');
  });

  it('serves a self-contained page under a nonce-only Content-Security-Policy', async () => {
    const base = await serve({ dashboard: true });
    const response = await fetch(`${base}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy') as string;
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    const page = await response.text();
    expect(page).toContain(`<script nonce="${nonce}">`);
    expect(page).toContain(`<style nonce="${nonce}">`);
    // No request leaves for anywhere else: no src, no href, no URL but the SVG namespace.
    expect(page).not.toMatch(/\s(src|href)=/);
    expect(page.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    // A new nonce per answer.
    const again = (await fetch(`${base}/dashboard/`)).headers.get('content-security-policy');
    expect(again).not.toBe(policy);
  });

  it('streams snapshots once a second with shortened ids, and counts a new session', async () => {
    const base = await serve({ dashboard: { path: '/ops' } });
    const sessionId = await initialize(base);
    const response = await fetch(`${base}/ops/events`);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const [first, second] = await readSnapshots(response, 2);
    expect(first?.sessions.live).toBe(1);
    expect(first?.actors[0]).toMatchObject({
      kind: 'session',
      id: `${sessionId.slice(0, 8)}…`,
      clientName: 'op-test',
    });
    expect(JSON.stringify([first, second])).not.toContain(sessionId);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('refuses streams past maxStreams with 503, and a remote peer with 403', async () => {
    let base = await serve({ dashboard: { maxStreams: 1 } });
    const first = await fetch(`${base}/dashboard/events`);
    expect(first.status).toBe(200);
    const second = await fetch(`${base}/dashboard/events`);
    expect(second.status).toBe(503);
    await second.text();
    await first.body?.cancel();
    await runtime?.close({ drainMs: 0 });
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    base = await serve({ dashboard: true }, '198.51.100.1');
    expect((await fetch(`${base}/dashboard`)).status).toBe(403);
    expect((await fetch(`${base}/dashboard/events`)).status).toBe(403);
  });

  it('ends its streams once the runtime closes', async () => {
    const base = await serve({ dashboard: true });
    const response = await fetch(`${base}/dashboard/events`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await runtime?.close({ drainMs: 0 });
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});
