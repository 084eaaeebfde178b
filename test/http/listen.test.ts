/**
 * `subscriptions/listen` (MCP 2026-07-28) over the Web-standard handler, `notifyListChanged` for
 * both eras, and the edges of the sessionless path found in review: refusals counted, notification
 * gates, an unknown resource as -32602, `initialize` claims that stay 2025 handshakes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime, definePrompt, defineResource, defineTool } from '../../src/index.js';
import { deferred } from '../helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

const url = 'http://localhost/mcp';
const SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';
const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

let runtime: SessionRuntime | undefined;
afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

function setUp(options: SessionRuntimeOptions = {}): { runtime: SessionRuntime; mcp: FetchRequestHandler } {
  runtime = createSessionRuntime({
    serverInfo: { name: 'listen-test', version: '1.0.0' },
    tools: [
      defineTool({ name: 'noop', description: 'Nothing', inputSchema: z.object({}), handler: () => 'ok' }),
    ],
    prompts: [definePrompt({ name: 'p', description: 'A prompt', get: () => 'text' })],
    resources: [defineResource({ uri: 'test://a', name: 'A', read: () => 'a' })],
    ...options,
  });
  return { runtime, mcp: createFetchHandler(runtime) };
}

let nextId = 1;

function post(
  mcp: FetchRequestHandler,
  method: string,
  params: Json,
  options: { id?: number | null; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const id = options.id === undefined ? nextId++ : options.id;
  const body = id === null ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id, method, params };
  return mcp(
    new Request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': method,
        ...options.headers,
      },
      body: JSON.stringify(body),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }),
  );
}

/** Reads the SSE messages of a response as they come. */
function reader(response: Response) {
  const stream = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const queue: Json[] = [];
  let done = false;
  return {
    async next(): Promise<Json | undefined> {
      while (queue.length === 0 && !done) {
        const chunk = await stream.read();
        if (chunk.done) {
          done = true;
          break;
        }
        buffered += decoder.decode(chunk.value, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          for (const line of buffered.slice(0, end).split('\n')) {
            if (line.startsWith('data:') && line.length > 5) queue.push(JSON.parse(line.slice(5)) as Json);
          }
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
        }
      }
      return queue.shift();
    },
    cancel: () => stream.cancel(),
  };
}

const listen = (mcp: FetchRequestHandler, notifications: Json, id = nextId++, headers = {}) =>
  post(mcp, 'subscriptions/listen', { _meta: meta, notifications }, { id, headers });

describe('subscriptions/listen', () => {
  it('acknowledges the honoured subset first, then sends only the asked kinds, each tagged with the listen id', async () => {
    const { runtime, mcp } = setUp();
    const response = await listen(mcp, { toolsListChanged: true, resourcesListChanged: false }, 77);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const events = reader(response);
    expect(await events.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION]: 77 } },
    });
    expect(runtime.notifyListChanged('prompts')).toBe(0);
    expect(runtime.notifyListChanged('tools')).toBe(1);
    expect(await events.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { _meta: { [SUBSCRIPTION]: 77 } },
    });
    await events.cancel();
    expect(runtime.size).toBe(0);
  });

  it('delivers resources/updated for the subscribed URIs, and stops when the client closes the stream', async () => {
    const { runtime, mcp } = setUp();
    const events = reader(await listen(mcp, { resourceSubscriptions: ['test://a'] }, 5));
    expect((await events.next())?.params.notifications).toEqual({ resourceSubscriptions: ['test://a'] });
    expect(runtime.notifyResourceUpdated('test://b')).toBe(0);
    expect(runtime.notifyResourceUpdated('test://a')).toBe(1);
    expect(await events.next()).toMatchObject({
      method: 'notifications/resources/updated',
      params: { uri: 'test://a', _meta: { [SUBSCRIPTION]: 5 } },
    });
    await events.cancel();
    // The stream's close ends the listen: nobody is told any more.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(runtime.notifyResourceUpdated('test://a')).toBe(0);
  });

  it('ends every listen with its completion result when the runtime closes', async () => {
    const { runtime, mcp } = setUp();
    const events = reader(await listen(mcp, { promptsListChanged: true }, 9));
    await events.next();
    await runtime.close({ drainMs: 0 });
    expect(await events.next()).toEqual({
      jsonrpc: '2.0',
      id: 9,
      result: {
        resultType: 'complete',
        _meta: {
          [SUBSCRIPTION]: 9,
          'io.modelcontextprotocol/serverInfo': { name: 'listen-test', version: '1.0.0' },
        },
      },
    });
    expect(await events.next()).toBeUndefined();
    // Closed: a new listen is refused.
    const refused = await listen(mcp, { toolsListChanged: true });
    expect(refused.status).toBe(503);
  });

  it('closes at once, after the acknowledgement, when nothing asked can be honoured', async () => {
    const { mcp } = setUp({ prompts: [] });
    const events = reader(await listen(mcp, { promptsListChanged: true }, 3));
    expect((await events.next())?.params.notifications).toEqual({});
    expect((await events.next())?.result.resultType).toBe('complete');
    expect(await events.next()).toBeUndefined();
  });

  it('refuses a malformed filter in-band and more listens than maxSubscriptionsPerPrincipal', async () => {
    const { mcp } = setUp({ maxSubscriptionsPerPrincipal: 2 });
    for (const notifications of [
      undefined,
      'tools',
      { toolsListChanged: 'yes' },
      { resourceSubscriptions: [1] },
    ]) {
      const refused = await post(mcp, 'subscriptions/listen', { _meta: meta, notifications });
      expect(refused.status).toBe(200);
      expect(((await refused.json()) as Json).error.code).toBe(-32602);
    }
    const open = [
      await listen(mcp, { toolsListChanged: true }),
      await listen(mcp, { toolsListChanged: true }),
    ];
    const third = await listen(mcp, { toolsListChanged: true });
    expect(third.status).toBe(503);
    expect(((await third.json()) as Json).error.data.reason).toBe('overloaded');
    for (const response of open) await response.body?.cancel();
  });
});

describe('subscriptions/listen refusals', () => {
  it('counts each in the runtime refusals by the reason its body carries, as any refused request', async () => {
    const { runtime, mcp } = setUp({ maxSubscriptionsPerPrincipal: 1 });
    const malformed = await post(mcp, 'subscriptions/listen', { _meta: meta, notifications: 'tools' });
    expect(((await malformed.json()) as Json).error.data.reason).toBe('invalid_params');
    // taskIds without declaring the tasks extension (SEP-2663): -32021, HTTP 400.
    const undeclared = await listen(mcp, { taskIds: ['task-1'] });
    expect(undeclared.status).toBe(400);
    expect(((await undeclared.json()) as Json).error.data.reason).toBe('missing_required_client_capability');
    const uris = Array.from({ length: 101 }, (_, index) => `test://r/${index}`);
    const tooMany = await listen(mcp, { resourceSubscriptions: uris });
    expect(((await tooMany.json()) as Json).error.data.limit).toBe(100);
    const open = await listen(mcp, { toolsListChanged: true });
    const past = await listen(mcp, { toolsListChanged: true });
    expect(past.status).toBe(503);
    await past.body?.cancel();
    await open.body?.cancel();
    expect(runtime.metrics().rejected).toEqual({
      invalid_params: 2,
      missing_required_client_capability: 1,
      overloaded: 1,
    });
    const closing = runtime.close({ drainMs: 0 });
    const late = await listen(mcp, { toolsListChanged: true });
    expect(late.status).toBe(503);
    await late.body?.cancel();
    await closing;
    expect(runtime.metrics().rejected).toMatchObject({ shutting_down: 1 });
  });
});

describe('notifyListChanged', () => {
  it('reaches a 2025 session through its attached listener as well as the 2026 listens', async () => {
    const { runtime } = setUp();
    await runtime.dispatch('s1', {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    });
    const received: unknown[] = [];
    runtime.attach('s1', (message) => received.push(message));
    expect(runtime.notifyListChanged('resources')).toBe(1);
    expect(received).toEqual([{ jsonrpc: '2.0', method: 'notifications/resources/list_changed' }]);
    expect(() => runtime.notifyListChanged('widgets' as 'tools')).toThrow(TypeError);
  });
});

describe('edges of the sessionless path', () => {
  it('answers an unknown resource with -32602 and data.uri, never -32002', async () => {
    const { mcp } = setUp();
    const response = await post(
      mcp,
      'resources/read',
      { _meta: meta, uri: 'test://nope' },
      { headers: { 'mcp-name': 'test://nope' } },
    );
    expect(response.status).toBe(200);
    const { error } = (await response.json()) as Json;
    expect(error.code).toBe(-32602);
    expect(error.data.uri).toBe('test://nope');
  });

  it('counts refusals at the edge (envelope, headers) like any other refused message', async () => {
    const { runtime, mcp } = setUp();
    const answers = [
      await post(mcp, 'tools/list', {}),
      await post(mcp, 'tools/list', { _meta: meta }, { headers: { 'mcp-protocol-version': '2025-11-25' } }),
      await post(mcp, 'tools/list', { _meta: meta }, { headers: { 'mcp-method': 'prompts/list' } }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    expect(runtime.metrics().rejected).toMatchObject({ invalid_envelope: 1, header_mismatch: 2 });
  });

  it('holds a notification to its version and Mcp-Method before accepting it', async () => {
    const { mcp } = setUp();
    const bad = { ...meta, 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' };
    const unsupported = await post(
      mcp,
      'notifications/x',
      { _meta: bad },
      {
        id: null,
        headers: { 'mcp-protocol-version': 'v999.0.0' },
      },
    );
    expect(unsupported.status).toBe(400);
    expect(((await unsupported.json()) as Json).error).toMatchObject({
      code: -32022,
      data: { requested: 'v999.0.0' },
    });
    const mismatch = await post(
      mcp,
      'notifications/x',
      { _meta: meta },
      { id: null, headers: { 'mcp-method': 'other' } },
    );
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as Json).error.code).toBe(-32020);
    expect((await post(mcp, 'notifications/x', { _meta: meta }, { id: null })).status).toBe(202);
  });

  it('answers a version it does not speak with -32022 before looking at the other headers', async () => {
    const { mcp } = setUp();
    const bad = { ...meta, 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' };
    const response = await post(
      mcp,
      'tools/list',
      { _meta: bad },
      {
        headers: { 'mcp-protocol-version': 'v999.0.0', 'mcp-method': 'wrong' },
      },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error.code).toBe(-32022);
  });

  it('keeps an initialize whose _meta claims a 2025 version, or a broken claim, a 2025 handshake', async () => {
    const { runtime, mcp } = setUp();
    const initialize = (claim: Json, headers: Record<string, string> = {}) =>
      mcp(
        new Request(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-11-25',
              capabilities: {},
              clientInfo: { name: 'c', version: '1' },
              _meta: claim,
            },
          }),
        }),
      );
    const dated = await initialize({ ...meta, 'io.modelcontextprotocol/protocolVersion': '2025-11-25' });
    expect(dated.status).toBe(200);
    expect(dated.headers.get('mcp-session-id')).not.toBeNull();
    const broken = await initialize({ 'io.modelcontextprotocol/protocolVersion': '2026-07-28' });
    expect(broken.status).toBe(200);
    expect(broken.headers.get('mcp-session-id')).not.toBeNull();
    expect(runtime.size).toBe(2);
    // A valid claim of the sessionless revision makes it that revision's removed method.
    const modern = await initialize(meta, {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'initialize',
    });
    expect(modern.status).toBe(404);
    expect(((await modern.json()) as Json).error.code).toBe(-32601);
    expect(runtime.size).toBe(2);
  });

  it('refuses a listen naming a version it does not speak, like any other request', async () => {
    const { mcp } = setUp();
    const bad = { ...meta, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' };
    const response = await post(
      mcp,
      'subscriptions/listen',
      { _meta: bad, notifications: { toolsListChanged: true } },
      { headers: { 'mcp-protocol-version': '2099-01-01' } },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error.code).toBe(-32022);
  });

  it('refuses a listen with more than 100 resource URIs', async () => {
    const { mcp } = setUp();
    const uris = Array.from({ length: 101 }, (_, index) => `test://r/${index}`);
    const response = await listen(mcp, { resourceSubscriptions: uris });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).error).toMatchObject({ code: -32602, data: { limit: 100 } });
    const fine = await listen(mcp, { resourceSubscriptions: uris.slice(0, 100) });
    expect(fine.headers.get('content-type')).toContain('text/event-stream');
    await fine.body?.cancel();
  });

  it('refuses a batch that carries a 2026-07-28 request, whole', async () => {
    const { runtime, mcp } = setUp();
    const response = await mcp(
      new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify([
          { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } },
          { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        ]),
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error.code).toBe(-32600);
    expect(runtime.metrics().rejected).toMatchObject({ invalid_request: 1 });
  });

  it('cancels the handler when a fetch Request is aborted before anything was written', async () => {
    const aborted: unknown[] = [];
    const started = deferred<void>();
    const { mcp } = setUp({
      tools: [
        defineTool({
          name: 'silent',
          description: 'Waits until cancelled',
          inputSchema: z.object({}),
          handler: (_args, ctx) =>
            new Promise((resolve) => {
              started.resolve();
              ctx.signal.addEventListener('abort', () => {
                aborted.push(ctx.signal.reason);
                resolve('cancelled');
              });
            }),
        }),
      ],
    });
    const controller = new AbortController();
    const answer = post(
      mcp,
      'tools/call',
      { _meta: meta, name: 'silent', arguments: {} },
      { headers: { 'mcp-name': 'silent' }, signal: controller.signal },
    );
    await started.promise;
    controller.abort();
    await answer;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborted).toHaveLength(1);
  });
});
