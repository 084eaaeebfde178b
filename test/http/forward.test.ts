/**
 * Forwarding in a cluster: a request for an id owned by another instance is served by that owner
 * through the instance the client reached, so the client never notices which one it hit. Two real
 * instances (runtimes behind the Node or fetch handler on ephemeral ports) share a fake placement.
 */
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pipeBody } from '../../src/http/forward.js';
import { defineTool } from '../../src/index.js';
import { PlacementUnavailableError } from '../../src/runtime/placement.js';
import type { Instance, InstanceOptions } from './forwardCluster.js';
import {
  eventsOf,
  FakeDirectory,
  initialize,
  initializeBody,
  post,
  postHeaders,
  startInstance,
} from './forwardCluster.js';
import { MemoryStream } from './MemoryStream.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

const TASKS = 'io.modelcontextprotocol/tasks';

const tools = [
  defineTool({
    name: 'echo',
    inputSchema: z.object({ text: z.string() }),
    handler: ({ text }) => text,
  }),
  defineTool({
    name: 'steps',
    inputSchema: z.object({ count: z.number().int() }),
    handler: async ({ count }, ctx) => {
      for (let step = 1; step <= count; step++) {
        await sleep(2);
        ctx.progress({ progress: step, total: count });
      }
      return `done after ${count}`;
    },
  }),
  defineTool({
    name: 'ask',
    handler: async (_args, ctx) => {
      const answer = await ctx.request('elicitation/create', {
        message: 'Your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
      });
      return `hello ${String((answer.content as { name?: unknown } | undefined)?.name)}`;
    },
  }),
  defineTool({
    name: 'nap',
    inputSchema: z.object({ ms: z.number().int() }),
    handler: async ({ ms }) => {
      await sleep(ms);
      return 'rested';
    },
  }),
  defineTool({
    name: 'hang',
    handler: (_args, ctx) => {
      ctx.progress({ progress: 1 });
      return new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    },
  }),
  defineTool({
    name: 'sleepy',
    execution: { taskSupport: 'required' },
    handler: (_args, ctx) =>
      new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      ),
  }),
];

const directory = new FakeDirectory();
const instances: Instance[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

async function start(id: string, options: InstanceOptions = {}): Promise<Instance> {
  const instance = await startInstance(id, directory, {
    ...options,
    runtime: { tools, tasks: {}, ...options.runtime },
  });
  instances.push(instance);
  return instance;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await Promise.all(instances.splice(0).map((instance) => instance.close()));
  directory.owners.clear();
  directory.addresses.clear();
});

const session = (sessionId: string) => ({
  'mcp-session-id': sessionId,
  'mcp-protocol-version': '2025-11-25',
});
const call = (id: number, name: string, args: Json = {}, meta?: Json) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) },
});
const forwardedTo = (instance: Instance) =>
  instance.received.filter((request) => request.forwardedBy !== undefined);

/** Reads an SSE body until `done` says so for the text so far; the text. */
async function readUntil(response: Response, done: (text: string) => boolean): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const { done: ended, value } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

/** A JSON-RPC answer, and the raw keep-alive HTTP response that carries it. */
const answer = { jsonrpc: '2.0', id: 12, result: { content: [] } };
const jsonAnswer = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${JSON.stringify(answer).length}\r\n\r\n${JSON.stringify(answer)}`;

/** A raw TCP server on an ephemeral port standing in for an owner; closed (its sockets too) after the test. */
async function listenRaw(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as { port: number }).port;
}

describe('forwarding 2025-era sessions', () => {
  it('answers a POST sent to B for a session on A from A, as JSON', async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    const response = await post(b.url, call(1, 'echo', { text: 'hi' }), session(sessionId));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(((await response.json()) as Json).result.content[0].text).toBe('hi');
    expect(forwardedTo(a).map((request) => [request.method, request.forwardedBy])).toEqual([['POST', 'B']]);
    expect(b.runtime.size).toBe(0);
  });

  it('streams an SSE answer through B: progress in order, then the response', async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    const response = await post(
      b.url,
      call(2, 'steps', { count: 4 }, { progressToken: 'p' }),
      session(sessionId),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = eventsOf(await response.text()) as Json[];
    expect(events.map((event) => event.params?.progress ?? event.result?.content[0].text)).toEqual([
      1,
      2,
      3,
      4,
      'done after 4',
    ]);
  });

  it('passes on a UTF-8 character split across two chunks of an SSE answer whole', async () => {
    const b = await start('B');
    const message = { jsonrpc: '2.0', id: 14, result: { content: [{ type: 'text', text: 'café 🙂 ok' }] } };
    const bytes = Buffer.from(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    // Inside the four bytes of the emoji.
    const cut = bytes.indexOf(Buffer.from('🙂')) + 2;
    const chunk = (part: Buffer) =>
      Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]);
    const port = await listenRaw((socket) => {
      socket.once('data', async () => {
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n',
        );
        socket.write(chunk(bytes.subarray(0, cut)));
        // Two reads on B's side, not one.
        await sleep(30);
        socket.end(Buffer.concat([chunk(bytes.subarray(cut)), Buffer.from('0\r\n\r\n')]));
      });
    });
    directory.owners.set('session:split', 'S');
    directory.addresses.set('S', `http://127.0.0.1:${port}`);
    const response = await post(b.url, call(14, 'echo', { text: 'x' }), session('split'));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(eventsOf(await response.text())).toEqual([message]);
  });

  it('routes a batch by its session', async () => {
    const a = await start('A');
    const b = await start('B');
    const opened = await post(a.url, {
      ...initializeBody,
      params: { ...initializeBody.params, protocolVersion: '2025-03-26' },
    });
    const sessionId = opened.headers.get('mcp-session-id') as string;
    await opened.body?.cancel();
    const response = await post(b.url, [call(3, 'echo', { text: 'batched' })], {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-03-26',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Json[];
    expect(body[0]?.result.content[0].text).toBe('batched');
  });

  it("opens the standalone GET stream through B, carries A's notifications, and closes it on A when the client leaves", async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    const client = new AbortController();
    const response = await fetch(b.url, {
      headers: { accept: 'text/event-stream', ...session(sessionId) },
      signal: client.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    // A's stream is attached once the forwarded GET reached it.
    const notification = { method: 'notifications/message', params: { level: 'info', data: 'from A' } };
    while (!a.runtime.notify(sessionId, notification)) await sleep(2);
    const text = await readUntil(response, (seen) => seen.includes('from A'));
    expect(eventsOf(text)).toContainEqual({ jsonrpc: '2.0', ...notification });
    const upstream = forwardedTo(a).find((request) => request.method === 'GET');
    client.abort();
    // The owner sees its side of the stream close: the upstream request was aborted.
    await upstream?.closed;
    expect(upstream).toBeDefined();
  });

  it('ends the session on A with a DELETE sent to B', async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    const response = await fetch(b.url, { method: 'DELETE', headers: session(sessionId) });
    expect(response.status).toBe(200);
    expect(a.runtime.has(sessionId)).toBe(false);
    const again = await post(b.url, call(4, 'echo', { text: 'x' }), session(sessionId));
    expect(again.status).toBe(404);
  });

  it('serves the official SDK client pointed at B for a session living on A (progress, elicitation)', async () => {
    const a = await start('A');
    const b = await start('B');
    // A load balancer that sent the handshake to A and everything after it to B.
    let first = true;
    const balanced = (_url: string | URL, init?: RequestInit) => {
      const target = first ? a.url : b.url;
      first = false;
      return fetch(target, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(b.url), { fetch: balanced });
    const client = new Client({ name: 'sdk', version: '1' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    await client.connect(transport);
    cleanups.push(() => client.close());
    expect(a.runtime.has(transport.sessionId as string)).toBe(true);
    expect(b.runtime.size).toBe(0);
    const progress: number[] = [];
    const stepped = await client.callTool({ name: 'steps', arguments: { count: 3 } }, undefined, {
      onprogress: ({ progress: step }) => progress.push(step),
    });
    expect(stepped.content).toEqual([{ type: 'text', text: 'done after 3' }]);
    expect(progress).toEqual([1, 2, 3]);
    const asked = await client.callTool({ name: 'ask', arguments: {} });
    expect(asked.content).toEqual([{ type: 'text', text: 'hello Ada' }]);
    // The client's answer to A's elicitation went to B, and on to A.
    expect(forwardedTo(a).length).toBeGreaterThanOrEqual(4);
  });
});

describe('forwarding failures', () => {
  it('answers 404 session_not_found from B when the owner is gone (connection refused)', async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    await a.close();
    // The owner's claim has not lapsed yet: the placement still names A.
    directory.owners.set(`session:${sessionId}`, 'A');
    const response = await post(b.url, call(5, 'echo', { text: 'x' }), session(sessionId));
    expect(response.status).toBe(404);
    const body = (await response.json()) as Json;
    expect(body.error).toMatchObject({ code: -32001, data: { reason: 'session_not_found' } });
    expect(b.errors).toEqual([]);
  });

  it('retries once on a fresh connection when a reused keep-alive connection is reset before any response', async () => {
    const b = await start('B');
    let connections = 0;
    // The first connection answers its first request and stays open, then resets on the next (as an
    // owner closing it as idle just as it is reused would); any later connection answers.
    const port = await listenRaw((socket) => {
      const connection = ++connections;
      let requests = 0;
      socket.on('data', (data: Buffer) => {
        for (let ends = data.toString('latin1').split('\r\n\r\n').length - 1; ends > 0; ends--) {
          requests++;
          if (connection === 1 && requests === 2) {
            socket.resetAndDestroy();
            return;
          }
          socket.write(jsonAnswer);
        }
      });
    });
    directory.owners.set('session:flaky', 'F');
    directory.addresses.set('F', `http://127.0.0.1:${port}`);
    const first = await post(b.url, call(12, 'echo', { text: 'x' }), session('flaky'));
    expect(await first.json()).toEqual(answer);
    const second = await post(b.url, call(12, 'echo', { text: 'x' }), session('flaky'));
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(answer);
    expect(connections).toBe(2);
  });

  it('declares the owner gone when a fresh connection is reset before any response: no retry', async () => {
    const b = await start('B');
    let connections = 0;
    const port = await listenRaw((socket) => {
      connections++;
      socket.once('data', () => socket.resetAndDestroy());
    });
    directory.owners.set('session:resetting', 'R');
    directory.addresses.set('R', `http://127.0.0.1:${port}`);
    const response = await post(b.url, call(13, 'echo', { text: 'x' }), session('resetting'));
    expect(response.status).toBe(404);
    expect(((await response.json()) as Json).error).toMatchObject({ data: { reason: 'session_not_found' } });
    expect(connections).toBe(1);
    expect(b.errors).toEqual([]);
  });

  it('answers 503 with Retry-After when the owner accepts the connection and never answers', async () => {
    const b = await start('B');
    const sockets: Socket[] = [];
    // Reads (and drops) what it is sent, so that it sees its peer close; never answers.
    const paused: Server = createServer((socket) => sockets.push(socket.resume())).listen(0, '127.0.0.1');
    await new Promise((resolve) => paused.once('listening', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          paused.close(() => resolve());
        }),
    );
    const { port } = paused.address() as { port: number };
    directory.owners.set('session:paused', 'P');
    directory.addresses.set('P', `http://127.0.0.1:${port}`);
    const response = await post(b.url, call(6, 'echo', { text: 'x' }), session('paused'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    const body = (await response.json()) as Json;
    expect(body.error).toMatchObject({
      code: -32024,
      data: { reason: 'cluster_unavailable', retryAfterSeconds: 1 },
    });
    // The abandoned upstream request was aborted: its connection closes.
    const socket = sockets[0] as Socket;
    if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
    expect(socket.destroyed).toBe(true);
  });

  it('cuts the client’s stream off when the owner’s stream breaks mid-way', async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    const response = await post(b.url, call(10, 'hang', {}, { progressToken: 'h' }), session(sessionId));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('notifications/progress');
    a.dropConnections();
    // Our stream ends too (cut off, as the owner's was), never left open.
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow();
  });

  it('does not give up on a slow handler: the owner opens its SSE answer before forwardTimeoutMs', async () => {
    const a = await start('A');
    const b = await start('B');
    const sessionId = await initialize(a.url);
    // forwardTimeoutMs is 200 on both; the call takes longer.
    const response = await post(b.url, call(11, 'nap', { ms: 350 }), session(sessionId));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = eventsOf(await response.text()) as Json[];
    expect(events.at(-1)?.result.content[0].text).toBe('rested');
  });

  it('answers 503 with the placement’s Retry-After when locate rejects', async () => {
    const b = await start('B');
    b.placement.locateWith = () => Promise.reject(new PlacementUnavailableError('store down', 3));
    const response = await post(b.url, call(7, 'echo', { text: 'x' }), session('anywhere'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(((await response.json()) as Json).error).toMatchObject({
      code: -32024,
      data: { reason: 'cluster_unavailable', retryAfterSeconds: 3 },
    });
    // Refused before any instance saw it: counted with the runtime's refusals.
    expect(b.runtime.metrics().rejected).toEqual({ cluster_unavailable: 1 });
  });

  it('never forwards a forwarded request again: two instances that each name the other end in not found', async () => {
    const a = await start('A');
    const b = await start('B');
    a.placement.locateWith = async () => ({ kind: 'remote', instanceId: 'B', address: b.address });
    b.placement.locateWith = async () => ({ kind: 'remote', instanceId: 'A', address: a.address });
    const response = await post(b.url, call(8, 'echo', { text: 'x' }), session('ghost'));
    expect(response.status).toBe(404);
    expect(a.received.map((request) => request.forwardedBy)).toEqual(['B']);
    expect(b.received.map((request) => request.forwardedBy)).toEqual([undefined]);
  });
});

describe('forwarding 2026-07-28 requests', () => {
  const modern = async (url: URL, method: string, params: Json, id: number) => {
    const body = {
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': { extensions: { [TASKS]: {} } },
        },
      },
    };
    const name = typeof params.taskId === 'string' ? params.taskId : params.name;
    return post(url, body, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, 'mcp-name': name });
  };

  it('serves tasks/get of a task on A through B', async () => {
    const a = await start('A');
    const b = await start('B');
    const created = (await (
      await modern(a.url, 'tools/call', { name: 'sleepy', arguments: {} }, 1)
    ).json()) as Json;
    const taskId = created.result.taskId as string;
    const unknown = (await (await modern(b.url, 'tasks/get', { taskId }, 2)).json()) as Json;
    // Nobody said where it lives: B answers for itself.
    expect(unknown.error).toBeDefined();
    directory.owners.set(`task:${taskId}`, 'A');
    const response = await modern(b.url, 'tasks/get', { taskId }, 3);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).result).toMatchObject({ taskId, status: 'working' });
    expect(forwardedTo(a).length).toBe(1);
  });
});

describe('request headers of both handler forms', () => {
  it.each(['node', 'fetch'] as const)('forwards the end-to-end headers from the %s form', async (kind) => {
    const a = await start('A');
    const b = await start('B', { kind });
    const sessionId = await initialize(a.url);
    const response = await post(b.url, call(9, 'echo', { text: 'x' }), {
      ...session(sessionId),
      'x-trace': 'abc',
      'proxy-authorization': 'secret',
      'accept-encoding': 'gzip, br',
    });
    expect(response.status).toBe(200);
    const [forwarded] = forwardedTo(a);
    expect(forwarded?.headers).toMatchObject({
      'x-trace': 'abc',
      'mcp-session-id': sessionId,
      'mcp-forwarded-by': 'B',
      'content-type': 'application/json',
      // Bodies are passed on as text: the owner is asked for an unencoded one.
      'accept-encoding': 'identity',
    });
    expect(forwarded?.headers['proxy-authorization']).toBeUndefined();
    expect(forwarded?.headers.host).toBe(new URL(a.address).host);
  });
});

/** An owner that answers every request with `head` (status line and headers) and then `body`. */
async function rawOwner(answer: (socket: Socket) => void): Promise<string> {
  const port = await listenRaw((socket) => socket.once('data', () => answer(socket)));
  return `http://127.0.0.1:${port}`;
}

/** Resolves once `socket` drains or closes, leaving no listener behind. */
function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/** How far an owner writing with backpressure got: bytes of body written, and whether it waits. */
interface OwnerProgress {
  written: number;
  waiting: boolean;
  finished: boolean;
}

/**
 * An owner that writes `head` (status line and headers), then `body` piece by piece, counting the
 * body's bytes in its progress and waiting for `drain` whenever its socket's buffer is full.
 */
async function backpressuredOwner(
  head: string,
  body: Iterable<string>,
  total: number,
): Promise<{ address: string; owner: OwnerProgress }> {
  const owner: OwnerProgress = { written: 0, waiting: false, finished: false };
  const address = await rawOwner(async (socket) => {
    socket.write(head);
    for (const piece of body) {
      if (socket.destroyed) break;
      owner.written += piece.length;
      if (!socket.write(piece)) {
        owner.waiting = true;
        await drainedOrClosed(socket);
        owner.waiting = false;
      }
    }
    owner.finished = owner.written >= total;
    socket.end();
  });
  return { address, owner };
}

/** Resolves once `owner` has waited, without writing more, for 10 looks 30 ms apart (or finished). */
async function stalled(owner: OwnerProgress): Promise<void> {
  let seen = -1;
  let still = 0;
  while (!owner.finished && still < 10) {
    await sleep(30);
    still = owner.waiting && owner.written === seen ? still + 1 : 0;
    seen = owner.written;
  }
}

/** B, told that every session lives on the owner at `address`. */
async function forwarderTo(address: string, kind: 'node' | 'fetch' = 'node'): Promise<Instance> {
  const b = await start('B', { kind });
  b.placement.locateWith = () => Promise.resolve({ kind: 'remote', instanceId: 'R', address });
  return b;
}

/** A POST of the Node client: its response (raw header lines kept), not yet read. */
function rawPost(url: URL, body: unknown, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: { ...postHeaders, ...headers },
    });
    request.once('response', resolve).once('error', reject);
    cleanups.push(() => void request.destroy());
    request.end(JSON.stringify(body));
  });
}

/** The values of header `name` as separate lines of `response`. */
function headerLines(response: IncomingMessage, name: string): string[] {
  const lines: string[] = [];
  for (let index = 0; index < response.rawHeaders.length; index += 2) {
    if (response.rawHeaders[index]?.toLowerCase() === name)
      lines.push(response.rawHeaders[index + 1] as string);
  }
  return lines;
}

describe("the owner's answer passed on", () => {
  const twice =
    'set-cookie: a=1; Path=/\r\nset-cookie: b=2; Path=/\r\n' +
    'www-authenticate: Bearer realm="one"\r\nwww-authenticate: Basic realm="two"\r\n';

  it.each(['json', 'sse'] as const)('keeps a header the owner sent twice on two lines (%s)', async (form) => {
    const body = form === 'json' ? JSON.stringify(answer) : `data: ${JSON.stringify(answer)}\n\n`;
    const type = form === 'json' ? 'application/json' : 'text/event-stream';
    const owner = await rawOwner((socket) =>
      socket.end(
        `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\n${twice}content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      ),
    );
    const b = await forwarderTo(owner);
    const response = await rawPost(b.url, call(12, 'echo', { text: 'x' }), session('elsewhere'));
    expect(response.statusCode).toBe(200);
    expect(headerLines(response, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(headerLines(response, 'www-authenticate')).toEqual(['Bearer realm="one"', 'Basic realm="two"']);
    response.resume();
  });

  it('keeps two Set-Cookie apart through the fetch form', async () => {
    const body = JSON.stringify(answer);
    const owner = await rawOwner((socket) =>
      socket.end(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${twice}content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      ),
    );
    const b = await forwarderTo(owner, 'fetch');
    const response = await rawPost(b.url, call(12, 'echo', { text: 'x' }), session('elsewhere'));
    expect(response.statusCode).toBe(200);
    expect(headerLines(response, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    response.resume();
  });

  it.each(['node', 'fetch'] as const)(
    'holds the owner back while the client does not read an SSE answer, then passes all of it on (%s form)',
    async (kind) => {
      const total = 48 * 1024 * 1024;
      const chunk = `data: ${'x'.repeat(64 * 1024 - 8)}\n\n`;
      const { address, owner } = await backpressuredOwner(
        'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n',
        Array.from({ length: Math.ceil(total / chunk.length) }, () => chunk),
        total,
      );
      const b = await forwarderTo(address, kind);
      const response = await rawPost(b.url, call(13, 'echo', { text: 'x' }), session('elsewhere'));
      expect(response.headers['content-type']).toBe('text/event-stream');
      response.pause();
      // The owner stalls: the client reads nothing, so B stops reading from the owner.
      await stalled(owner);
      expect(owner.finished).toBe(false);
      expect(owner.written).toBeLessThan(total);
      // Reading again, the client gets every byte, in order.
      let received = 0;
      let last = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        received += text.length;
        last = text;
      });
      response.resume();
      await new Promise((resolve) => response.once('end', resolve));
      expect(owner.finished).toBe(true);
      expect(received).toBe(total);
      expect(last.endsWith('x\n\n')).toBe(true);
    },
  );
  it.each(['node', 'fetch'] as const)(
    'holds the owner back while the client does not read a large JSON answer, then passes all of it on (%s form)',
    async (kind) => {
      const total = 48 * 1024 * 1024;
      // One JSON-RPC response of `total` bytes, written in pieces of 64 KiB.
      const head = '{"jsonrpc":"2.0","id":13,"result":{"content":[{"type":"text","text":"';
      const tail = '"}]}}';
      const piece = 'x'.repeat(64 * 1024);
      function* jsonBody(): Iterable<string> {
        yield head;
        let written = head.length;
        while (written < total) {
          const left = total - written;
          const next = left > piece.length + tail.length ? piece : `${'x'.repeat(left - tail.length)}${tail}`;
          written += next.length;
          yield next;
        }
      }
      const { address, owner } = await backpressuredOwner(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\nconnection: close\r\n\r\n`,
        jsonBody(),
        total,
      );
      const b = await forwarderTo(address, kind);
      const response = await rawPost(b.url, call(13, 'echo', { text: 'x' }), session('elsewhere'));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      response.pause();
      // The owner stalls: the client reads nothing, so B stops reading from the owner.
      await stalled(owner);
      expect(owner.finished).toBe(false);
      expect(owner.written).toBeLessThan(total);
      // Reading again, the client gets every byte, and the JSON is whole.
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.resume();
      await new Promise((resolve) => response.once('end', resolve));
      expect(owner.finished).toBe(true);
      const body = Buffer.concat(chunks);
      expect(body.length).toBe(total);
      const parsed = JSON.parse(body.toString('utf8')) as Json;
      expect(parsed.id).toBe(13);
      expect(parsed.result.content[0].text.length).toBe(total - head.length - tail.length);
    },
  );
  it('answers 503 and reports it when a non-200 answer of the owner is longer than 4 MiB', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 15,
      error: { code: -32600, message: 'x'.repeat(4 * 1024 * 1024 + 10) },
    });
    const owner = await rawOwner((socket) =>
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      ),
    );
    const b = await forwarderTo(owner);
    const response = await post(b.url, call(15, 'echo', { text: 'x' }), session('elsewhere'));
    expect(response.status).toBe(503);
    expect(((await response.json()) as Json).error).toMatchObject({
      data: { reason: 'cluster_unavailable' },
    });
    expect(b.errors.map(String)).toEqual([
      "Error: The owner's 400 answer is longer than 4194304 bytes: not passed on",
    ]);
  });

  it('passes on a batch refused member by member past 64 KiB as it is', async () => {
    const body = JSON.stringify(
      Array.from({ length: 600 }, (_, index) => ({
        jsonrpc: '2.0',
        id: index,
        error: { code: -32005, message: 'Session mailbox is full', data: { reason: 'mailbox_full' } },
      })),
    );
    expect(body.length).toBeGreaterThan(64 * 1024);
    const owner = await rawOwner((socket) =>
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      ),
    );
    const b = await forwarderTo(owner);
    const response = await post(b.url, call(16, 'echo', { text: 'x' }), session('elsewhere'));
    expect(response.status).toBe(429);
    expect(await response.text()).toBe(body);
    expect(b.errors).toEqual([]);
  });

  it('passes on a short non-200 answer as it is', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 16, error: { code: -32600, message: 'no' } });
    const owner = await rawOwner((socket) =>
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      ),
    );
    const b = await forwarderTo(owner);
    const response = await post(b.url, call(16, 'echo', { text: 'x' }), session('elsewhere'));
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(body);
  });
});

describe('pipeBody', () => {
  it('pauses reading from the owner while a write reports the client full, and resumes on drain', async () => {
    const upstream = new PassThrough();
    const written: string[] = [];
    let full = true;
    let drain: (() => void) | undefined;
    const stream = new MemoryStream();
    stream.write = (event: string) => {
      written.push(event);
      return !full;
    };
    stream.onDrain = (listener: () => void) => {
      drain = listener;
    };
    const piped = pipeBody(
      upstream as unknown as IncomingMessage,
      stream,
      { abort: () => {} },
      { destroy: () => upstream as never },
    );
    upstream.write('data: 1\n\n');
    upstream.write('data: 2\n\n');
    await sleep(5);
    expect(written).toEqual(['data: 1\n\n']);
    expect(upstream.isPaused()).toBe(true);
    full = false;
    drain?.();
    await sleep(5);
    expect(upstream.isPaused()).toBe(false);
    expect(written).toEqual(['data: 1\n\n', 'data: 2\n\n']);
    upstream.end();
    await piped;
    expect(stream.closed).toBe(true);
  });
});
