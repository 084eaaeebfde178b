/**
 * Stale-session recovery across a real restart: test/e2e/restartServer.ts (the demo server, logging
 * each request it receives) runs as a child process on a fixed port; clients connect and call a
 * tool; the process is stopped (SIGTERM: `closeGracefully`; or SIGKILL) and a new one is started on
 * the same port, whose runtime knows none of the old sessions. Then:
 *
 * - The official clients (`@modelcontextprotocol/sdk` 1.x, and `@modelcontextprotocol/client` 2.x in
 *   its default mode, which is the 2025 `initialize` handshake) send their next call with the old
 *   `Mcp-Session-Id` and get 404 (JSON-RPC -32001 "Session not found"). Neither re-initializes by
 *   itself: the call rejects with the HTTP status (1.x `StreamableHTTPError.code`, 2.x
 *   `SdkHttpError.status`), and a transport cannot be started twice. The recovery both support is
 *   the application's: `client.close()`, then `client.connect(new StreamableHTTPClientTransport(url))`,
 *   whose `initialize` carries no session id (1.x: a new transport has none; 2.x also deletes the
 *   header from every handshake), then the call again.
 * - A client that re-sends `initialize` with its old `Mcp-Session-Id` (which neither official
 *   client does; shown with fetch) gets a fresh session under a new id.
 *
 * No loop: the requests reaching the new process are counted from its log, per session id.
 *
 * Keep-alive sockets: the client is idle across the restart, so its pooled connections to the old
 * process were closed by the server (SIGTERM) or by the kernel when the process died (SIGKILL)
 * before the next call; undici drops a pooled connection on that FIN, and the next call opens a new
 * connection to the new process. No socket error is seen in either case.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  Client as ClientV2,
  SdkHttpError,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPError,
  StreamableHTTPClientTransport as TransportV1,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** No await here may take longer: a hang fails the test with its label. */
const BOUND_MS = 5_000;

function bounded<T>(promise: Promise<T>, label: string, ms = BOUND_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A port free now: the system picks one, which is released and then reused by every process. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** One request as the server logged it on arrival. */
interface Arrival {
  readonly method: string;
  readonly session: string;
}

interface ServerProcess {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every request this process received, in order. */
  requests(): Arrival[];
  stderr(): string;
}

const running = new Set<ChildProcess>();

async function startServer(port: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/restartServer.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DRAIN_MS: '1000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  await bounded(
    new Promise<void>((resolve, reject) => {
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes(`listening on http://127.0.0.1:${port}/mcp`)) resolve();
      });
      child.once('exit', () => reject(new Error(`server exited before listening:\n${stderr}`)));
    }),
    'server start',
    10_000,
  );
  const requests = (): Arrival[] =>
    [...stderr.matchAll(/^request \d+ (\w+) session=(\S+)$/gmu)].map((match) => ({
      method: match[1] as string,
      session: match[2] as string,
    }));
  return { process: child, exited, requests, stderr: () => stderr };
}

afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Stops `server` with `signal` and waits for the process to end. */
async function stop(server: ServerProcess, signal: 'SIGTERM' | 'SIGKILL') {
  server.process.kill(signal);
  return bounded(server.exited, `exit on ${signal}`);
}

const echo = (text: string) => ({ name: 'echo', arguments: { text } });
const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text;
const by = (requests: Arrival[], session: string) => requests.filter((r) => r.session === session);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

function postRaw(url: string, body: Json, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const initializeBody = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** Reads a JSON-RPC answer given as JSON or as an SSE stream. */
async function answerOf(response: Response): Promise<Json> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text);
  const data = text.split('\n').filter((line) => line.startsWith('data:') && line.length > 5);
  return JSON.parse((data.at(-1) as string).slice(5));
}

describe('stale-session recovery across a real restart on the same port', () => {
  it('after SIGTERM, the 1.x and 2.x clients get 404 on their next call and carry on after one reconnect by the application', async () => {
    const port = await freePort();
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    const first = await startServer(port);

    let v1 = new TransportV1(url);
    const clientV1 = new ClientV1({ name: 'v1', version: '1' });
    await bounded(clientV1.connect(v1), 'v1 connect');
    let v2 = new TransportV2(url);
    const clientV2 = new ClientV2({ name: 'v2', version: '1' });
    await bounded(clientV2.connect(v2), 'v2 connect');
    expect(textOf(await bounded(clientV1.callTool(echo('one')), 'v1 call'))).toBe('one');
    expect(textOf(await bounded(clientV2.callTool(echo('one')), 'v2 call'))).toBe('one');
    const oldV1 = v1.sessionId as string;
    const oldV2 = v2.sessionId as string;

    expect(await stop(first, 'SIGTERM')).toEqual({ code: 0, signal: null });
    const second = await startServer(port);

    // The next call carries the old session id: 404, surfaced as an HTTP error, not re-initialized.
    const staleV1 = await bounded(clientV1.callTool(echo('two')), 'v1 stale call').catch((e: unknown) => e);
    expect(staleV1).toBeInstanceOf(StreamableHTTPError);
    expect(staleV1).toMatchObject({ code: 404, message: expect.stringContaining('-32001') });
    expect(v1.sessionId).toBe(oldV1);
    const staleV2 = await bounded(clientV2.callTool(echo('two')), 'v2 stale call').catch((e: unknown) => e);
    expect(staleV2).toBeInstanceOf(SdkHttpError);
    expect((staleV2 as SdkHttpError).status).toBe(404);

    // The application's recovery: a new transport (a started one cannot be reused), connect, retry.
    await bounded(clientV1.close(), 'v1 close');
    v1 = new TransportV1(url);
    await bounded(clientV1.connect(v1), 'v1 reconnect');
    await bounded(clientV2.close(), 'v2 close');
    v2 = new TransportV2(url);
    await bounded(clientV2.connect(v2), 'v2 reconnect');
    for (const text of ['two', 'three', 'four']) {
      expect(textOf(await bounded(clientV1.callTool(echo(text)), 'v1 call after'))).toBe(text);
      expect(textOf(await bounded(clientV2.callTool(echo(text)), 'v2 call after'))).toBe(text);
    }
    expect(v1.sessionId).toMatch(/^[0-9a-f]{32}$/u);
    expect(v1.sessionId).not.toBe(oldV1);
    expect(v2.sessionId).not.toBe(oldV2);

    // Nothing more arrives once the clients are closed (no reconnection loop).
    await bounded(Promise.all([clientV1.close(), clientV2.close()]), 'close clients');
    await sleep(300);
    const seen = second.requests();
    // Each old session: its one stale POST, plus at most the 1.x transport's bounded reconnection
    // of its standalone GET stream (2 attempts, 1 s apart, by default), which gets 404 too.
    for (const old of [oldV1, oldV2]) {
      const stale = by(seen, old);
      expect(stale.filter((r) => r.method === 'POST')).toHaveLength(1);
      expect(stale.filter((r) => r.method === 'GET').length).toBeLessThanOrEqual(2);
    }
    // One initialize per client, with no session id.
    expect(by(seen, '-')).toEqual([
      { method: 'POST', session: '-' },
      { method: 'POST', session: '-' },
    ]);
    // Per new session: notifications/initialized, three calls, and the standalone GET stream.
    for (const session of [v1.sessionId as string, v2.sessionId as string]) {
      expect(by(seen, session).filter((r) => r.method === 'POST')).toHaveLength(4);
      expect(by(seen, session).filter((r) => r.method === 'GET').length).toBeLessThanOrEqual(1);
    }
    expect(seen.length).toBeLessThanOrEqual(2 * 3 + 2 + 2 * 5);
    await stop(second, 'SIGTERM');
  }, 15_000);

  it('after SIGKILL, the 1.x client gets 404 (no socket error) and carries on after one reconnect; an initialize carrying the old Mcp-Session-Id gets a fresh session', async () => {
    const port = await freePort();
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    const first = await startServer(port);

    let v1 = new TransportV1(url);
    const client = new ClientV1({ name: 'v1', version: '1' });
    await bounded(client.connect(v1), 'connect');
    expect(textOf(await bounded(client.callTool(echo('one')), 'call'))).toBe('one');
    const oldV1 = v1.sessionId as string;
    // A client that speaks to the endpoint with fetch, holding its session id.
    const raw = await bounded(postRaw(url.href, initializeBody), 'raw initialize');
    const oldRaw = raw.headers.get('mcp-session-id') as string;
    await raw.text();
    expect(oldRaw).toMatch(/^[0-9a-f]{32}$/u);

    expect(await stop(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const second = await startServer(port);

    // 1.x: the first attempt reaches the new process (the dead one's pooled socket was dropped on
    // its FIN) and gets 404; one reconnect, and the same call succeeds.
    const stale = await bounded(client.callTool(echo('two')), 'stale call').catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 404 });
    await bounded(client.close(), 'close');
    v1 = new TransportV1(url);
    await bounded(client.connect(v1), 'reconnect');
    expect(textOf(await bounded(client.callTool(echo('two')), 'call after'))).toBe('two');
    await bounded(client.close(), 'close after');

    // The recovery the runtime offers: an initialize that carries the stale id starts a fresh
    // session under a new id (never the client's), instead of failing with 404.
    const call = (session: string) =>
      postRaw(
        url.href,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: echo('raw') },
        { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
      );
    const rawStale = await bounded(call(oldRaw), 'raw stale call');
    expect(rawStale.status).toBe(404);
    expect((await answerOf(rawStale)).error).toMatchObject({ code: -32001 });
    const reinitialized = await bounded(
      postRaw(url.href, initializeBody, { 'mcp-session-id': oldRaw }),
      'raw re-initialize',
    );
    expect(reinitialized.status).toBe(200);
    const fresh = reinitialized.headers.get('mcp-session-id') as string;
    expect(fresh).toMatch(/^[0-9a-f]{32}$/u);
    expect(fresh).not.toBe(oldRaw);
    expect((await answerOf(reinitialized)).result).toMatchObject({ protocolVersion: '2025-11-25' });
    const initialized = await bounded(
      postRaw(
        url.href,
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { 'mcp-session-id': fresh, 'mcp-protocol-version': '2025-11-25' },
      ),
      'raw initialized',
    );
    expect(initialized.status).toBe(202);
    await initialized.text();
    const rawCall = await bounded(call(fresh), 'raw call after');
    expect(rawCall.status).toBe(200);
    expect(textOf((await answerOf(rawCall)).result)).toBe('raw');

    await sleep(300);
    const seen = second.requests();
    expect(by(seen, oldV1).filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(by(seen, oldV1).length).toBeLessThanOrEqual(3);
    // The raw client: one stale call, then the initialize that carried the stale id.
    expect(by(seen, oldRaw)).toEqual([
      { method: 'POST', session: oldRaw },
      { method: 'POST', session: oldRaw },
    ]);
    expect(by(seen, fresh)).toEqual([
      { method: 'POST', session: fresh },
      { method: 'POST', session: fresh },
    ]);
    expect(by(seen, '-')).toHaveLength(1);
    expect(by(seen, v1.sessionId as string).filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(seen.length).toBeLessThanOrEqual(3 + 2 + 2 + 1 + 3);
    await stop(second, 'SIGTERM');
  }, 15_000);
});
