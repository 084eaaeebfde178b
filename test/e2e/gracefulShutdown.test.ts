/**
 * A graceful deploy, end to end: examples/http-server.ts runs as a child process (`PORT=0`,
 * `DRAIN_MS=2000`) and gets SIGTERM while clients of both eras keep it busy:
 *
 * - the official 1.x client (`@modelcontextprotocol/sdk`, 2025 sessions) and the 2.x client
 *   (`@modelcontextprotocol/client`) pinned to 2026-07-28, each with fast calls in a loop, a call
 *   that ends well inside the grace, and slow calls (with and without progress, so answered as SSE
 *   and as JSON) that outlast it;
 * - raw fetches: a 2025 session's standalone GET stream, a `subscriptions/listen` stream, and the
 *   probes sent while the server drains.
 *
 * Checked: every request sent before SIGTERM completed or was answered with an error (a JSON-RPC
 * error or an HTTP status), none hung (every await is bounded); the calls that fit the grace
 * completed; the slow ones ended with `shutting_down` (-32013) as a JSON-RPC error (from their SSE
 * stream or the body of a 200: they were accepted); `/ready`, a new `initialize` and a
 * new 2026-07-28 request got 503 with `Retry-After` while the server drained (the listener stays
 * open during the drain, so they are not refused connections); the listen stream ended with its
 * completion result and the GET stream ended; the process exited 0 within the grace plus a margin.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DRAIN_MS = 2_000;
/** What the process may take beyond the grace to exit (answers flushed, sockets closed). */
const EXIT_MARGIN_MS = 1_500;
/** No await in this test may take longer: a hang fails the test instead of timing it out. */
const BOUND_MS = DRAIN_MS + 4_000;
const MODERN = '2026-07-28';
const SHUTTING_DOWN = -32013;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

/** Rejects with `hung: <label>` if `promise` has not settled after `ms`. */
function bounded<T>(promise: Promise<T>, label: string, ms = BOUND_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly base: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr(): string;
}

async function startServer(): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/http-server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DRAIN_MS: String(DRAIN_MS) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = await bounded(
    new Promise<string>((resolve, reject) => {
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const listening = /listening on (\S+)/u.exec(stderr);
        if (listening?.[1] !== undefined) resolve(listening[1]);
      });
      child.once('exit', () => reject(new Error(`server exited before listening:\n${stderr}`)));
    }),
    'server start',
    15_000,
  );
  return { process: child, url, base: new URL('/', url).href.slice(0, -1), exited, stderr: () => stderr };
}

/** Reads the SSE messages of a response as they come; `ended` once the server closed it. */
function sseReader(response: Response) {
  const stream = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const messages: Json[] = [];
  let buffered = '';
  const ended = (async () => {
    for (;;) {
      const chunk = await stream.read();
      if (chunk.done) return;
      buffered += decoder.decode(chunk.value, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        for (const line of buffered.slice(0, end).split('\n')) {
          if (line.startsWith('data:') && line.length > 5) messages.push(JSON.parse(line.slice(5)) as Json);
        }
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
      }
    }
  })();
  return { messages, ended };
}

const acceptBoth = 'application/json, text/event-stream';

function postRaw(url: string, body: Json, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: acceptBoth, ...headers },
    body: JSON.stringify(body),
  });
}

const initializeBody = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

const modernMeta = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
};

function postModern(url: string, id: number, method: string, params: Json): Promise<Response> {
  return postRaw(
    url,
    { jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta } },
    {
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(method === 'tools/call' ? { 'mcp-name': String(params.name) } : {}),
    },
  );
}

/** How a call ended: its result, or the error a client surfaced for it. */
type Outcome =
  | { readonly kind: 'completed'; readonly text: string | undefined }
  | { readonly kind: 'shutting_down'; readonly via: string }
  | { readonly kind: 'other'; readonly error: string };

/**
 * Sorts a client's error: `shutting_down` when it carries the runtime's answer, as a JSON-RPC error
 * (-32013, from a 200 or an SSE stream) or as the body of the 503 a client reports as HTTP status.
 */
function outcomeOfError(error: unknown): Outcome {
  const { code, message, status } = (error ?? {}) as { code?: unknown; message?: unknown; status?: unknown };
  const text = String(message);
  if (code === SHUTTING_DOWN) return { kind: 'shutting_down', via: 'json-rpc' };
  const httpStatus = typeof status === 'number' ? status : code;
  if ((httpStatus === 503 || text.includes('HTTP 503')) && text.includes(String(SHUTTING_DOWN))) {
    return { kind: 'shutting_down', via: 'http 503' };
  }
  return { kind: 'other', error: `${text} (code ${String(code)})` };
}

async function outcomeOf(call: Promise<{ content?: unknown }>, label: string): Promise<Outcome> {
  try {
    const result = await bounded(call, label);
    const content = result.content as { text?: string }[] | undefined;
    return { kind: 'completed', text: content?.[0]?.text };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hung:')) throw error;
    return outcomeOfError(error);
  }
}

interface Driver {
  readonly label: string;
  callTool(name: string, args: Json, progress?: boolean): Promise<{ content?: unknown }>;
  close(): Promise<void>;
}

async function connectV1(url: string, label: string): Promise<Driver> {
  const client = new ClientV1({ name: label, version: '1.0.0' });
  const transport = new TransportV1(new URL(url));
  client.onerror = () => {}; // the standalone stream's end and its failed reconnects, expected here
  await client.connect(transport);
  return {
    label,
    callTool: (name, args, progress) =>
      client.callTool(
        { name, arguments: args },
        undefined,
        progress ? { onprogress: () => {}, timeout: BOUND_MS } : { timeout: BOUND_MS },
      ) as Promise<{ content?: unknown }>,
    close: () => client.close(),
  };
}

async function connectV2(url: string, label: string): Promise<Driver> {
  const client = new ClientV2(
    { name: label, version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  client.onerror = () => {};
  await client.connect(new TransportV2(new URL(url)));
  return {
    label,
    callTool: (name, args, progress) =>
      client.callTool(
        { name, arguments: args },
        progress ? { onprogress: () => {}, timeout: BOUND_MS } : { timeout: BOUND_MS },
      ) as Promise<{ content?: unknown }>,
    close: () => client.close(),
  };
}

describe('SIGTERM under load from both eras (examples/http-server.ts as a child process)', () => {
  let child: Child | undefined;
  const drivers: Driver[] = [];
  afterAll(async () => {
    await Promise.allSettled(drivers.map((driver) => bounded(driver.close(), 'client close', 2_000)));
    if (child !== undefined && child.process.exitCode === null) child.process.kill('SIGKILL');
  });

  it('answers every accepted request, refuses new work with 503 + Retry-After, ends the streams, exits 0', async () => {
    child = await startServer();
    const { url, base } = child;
    // A 2025 session runs its calls one at a time (FIFO): the calls that must fit the grace go on
    // other clients than the ones that outlast it, which would hold them back.
    const fitters: Driver[] = [];
    const laggards: Driver[] = [];
    for (let index = 0; index < 2; index++) {
      fitters.push(await bounded(connectV1(url, `v1-fits-${index}`), 'v1 connect'));
      fitters.push(await bounded(connectV2(url, `v2-fits-${index}`), 'v2 connect'));
      laggards.push(await bounded(connectV1(url, `v1-slow-${index}`), 'v1 connect'));
      laggards.push(await bounded(connectV2(url, `v2-slow-${index}`), 'v2 connect'));
    }
    drivers.push(...fitters, ...laggards);

    // A raw 2025 session with its standalone GET stream.
    const initialized = await bounded(postRaw(url, initializeBody), 'raw initialize');
    const sessionId = initialized.headers.get('mcp-session-id') as string;
    await initialized.text();
    const sessionHeaders = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await (
      await postRaw(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders)
    ).text();
    const standalone = await bounded(
      fetch(url, { headers: { accept: 'text/event-stream', ...sessionHeaders } }),
      'GET stream',
    );
    expect(standalone.status).toBe(200);
    const getStream = sseReader(standalone);

    // A 2026-07-28 listen stream.
    const listenResponse = await bounded(
      postModern(url, 900, 'subscriptions/listen', { notifications: { toolsListChanged: true } }),
      'listen',
    );
    expect(listenResponse.status).toBe(200);
    const listen = sseReader(listenResponse);

    // The load: every client runs a fast loop; some a call that fits the grace, others two that
    // outlast it (one answered as SSE, with progress, one as JSON).
    let signalled = false;
    const fast: Promise<Outcome>[] = [];
    const loops = drivers.map(async (driver) => {
      for (let round = 0; !signalled; round++) {
        const text = `${driver.label}:${round}`;
        const call = outcomeOf(driver.callTool('echo', { text }), `${driver.label} echo ${round}`);
        fast.push(call);
        const outcome = await call;
        if (outcome.kind === 'completed') expect(outcome.text).toBe(text);
      }
    });
    const fitting = fitters.map((driver) =>
      outcomeOf(driver.callTool('slow', { steps: 5, delayMs: 100 }, true), `${driver.label} fitting`),
    );
    const tooSlowStreamed = laggards.map((driver) =>
      outcomeOf(driver.callTool('slow', { steps: 100, delayMs: 100 }, true), `${driver.label} slow, SSE`),
    );
    const tooSlowJson = laggards.map((driver) =>
      outcomeOf(driver.callTool('slow', { steps: 100, delayMs: 100 }, false), `${driver.label} slow, JSON`),
    );

    // Let every call reach its handler, then deploy.
    await new Promise((resolve) => setTimeout(resolve, 150));
    signalled = true;
    const signalledAt = Date.now();
    child.process.kill('SIGTERM');

    // While it drains: /ready, a new session and a new 2026-07-28 request are refused with 503.
    let ready: Response | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      ready = await bounded(fetch(`${base}/ready`), '/ready');
      if (ready.status === 503) break;
      await ready.text();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(ready?.status).toBe(503);
    expect(ready?.headers.get('retry-after')).toBe('1');
    expect(await ready?.json()).toMatchObject({ status: 'draining', draining: true });

    const lateInitialize = await bounded(postRaw(url, initializeBody), 'late initialize');
    expect(lateInitialize.status).toBe(503);
    expect(Number(lateInitialize.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await lateInitialize.json()) as Json).error).toMatchObject({
      code: SHUTTING_DOWN,
      data: { reason: 'shutting_down' },
    });
    const lateModern = await bounded(
      postModern(url, 901, 'tools/call', { name: 'echo', arguments: { text: 'late' } }),
      'late 2026 call',
    );
    expect(lateModern.status).toBe(503);
    expect(Number(lateModern.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await lateModern.json()) as Json).error.code).toBe(SHUTTING_DOWN);

    // Every request sent before SIGTERM was answered.
    expect(await Promise.all(fitting)).toEqual(
      fitters.map(() => ({ kind: 'completed', text: 'done after 5 steps' })),
    );
    const slow = await Promise.all([...tooSlowStreamed, ...tooSlowJson]);
    expect(slow.map((outcome) => outcome.kind)).toEqual(slow.map(() => 'shutting_down'));
    // They were accepted: streamed calls read the error from their stream, JSON ones from the
    // body of a 200, so every client surfaces it as the JSON-RPC error (never as an HTTP status).
    expect(new Set(slow.map((outcome) => (outcome.kind === 'shutting_down' ? outcome.via : '')))).toEqual(
      new Set(['json-rpc']),
    );
    await bounded(Promise.all(loops), 'fast loops');
    const fastOutcomes = await Promise.all(fast);
    const unexpected = fastOutcomes.filter((outcome) => outcome.kind === 'other');
    expect(unexpected).toEqual([]);
    expect(fastOutcomes.filter((outcome) => outcome.kind === 'completed').length).toBeGreaterThan(
      drivers.length,
    );

    // The streams ended: the listen with its completion result, the GET stream when its session stopped.
    await bounded(listen.ended, 'listen stream end');
    expect(listen.messages.at(-1)).toMatchObject({
      jsonrpc: '2.0',
      id: 900,
      result: { resultType: 'complete' },
    });
    await bounded(getStream.ended, 'GET stream end');

    // The process exits 0, within the grace and a margin.
    const exit = await bounded(child.exited, 'process exit');
    expect(exit, child.stderr()).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(DRAIN_MS + EXIT_MARGIN_MS);
    expect(child.stderr()).toContain('SIGTERM: draining');
    // Once it has gone, a connection is refused outright.
    await expect(fetch(`${base}/ready`)).rejects.toThrow();
  }, 20_000);
});
