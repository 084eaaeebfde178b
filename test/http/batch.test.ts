/**
 * JSON-RPC batches over Streamable HTTP, by the rules of each revision we negotiate: served for a
 * session at 2025-03-26 ("MUST support receiving JSON-RPC batches", Streamable HTTP "Sending
 * Messages to the Server" §3-6) and 2024-11-05 (JSON-RPC 2.0 §6), refused with -32600 naming the
 * revision at 2025-06-18 and 2025-11-25 (batching removed in 2025-06-18). Both server forms.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoRuntime } from '../../examples/tools.js';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { defineTool } from '../../src/index.js';
import { MAX_BATCH_LENGTH } from '../../src/protocol/batch.js';
import { cancelled, initializedNotification, initializeRequest, request } from '../helpers.js';

type Form = 'node' | 'fetch';
type Send = (body: unknown, headers?: Record<string, string>) => Promise<Response>;

interface Wire {
  readonly jsonrpc: '2.0';
  readonly id?: string | number | null;
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: {
    readonly code: number;
    readonly message: string;
    readonly data?: Record<string, unknown>;
  };
}

const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A tool that asks the client for its roots (a server-initiated request) and reports how many. */
const countRoots = defineTool({
  name: 'count_roots',
  inputSchema: z.object({}),
  handler: async (_args, ctx) => {
    const answer = await ctx.request('roots/list');
    return `roots: ${(answer.roots as unknown[]).length}`;
  },
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function start(
  form: Form,
  http: StreamableHttpOptions = {},
): Promise<{ send: Send; runtime: SessionRuntime }> {
  const runtime = createDemoRuntime({ tools: [countRoots] });
  const encode = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));
  if (form === 'fetch') {
    const mcp = createFetchHandler(runtime, http);
    closers.push(() => runtime.close({ drainMs: 0 }));
    const send: Send = (body, headers = {}) =>
      mcp(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: { ...postHeaders, ...headers },
          body: encode(body),
        }),
      );
    return { send, runtime };
  }
  const mcp = createNodeHandler(runtime, http);
  const server: Server = createServer((req, res) => mcp(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://localhost:${(server.address() as AddressInfo).port}/mcp`;
  closers.push(async () => {
    await runtime.close({ drainMs: 0 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const send: Send = (body, headers = {}) =>
    fetch(url, { method: 'POST', headers: { ...postHeaders, ...headers }, body: encode(body) });
  return { send, runtime };
}

/** Opens a session at `protocolVersion`; resolves with the headers its later requests carry. */
async function open(
  send: Send,
  protocolVersion: string,
  capabilities: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  const handshake = {
    ...initializeRequest(0, protocolVersion),
    params: { ...initializeRequest(0, protocolVersion).params, capabilities },
  };
  const response = await send(handshake);
  const sessionId = response.headers.get('mcp-session-id');
  expect(response.status).toBe(200);
  expect(((await response.json()) as Wire).result?.protocolVersion).toBe(protocolVersion);
  if (sessionId === null) throw new Error('no session id');
  // Clients of 2025-03-26 and older send no MCP-Protocol-Version ("absent means 2025-03-26").
  const headers: Record<string, string> = { 'mcp-session-id': sessionId };
  if (protocolVersion >= '2025-06-18') headers['mcp-protocol-version'] = protocolVersion;
  expect((await send(initializedNotification, headers)).status).toBe(202);
  return headers;
}

/** The messages of an SSE body, read to its end. */
async function eventsOf(response: Response): Promise<Wire[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .flatMap((event) => event.split('\n').filter((line) => line.startsWith('data: ') && line.length > 6))
    .map((line) => JSON.parse(line.slice(6)) as Wire);
}

const call = (id: string | number, name: string, args: Record<string, unknown>, progressToken?: string) =>
  request(id, 'tools/call', {
    name,
    arguments: args,
    ...(progressToken === undefined ? {} : { _meta: { progressToken } }),
  });

const textOf = (message: Wire | undefined) =>
  (message?.result?.content as { text: string }[] | undefined)?.[0]?.text;

describe.each<Form>(['node', 'fetch'])('JSON-RPC batches over Streamable HTTP (%s form)', (form) => {
  describe.each(['2025-03-26', '2024-11-05'])('in a session at %s', (version) => {
    it('answers a batch of one request with an array of its response (the sample of the issue)', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const response = await send([{ jsonrpc: '2.0', id: 'a', method: 'ping' }], headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual([{ jsonrpc: '2.0', id: 'a', result: {} }]);
    });

    it('dispatches members in order through the session mailbox (FIFO across the batch)', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const batch = [1, 10, 100].map((by, index) => call(index, 'counter', { by }));
      const answers = (await (await send(batch, headers)).json()) as Wire[];
      expect(answers.map((answer) => [answer.id, answer.result?.structuredContent])).toEqual([
        [0, { count: 1 }],
        [1, { count: 11 }],
        [2, { count: 111 }],
      ]);
    });

    it('answers 202 with no body to a batch of notifications only', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const response = await send([initializedNotification, cancelled('never-sent')], headers);
      expect(response.status).toBe(202);
      expect(await response.text()).toBe('');
    });
  });

  describe.each(['2025-06-18', '2025-11-25'])('in a session at %s', (version) => {
    it('refuses any batch with 400 -32600 naming the revision, and runs none of it', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      for (const batch of [
        [request('a', 'ping')],
        [call(1, 'counter', { by: 5 })],
        [initializedNotification],
        [],
      ]) {
        const response = await send(batch, headers);
        expect(response.status).toBe(400);
        const answer = (await response.json()) as Wire;
        expect(answer).toMatchObject({
          id: null,
          error: { code: -32600, data: { protocolVersion: version } },
        });
        expect(answer.error?.message).toContain(`protocol revision ${version}`);
      }
      // The counter call in the refused batch never ran.
      const after = (await (await send(call(2, 'counter', { by: 1 }), headers)).json()) as Wire;
      expect(after.result?.structuredContent).toEqual({ count: 1 });
    });

    it('goes by the negotiated revision, not by an MCP-Protocol-Version header the client changes', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const response = await send([request('a', 'ping')], {
        ...headers,
        'mcp-protocol-version': '2025-03-26',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Wire).error?.data).toMatchObject({ protocolVersion: version });
    });
  });

  describe('at 2025-03-26', () => {
    const version = '2025-03-26';

    it('answers a mixed batch of requests and notifications with the responses in member order', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const batch = [
        call('e', 'echo', { text: 'one' }),
        { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
        call(2, 'add', { a: 2, b: 40 }),
        request('p', 'ping'),
        call(3, 'no_such_tool', {}),
      ];
      const response = await send(batch, headers);
      expect(response.status).toBe(200);
      const answers = (await response.json()) as Wire[];
      expect(answers.map((answer) => answer.id)).toEqual(['e', 2, 'p', 3]);
      expect(textOf(answers[0])).toBe('one');
      expect(answers[1]?.result?.structuredContent).toEqual({ sum: 42 });
      expect(answers[3]?.error?.code).toBe(-32602);
    });

    it('answers a request id repeated inside one batch with -32600 for the repeat (string and number ids apart)', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const batch = [
        call(7, 'echo', { text: 'first' }),
        call(7, 'echo', { text: 'second' }),
        request('7', 'ping'),
        request('p', 'ping'),
        request('p', 'ping'),
      ];
      const answers = (await (await send(batch, headers)).json()) as Wire[];
      expect(answers).toHaveLength(5);
      expect(textOf(answers[0])).toBe('first');
      expect(answers[1]).toMatchObject({ id: 7, error: { code: -32600 } });
      expect(answers[1]?.error?.message).toContain('already used earlier in this batch');
      expect(answers[2]).toEqual({ jsonrpc: '2.0', id: '7', result: {} });
      expect(answers[3]).toEqual({ jsonrpc: '2.0', id: 'p', result: {} });
      expect(answers[4]).toMatchObject({ id: 'p', error: { code: -32600 } });
    });

    it('lets a cancellation in the batch cancel an earlier member: no response for it', async () => {
      const { send, runtime } = await start(form);
      const headers = await open(send, version);
      const batch = [
        call('s', 'slow', { steps: 100, delayMs: 20 }),
        cancelled('s'),
        call('e', 'echo', { text: 'after' }),
      ];
      const answers = (await (await send(batch, headers)).json()) as Wire[];
      expect(answers.map((answer) => answer.id)).toEqual(['e']);
      expect(runtime.metrics()).toMatchObject({ cancelled: 1, completed: 1 });
    });

    it('ends the POST with an empty event stream when every request of the batch was cancelled', async () => {
      const { send, runtime } = await start(form);
      const headers = await open(send, version);
      const response = await send([call('s', 'slow', { steps: 100, delayMs: 20 }), cancelled('s')], headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      expect(await eventsOf(response)).toEqual([]);
      expect(runtime.metrics().cancelled).toBe(1);
    });

    it('gives invalid members their own error objects (JSON-RPC 2.0 §6) and serves the valid ones', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const batch = [
        1,
        { jsonrpc: '2.0', method: 5 },
        { foo: 'boo' },
        [request('n', 'ping')],
        { jsonrpc: '1.0', id: 'v', method: 'ping' },
        request('ok', 'ping'),
      ];
      const response = await send(batch, headers);
      expect(response.status).toBe(200);
      const answers = (await response.json()) as Wire[];
      expect(answers.map((answer) => [answer.id, answer.error?.code])).toEqual([
        [null, -32600],
        [null, -32600],
        [null, -32600],
        [null, -32600],
        ['v', -32600],
        ['ok', undefined],
      ]);
    });

    it('answers a batch of invalid messages only with 400 and an error per member', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const response = await send([1, 2, 3], headers);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(
        [1, 2, 3].map(() => ({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) })),
      );
    });

    it('refuses an empty batch with 400 -32600 (JSON-RPC 2.0 §6), as one error, not an array', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const response = await send([], headers);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    });

    it('refuses an initialize inside a batch: whole when it would open a session, per member inside one', async () => {
      const { send } = await start(form);
      const first = await send([initializeRequest(0, version)]);
      expect(first.status).toBe(400);
      const refused = (await first.json()) as Wire;
      expect(refused).toMatchObject({ id: null, error: { code: -32600 } });
      expect(refused.error?.message).toContain('initialize must not be part of a JSON-RPC batch');
      expect(first.headers.get('mcp-session-id')).toBeNull();

      const headers = await open(send, version);
      const answers = (await (
        await send([initializeRequest(9, version), request('p', 'ping')], headers)
      ).json()) as Wire[];
      expect(answers).toMatchObject([
        { id: 9, error: { code: -32600 } },
        { id: 'p', result: {} },
      ]);
    });

    it('refuses a batch over the length limit whole, and serves one at the limit', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const pings = (count: number) => Array.from({ length: count }, (_, index) => request(index, 'ping'));
      const over = await send(pings(MAX_BATCH_LENGTH + 1), headers);
      expect(over.status).toBe(400);
      expect(await over.json()).toMatchObject({
        id: null,
        error: { code: -32600, data: { limit: MAX_BATCH_LENGTH } },
      });
      const at = await send(pings(MAX_BATCH_LENGTH), headers);
      expect(at.status).toBe(200);
      expect((await at.json()) as Wire[]).toHaveLength(MAX_BATCH_LENGTH);
    });

    it('refuses a batch over maxBodyBytes with 413 before running any member', async () => {
      const { send } = await start(form, { maxBodyBytes: 2_048 });
      const headers = await open(send, version);
      const batch = [call(1, 'counter', { by: 5 }), call(2, 'echo', { text: 'x'.repeat(4_096) })];
      expect((await send(batch, headers)).status).toBe(413);
      const after = (await (await send(call(3, 'counter', { by: 1 }), headers)).json()) as Wire;
      expect(after.result?.structuredContent).toEqual({ count: 1 });
    });

    it('spends one rateLimit token per message of a batch: a batch is no way around the limit', async () => {
      const { send } = await start(form, { rateLimit: { requestsPerSecond: 1, burst: 5 } });
      const headers = await open(send, version);
      // Two tokens went to the handshake; the batch takes the third and owes nine more.
      const batch = Array.from({ length: 10 }, (_, index) => request(index, 'ping'));
      expect((await send(batch, headers)).status).toBe(200);
      const next = await send(request('late', 'ping'), headers);
      expect(next.status).toBe(429);
      expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(7);
    });

    it('answers 404 to a batch for an unknown session, and 400 to one without a session id', async () => {
      const { send } = await start(form);
      expect((await send([request('a', 'ping')], { 'mcp-session-id': 'no-such-session' })).status).toBe(404);
      expect((await send([request('a', 'ping')])).status).toBe(400);
    });

    it('streams when a member streams: progress, then every response once, on one SSE stream', async () => {
      const { send } = await start(form);
      const headers = await open(send, version);
      const batch = [
        request('p', 'ping'),
        call('s', 'slow', { steps: 3, delayMs: 1 }, 'tok'),
        call('e', 'echo', { text: 'last' }),
      ];
      const response = await send(batch, headers);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const messages = await eventsOf(response);
      const progress = messages.filter((message) => message.method === 'notifications/progress');
      expect(progress.map((message) => message.params?.progress)).toEqual([1, 2, 3]);
      const responses = messages.filter((message) => message.id !== undefined);
      expect(responses.map((message) => message.id).sort()).toEqual(['e', 'p', 's']);
      // The slow call's response comes after its last progress notification.
      const slowAt = messages.findIndex((message) => message.id === 's');
      expect(slowAt).toBeGreaterThan(messages.lastIndexOf(progress[2] as Wire));
      expect(textOf(messages[slowAt])).toBe('done after 3 steps');
    });

    it('takes a batch of responses to server requests with 202 and hands each to its waiting handler', async () => {
      const { send } = await start(form);
      const headers = await open(send, version, { roots: {} });
      // The tool's call streams: its roots/list request comes on the call's SSE stream.
      const callResponse = await send(call('c', 'count_roots', {}), headers);
      expect(callResponse.headers.get('content-type')).toBe('text/event-stream');
      const reader = callResponse.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      const decoder = new TextDecoder();
      let text = '';
      let rootsRequest: Wire | undefined;
      while (rootsRequest === undefined) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended before the roots/list request');
        text += decoder.decode(value, { stream: true });
        const line = text.split('\n').find((candidate) => candidate.includes('"roots/list"'));
        if (line !== undefined) rootsRequest = JSON.parse(line.slice('data: '.length)) as Wire;
      }
      const answers = [
        {
          jsonrpc: '2.0',
          id: rootsRequest.id,
          result: { roots: [{ uri: 'file:///a' }, { uri: 'file:///b' }] },
        },
        // An answer to nothing we asked is ignored, as a lone one would be.
        { jsonrpc: '2.0', id: 'never-asked', result: {} },
      ];
      const accepted = await send(answers, headers);
      expect(accepted.status).toBe(202);
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += decoder.decode(value, { stream: true });
      }
      const result = rest
        .split('\n')
        .filter((line) => line.startsWith('data: {'))
        .map((line) => JSON.parse(line.slice(6)) as Wire)
        .find((message) => message.id === 'c');
      expect(textOf(result)).toBe('roots: 2');
    });
  });
});
