/**
 * MCP 2026-07-28 (sessionless, SEP-2575) over the Web-standard handler: a request carrying its own
 * `_meta` envelope is served without a session and answered with the 2026 statuses, stamps and
 * error codes; 2025 sessions keep working on the same handler at the same time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
} from '../../src/index.js';
import { deferred } from '../helpers.js';

/** Both eras' versions, newest first: what discover and -32022 list. */
const ALL = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

const url = 'http://localhost:3000/mcp';
const V = '2026-07-28';
const SERVER_INFO = { name: 'modern-test-server', version: '2.0.0' };
const K = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

/** What the tools saw, for the assertions. */
let seen: {
  aborted: ReturnType<typeof deferred<string>>;
  hangStarted: ReturnType<typeof deferred<void>>;
  sessions: unknown[];
};

function fixtureRuntime(): SessionRuntime {
  const hello = defineTool({
    name: 'hello',
    description: 'Says hello',
    inputSchema: z.object({ who: z.string().default('world') }),
    handler: ({ who }, ctx) => {
      seen.sessions.push({ sessionId: ctx.sessionId, session: ctx.session });
      return `hello ${who}`;
    },
  });
  const progress = defineTool({
    name: 'progress',
    description: 'Reports three progress steps',
    handler: async (_args, ctx) => {
      for (let step = 1; step <= 3; step++) {
        ctx.progress({ progress: step, total: 3 });
        await sleep(5);
      }
      return 'done';
    },
  });
  const chatty = defineTool({
    name: 'chatty',
    description: 'Logs at debug and error',
    handler: (_args, ctx) => {
      ctx.log('debug', 'a debug line', 'chatty');
      ctx.log('error', { detail: 'an error line' }, 'chatty');
      return 'logged';
    },
  });
  const ask = defineTool({
    name: 'ask',
    description: 'Asks the client for a sampling',
    handler: async (_args, ctx) => {
      const answer = await ctx.request('sampling/createMessage', {
        messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }],
        maxTokens: 10,
      });
      return JSON.stringify(answer);
    },
  });
  const hang = defineTool({
    name: 'hang',
    description: 'Reports progress once, then waits until cancelled',
    handler: async (_args, ctx) => {
      ctx.signal.addEventListener('abort', () => seen.aborted.resolve(String(ctx.signal.reason)), {
        once: true,
      });
      ctx.progress({ progress: 1 });
      seen.hangStarted.resolve();
      await new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
      return 'never';
    },
  });
  const greet = definePrompt({
    name: 'greet',
    description: 'Greets someone',
    arguments: z.object({ name: z.string() }),
    get: ({ name }) => `Hello ${name}`,
  });
  const staticText = defineResource({
    uri: 'test://static-text',
    name: 'Static text',
    mimeType: 'text/plain',
    read: () => 'static content',
  });
  const template = defineResourceTemplate({
    uriTemplate: 'test://template/{id}/data',
    name: 'Template',
    mimeType: 'text/plain',
    read: (_uri, { id }) => `data ${id}`,
  });
  return createSessionRuntime({
    serverInfo: SERVER_INFO,
    tools: [hello, progress, chatty, ask, hang],
    prompts: [greet],
    resources: [staticText],
    resourceTemplates: [template],
  });
}

let runtime: SessionRuntime | undefined;

function setUp(): { runtime: SessionRuntime; handler: FetchRequestHandler } {
  seen = { aborted: deferred<string>(), hangStarted: deferred<void>(), sessions: [] };
  runtime = fixtureRuntime();
  return { runtime, handler: createFetchHandler(runtime) };
}

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    [K.protocolVersion]: V,
    [K.clientCapabilities]: {},
    [K.clientInfo]: { name: 'modern-test-client', version: '1.0.0' },
    ...extra,
  };
}

/** The headers a conformant 2026 client sends for `method`; `overrides` set (or, when undefined, drop) one. */
function headersFor(
  method: string,
  params: Record<string, unknown>,
  overrides: Record<string, string | undefined> = {},
): Headers {
  const headers = new Headers({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
    'mcp-method': method,
  });
  const name = method === 'resources/read' ? params.uri : params.name;
  if (typeof name === 'string' && ['tools/call', 'prompts/get', 'resources/read'].includes(method)) {
    headers.set('mcp-name', name);
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) headers.delete(key);
    else headers.set(key, value);
  }
  return headers;
}

interface Call {
  readonly id?: string | number | undefined;
  readonly params?: Record<string, unknown>;
  readonly headers?: Record<string, string | undefined>;
  readonly signal?: AbortSignal;
}

/** POSTs a 2026 request (or, with `id: undefined` in a notification test, a notification). */
function post(handler: FetchRequestHandler, method: string, call: Call = {}): Promise<Response> {
  const params = call.params ?? { _meta: envelope() };
  const body = { jsonrpc: '2.0', ...('id' in call ? { id: call.id } : { id: 1 }), method, params };
  if ('id' in call && call.id === undefined) delete (body as Json).id;
  return handler(
    new Request(url, {
      method: 'POST',
      headers: headersFor(method, params, call.headers),
      body: JSON.stringify(body),
      ...(call.signal === undefined ? {} : { signal: call.signal }),
    }),
  );
}

/** Every JSON message of an SSE body, in order. */
function sseMessages(text: string): Json[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5).trim()) as Json);
}

/** The messages of an answer: the one JSON body, or every SSE event. */
async function messagesOf(response: Response): Promise<Json[]> {
  const text = await response.text();
  if (response.headers.get('content-type')?.includes('text/event-stream')) return sseMessages(text);
  return [JSON.parse(text) as Json];
}

/** The single JSON-RPC response of an answer (the last SSE event when streamed). */
async function answerOf(response: Response): Promise<Json> {
  const messages = await messagesOf(response);
  return messages[messages.length - 1] as Json;
}

describe('server/discover', () => {
  it('answers the sessionless discover result, stamped, with no session', async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'server/discover', { id: 201 });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const body = await answerOf(response);
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 201 });
    expect(body.result).toEqual({
      supportedVersions: ALL,
      capabilities: expect.objectContaining({
        tools: expect.any(Object),
        prompts: expect.any(Object),
        resources: expect.any(Object),
      }),
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: { [K.serverInfo]: SERVER_INFO },
    });
    expect(body.result.serverInfo).toBeUndefined();
    // Every list served is announced on subscriptions/listen; resource updates come through a
    // listen's resourceSubscriptions.
    expect(body.result.capabilities.tools).toMatchObject({ listChanged: true });
    expect(body.result.capabilities.prompts).toMatchObject({ listChanged: true });
    expect(body.result.capabilities.resources).toMatchObject({ listChanged: true, subscribe: true });
    expect(runtime.size).toBe(0);
  });

  it('takes clientInfo as optional', async () => {
    const { handler } = setUp();
    const { [K.clientInfo]: _info, ...bare } = envelope();
    const response = await post(handler, 'server/discover', { id: 105, params: { _meta: bare } });
    expect(response.status).toBe(200);
    expect(await answerOf(response)).toMatchObject({ id: 105, result: { resultType: 'complete' } });
  });

  it('advertises only methods it serves: tools/list and prompts/list answer results', async () => {
    const { handler } = setUp();
    const discover = await answerOf(await post(handler, 'server/discover'));
    for (const [method, key] of [
      ['tools/list', 'tools'],
      ['prompts/list', 'prompts'],
      ['resources/list', 'resources'],
    ] as const) {
      expect(discover.result.capabilities[key]).toBeDefined();
      const body = await answerOf(await post(handler, method));
      expect(Array.isArray(body.result[key])).toBe(true);
    }
  });
});

describe('results carry resultType, serverInfo and cache hints', () => {
  const listCases: [string, Record<string, unknown>, string][] = [
    ['tools/list', {}, 'tools'],
    ['prompts/list', {}, 'prompts'],
    ['resources/list', {}, 'resources'],
    ['resources/templates/list', {}, 'resourceTemplates'],
    ['resources/read', { uri: 'test://static-text' }, 'contents'],
    ['resources/read', { uri: 'test://template/7/data' }, 'contents'],
  ];

  it.each(listCases)(
    '%s %j: resultType complete, ttlMs 0, cacheScope private, serverInfo',
    async (method, params, key) => {
      const { runtime, handler } = setUp();
      const response = await post(handler, method, {
        id: `m-${method}`,
        params: { ...params, _meta: envelope() },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('mcp-session-id')).toBeNull();
      const body = await answerOf(response);
      expect(body.id).toBe(`m-${method}`);
      expect(body.result).toMatchObject({
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { [K.serverInfo]: SERVER_INFO },
      });
      expect(Array.isArray(body.result[key])).toBe(true);
      expect(runtime.size).toBe(0);
    },
  );

  it('tools/call and prompts/get: resultType and serverInfo, no cache hints', async () => {
    const { runtime, handler } = setUp();
    const call = await answerOf(
      await post(handler, 'tools/call', {
        id: 11,
        params: { name: 'hello', arguments: { who: 'modern' }, _meta: envelope() },
      }),
    );
    expect(call).toMatchObject({
      id: 11,
      result: {
        content: [{ type: 'text', text: 'hello modern' }],
        resultType: 'complete',
        _meta: { [K.serverInfo]: SERVER_INFO },
      },
    });
    expect(call.result.ttlMs).toBeUndefined();
    expect(call.result.cacheScope).toBeUndefined();
    const prompt = await answerOf(
      await post(handler, 'prompts/get', {
        id: 12,
        params: { name: 'greet', arguments: { name: 'Ada' }, _meta: envelope() },
      }),
    );
    expect(prompt).toMatchObject({
      id: 12,
      result: {
        messages: [expect.any(Object)],
        resultType: 'complete',
        _meta: { [K.serverInfo]: SERVER_INFO },
      },
    });
    expect(prompt.result.ttlMs).toBeUndefined();
    expect(runtime.size).toBe(0);
  });

  it("gives the handler a session-free context describing this request's client", async () => {
    const { handler } = setUp();
    await answerOf(
      await post(handler, 'tools/call', {
        params: { name: 'hello', arguments: {}, _meta: envelope({ [K.clientCapabilities]: { roots: {} } }) },
      }),
    );
    expect(seen.sessions).toEqual([
      {
        sessionId: '',
        session: expect.objectContaining({
          sessionId: '',
          protocolVersion: V,
          clientCapabilities: { roots: {} },
          clientInfo: { name: 'modern-test-client', version: '1.0.0' },
        }),
      },
    ]);
  });

  it('an invalid tools/call (unknown tool, bad arguments) stays in-band: 200, the id kept', async () => {
    const { handler } = setUp();
    const unknown = await post(handler, 'tools/call', {
      id: 21,
      params: { name: 'nope', arguments: {}, _meta: envelope() },
    });
    expect(unknown.status).toBe(200);
    expect(await answerOf(unknown)).toMatchObject({ id: 21, error: { code: -32602 } });
    const badArgs = await post(handler, 'tools/call', {
      id: 22,
      params: { name: 'hello', arguments: { who: 5 }, _meta: envelope() },
    });
    expect(badArgs.status).toBe(200);
    expect(await answerOf(badArgs)).toMatchObject({ id: 22 });
  });
});

describe('removed and unknown methods: HTTP 404, -32601, the id kept', () => {
  it.each([
    ['initialize', { protocolVersion: V, capabilities: {}, clientInfo: { name: 'c', version: '1' } }],
    ['ping', {}],
    ['logging/setLevel', { level: 'debug' }],
    ['resources/subscribe', { uri: 'test://static-text' }],
    ['resources/unsubscribe', { uri: 'test://static-text' }],
    ['unknown/method', {}],
    ['tools/unknown', {}],
  ])('%s', async (method, params) => {
    const { runtime, handler } = setUp();
    const response = await post(handler, method, { id: 500, params: { ...params, _meta: envelope() } });
    expect(response.status).toBe(404);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(await answerOf(response)).toMatchObject({ jsonrpc: '2.0', id: 500, error: { code: -32601 } });
    expect(runtime.size).toBe(0);
  });
});

describe('version, envelope and header refusals', () => {
  it.each(['v999.0.0', '2027-01-01'])(
    'an unsupported version (%s, header and claim alike) → 400, -32022, data.supported and data.requested',
    async (version) => {
      const { handler } = setUp();
      const response = await post(handler, 'server/discover', {
        id: 301,
        params: { _meta: envelope({ [K.protocolVersion]: version }) },
        headers: { 'mcp-protocol-version': version },
      });
      expect(response.status).toBe(400);
      const body = await answerOf(response);
      expect(body).toMatchObject({
        id: 301,
        error: { code: -32022, data: { supported: ALL, requested: version } },
      });
    },
  );

  it('an unsupported version is refused on every method, tools/call included, before any handler runs', async () => {
    const { handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 'u',
      params: { name: 'hello', arguments: {}, _meta: envelope({ [K.protocolVersion]: 'v999.0.0' }) },
      headers: { 'mcp-protocol-version': 'v999.0.0' },
    });
    expect(response.status).toBe(400);
    expect(await answerOf(response)).toMatchObject({ id: 'u', error: { code: -32022 } });
    expect(seen.sessions).toEqual([]);
  });

  it('a version header unlike the claim → 400, -32020 (not -32022)', async () => {
    const { handler } = setUp();
    const response = await post(handler, 'server/discover', {
      id: 302,
      params: { _meta: envelope({ [K.protocolVersion]: 'v999.0.0' }) },
    });
    expect(response.status).toBe(400);
    expect(await answerOf(response)).toMatchObject({ id: 302, error: { code: -32020 } });
  });

  const envelopeFaults: [string, Record<string, unknown>][] = [
    ['no _meta', {}],
    ['_meta without protocolVersion', { _meta: { [K.clientCapabilities]: {} } }],
    ['_meta without clientCapabilities', { _meta: { [K.protocolVersion]: V } }],
    ['clientCapabilities not an object', { _meta: envelope({ [K.clientCapabilities]: 'all' }) }],
    ['clientInfo malformed', { _meta: envelope({ [K.clientInfo]: { name: 'x' } }) }],
    ['logLevel not a level', { _meta: envelope({ [K.logLevel]: 'verbose' }) }],
  ];

  it.each(envelopeFaults)('%s → 400, -32602, the id kept, no session', async (_name, params) => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'server/discover', { id: 101, params });
    expect(response.status).toBe(400);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(await answerOf(response)).toMatchObject({ jsonrpc: '2.0', id: 101, error: { code: -32602 } });
    expect(runtime.size).toBe(0);
  });

  it.each<[string, Record<string, string | undefined>]>([
    ['Mcp-Method missing', { 'mcp-method': undefined }],
    ['Mcp-Method naming another method', { 'mcp-method': 'prompts/list' }],
    ['Mcp-Method in another case', { 'mcp-method': 'TOOLS/LIST' }],
    ['MCP-Protocol-Version missing', { 'mcp-protocol-version': undefined }],
  ])('%s → 400, -32020, the id kept', async (_name, headers) => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'tools/list', { id: 'h-1', headers });
    expect(response.status).toBe(400);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(await answerOf(response)).toMatchObject({ id: 'h-1', error: { code: -32020 } });
    expect(runtime.size).toBe(0);
  });

  it('accepts header names in any case and OWS around Mcp-Method', async () => {
    const { handler } = setUp();
    const response = await handler(
      new Request(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'MCP-PROTOCOL-VERSION': V,
          'MCP-METHOD': '  tools/list\t',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: envelope() } }),
      }),
    );
    expect(response.status).toBe(200);
    expect(await answerOf(response)).toMatchObject({ id: 3, result: { tools: expect.any(Array) } });
  });

  it('initialize with a modern header and no claim → 400, -32020, no session', async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'initialize', {
      id: 0,
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(await answerOf(response)).toMatchObject({ id: 0, error: { code: -32020 } });
    expect(runtime.size).toBe(0);
  });
});

describe('notifications', () => {
  it('a notification with a claim → 202, no body, no session', async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'notifications/cancelled', {
      id: undefined,
      params: { requestId: 1, _meta: envelope() },
    });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(runtime.size).toBe(0);
  });

  it('a notification with a modern header and no claim → 202', async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'notifications/cancelled', {
      id: undefined,
      params: { requestId: 1 },
    });
    expect(response.status).toBe(202);
    expect(runtime.size).toBe(0);
  });
});

describe('the request stream', () => {
  it('sends progress as SSE events on the POST, then the result', async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 'p',
      params: { name: 'progress', arguments: {}, _meta: envelope({ progressToken: 'tok' }) },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const messages = await messagesOf(response);
    expect(messages.slice(0, 3)).toEqual(
      [1, 2, 3].map((progress) => ({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress, total: 3 },
      })),
    );
    expect(messages).toHaveLength(4);
    expect(messages[3]).toMatchObject({
      id: 'p',
      result: { content: [{ text: 'done' }], resultType: 'complete', _meta: { [K.serverInfo]: SERVER_INFO } },
    });
    expect(runtime.size).toBe(0);
  });

  it('without a progressToken, progress is dropped and the answer is plain JSON', async () => {
    const { handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 'q',
      params: { name: 'progress', arguments: {}, _meta: envelope() },
    });
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await messagesOf(response)).toEqual([
      expect.objectContaining({ id: 'q', result: expect.any(Object) }),
    ]);
  });

  it('sends no notifications/message when the request carries no logLevel', async () => {
    const { handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 'l0',
      params: { name: 'chatty', arguments: {}, _meta: envelope() },
    });
    const messages = await messagesOf(response);
    expect(messages.filter((message) => message.method === 'notifications/message')).toEqual([]);
    expect(messages).toEqual([expect.objectContaining({ id: 'l0', result: expect.any(Object) })]);
  });

  it.each([
    ['debug', ['debug', 'error']],
    ['warning', ['error']],
    ['emergency', []],
  ])('with logLevel %s, sends the logs at or above it, then the result', async (level, expected) => {
    const { handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 'l1',
      params: { name: 'chatty', arguments: {}, _meta: envelope({ [K.logLevel]: level }) },
    });
    const messages = await messagesOf(response);
    const logs = messages.filter((message) => message.method === 'notifications/message');
    expect(logs.map((log) => log.params.level)).toEqual(expected);
    for (const log of logs) expect(log.params).toMatchObject({ logger: 'chatty', data: expect.anything() });
    expect(messages[messages.length - 1]).toMatchObject({ id: 'l1', result: { resultType: 'complete' } });
  });

  it('a logLevel on one request does not carry over to the next', async () => {
    const { handler } = setUp();
    await messagesOf(
      await post(handler, 'tools/call', {
        params: { name: 'chatty', arguments: {}, _meta: envelope({ [K.logLevel]: 'debug' }) },
      }),
    );
    const next = await messagesOf(
      await post(handler, 'tools/call', { params: { name: 'chatty', arguments: {}, _meta: envelope() } }),
    );
    expect(next.filter((message) => message.method === 'notifications/message')).toEqual([]);
  });

  it('a handler asking for sampling without the capability → 400, -32021, data.requiredCapabilities', async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 401,
      params: { name: 'ask', arguments: {}, _meta: envelope() },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    const body = await answerOf(response);
    expect(body).toMatchObject({ id: 401, error: { code: -32021 } });
    expect(body.error.data.requiredCapabilities).toEqual({ sampling: {} });
    expect(runtime.size).toBe(0);
  });

  it('a capability declared in an earlier request is not remembered', async () => {
    const { handler } = setUp();
    await messagesOf(
      await post(handler, 'tools/call', {
        params: {
          name: 'hello',
          arguments: {},
          _meta: envelope({ [K.clientCapabilities]: { sampling: {} } }),
        },
      }),
    );
    const response = await post(handler, 'tools/call', {
      id: 402,
      params: { name: 'ask', arguments: {}, _meta: envelope() },
    });
    expect(response.status).toBe(400);
    expect(await answerOf(response)).toMatchObject({ id: 402, error: { code: -32021 } });
  });

  it('never sends a server→client request on the stream, even with the capability declared', async () => {
    const { handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 403,
      params: { name: 'ask', arguments: {}, _meta: envelope({ [K.clientCapabilities]: { sampling: {} } }) },
    });
    const messages = await messagesOf(response);
    expect(messages.filter((message) => 'method' in message && 'id' in message)).toEqual([]);
    expect(messages[messages.length - 1]).toMatchObject({ id: 403 });
  });

  it("closing the SSE stream after the first progress event aborts the handler's signal", async () => {
    const { runtime, handler } = setUp();
    const response = await post(handler, 'tools/call', {
      id: 'c',
      params: { name: 'hang', arguments: {}, _meta: envelope({ progressToken: 1 }) },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('notifications/progress')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error('stream ended before the progress event');
      text += decoder.decode(chunk.value);
    }
    await reader.cancel();
    await expect(seen.aborted.promise).resolves.toBeDefined();
    // The cancelled request leaves nothing behind and is counted as cancelled.
    await sleep(10);
    expect(runtime.size).toBe(0);
    expect(runtime.metrics()).toMatchObject({ cancelled: 1, inFlight: 0, queued: 0 });
  });

  it("aborting the fetch Request aborts the handler's signal", async () => {
    const { handler } = setUp();
    const controller = new AbortController();
    const pending = post(handler, 'tools/call', {
      id: 'c2',
      params: { name: 'hang', arguments: {}, _meta: envelope({ progressToken: 1 }) },
      signal: controller.signal,
    });
    await seen.hangStarted.promise;
    const response = await pending;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => undefined);
    await expect(seen.aborted.promise).resolves.toBeDefined();
  });
});

describe('both eras on one handler', () => {
  const legacyHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  async function legacyPost(handler: FetchRequestHandler, body: Json, sessionId?: string): Promise<Response> {
    return handler(
      new Request(url, {
        method: 'POST',
        headers: {
          ...legacyHeaders,
          ...(sessionId === undefined
            ? {}
            : { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }),
        },
        body: JSON.stringify(body),
      }),
    );
  }

  it('serves a 2025 session and modern requests interleaved, sharing nothing', async () => {
    const { runtime, handler } = setUp();
    const init = await legacyPost(handler, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id') as string;
    expect(sessionId).toBeTruthy();
    const initResult = await answerOf(init);
    expect(initResult.result.protocolVersion).toBe('2025-11-25');
    expect(initResult.result.resultType).toBeUndefined();

    const modernDiscover = await post(handler, 'server/discover', { id: 'm1' });
    expect(modernDiscover.headers.get('mcp-session-id')).toBeNull();
    expect((await answerOf(modernDiscover)).result.supportedVersions).toEqual(ALL);

    expect(
      (await legacyPost(handler, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId)).status,
    ).toBe(202);

    const [legacyCall, modernCall, legacyPing] = await Promise.all([
      legacyPost(
        handler,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hello', arguments: { who: 'old' } } },
        sessionId,
      ),
      post(handler, 'tools/call', {
        id: 1,
        params: { name: 'hello', arguments: { who: 'new' }, _meta: envelope() },
      }),
      legacyPost(handler, { jsonrpc: '2.0', id: 2, method: 'ping' }, sessionId),
    ]);
    const legacyBody = await answerOf(legacyCall);
    expect(legacyBody).toMatchObject({ id: 1, result: { content: [{ text: 'hello old' }] } });
    // 2025 results are not stamped.
    expect(legacyBody.result.resultType).toBeUndefined();
    expect(legacyBody.result._meta?.[K.serverInfo]).toBeUndefined();
    expect(await answerOf(modernCall)).toMatchObject({
      id: 1,
      result: { content: [{ text: 'hello new' }], resultType: 'complete' },
    });
    expect(modernCall.headers.get('mcp-session-id')).toBeNull();
    expect(legacyPing.status).toBe(200);
    expect(await answerOf(legacyPing)).toMatchObject({ id: 2, result: {} });

    // ping is removed only for the modern era.
    const modernPing = await post(handler, 'ping', { id: 3 });
    expect(modernPing.status).toBe(404);
    expect(runtime.size).toBe(1);
    expect(runtime.has(sessionId)).toBe(true);
    // The modern request ran without the session: the handler saw no session id.
    expect(seen.sessions.map((entry) => (entry as { sessionId: string }).sessionId)).toEqual(
      expect.arrayContaining([sessionId, '']),
    );
  });

  it('a 2025 request without _meta but with a session is still served by the session', async () => {
    const { handler } = setUp();
    const init = await legacyPost(handler, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id') as string;
    await legacyPost(handler, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId);
    const list = await legacyPost(handler, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, sessionId);
    expect(list.status).toBe(200);
    const body = await answerOf(list);
    expect(body.result.tools.map((tool: Json) => tool.name)).toContain('hello');
    expect(body.result.ttlMs).toBeUndefined();
  });
});

describe('metrics', () => {
  it('count modern requests as accepted and completed, and version and method refusals as rejected', async () => {
    const { runtime, handler } = setUp();
    const before = runtime.metrics();
    await answerOf(
      await post(handler, 'tools/call', { params: { name: 'hello', arguments: {}, _meta: envelope() } }),
    );
    await answerOf(await post(handler, 'tools/list'));
    let after = runtime.metrics();
    expect(after.accepted - before.accepted).toBe(2);
    expect(after.completed - before.completed).toBe(2);
    expect(after.sessions).toBe(0);
    expect(after.sessionsStarted).toBe(0);

    await answerOf(
      await post(handler, 'server/discover', {
        params: { _meta: envelope({ [K.protocolVersion]: 'v999.0.0' }) },
        headers: { 'mcp-protocol-version': 'v999.0.0' },
      }),
    );
    await answerOf(await post(handler, 'ping'));
    await answerOf(await post(handler, 'unknown/method'));
    after = runtime.metrics();
    expect(after.rejected.unsupported_version).toBe(1);
    expect(after.rejected.method_not_found).toBe(2);
    expect(after).toMatchObject({ queued: 0, inFlight: 0 });
  });

  it('count a handler failing for a missing capability as failed', async () => {
    const { runtime, handler } = setUp();
    await answerOf(
      await post(handler, 'tools/call', { params: { name: 'ask', arguments: {}, _meta: envelope() } }),
    );
    expect(runtime.metrics()).toMatchObject({ accepted: 1, failed: 1, completed: 0 });
  });
});

describe('sessions and the modern era', () => {
  it('ignores an Mcp-Session-Id on a modern request, known or unknown', async () => {
    const { runtime, handler } = setUp();
    const init = await handler(
      new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'old', version: '1' },
          },
        }),
      }),
    );
    const sessionId = init.headers.get('mcp-session-id') as string;
    for (const claimed of [sessionId, 'no-such-session']) {
      const response = await post(handler, 'tools/call', {
        id: claimed,
        params: { name: 'hello', arguments: {}, _meta: envelope() },
        headers: { 'mcp-session-id': claimed },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('mcp-session-id')).toBeNull();
      expect(await answerOf(response)).toMatchObject({ id: claimed, result: { resultType: 'complete' } });
    }
    expect(seen.sessions.map((entry) => (entry as { sessionId: string }).sessionId)).toEqual(['', '']);
    expect(runtime.size).toBe(1);
  });

  it('answers 503 shutting_down, the id kept, once the runtime is closing', async () => {
    const { runtime, handler } = setUp();
    const closing = runtime.close({ drainMs: 0 });
    const response = await post(handler, 'tools/list', { id: 'late' });
    expect(response.status).toBe(503);
    expect(await answerOf(response)).toMatchObject({
      id: 'late',
      error: { data: { reason: 'shutting_down' } },
    });
    await closing;
  });

  it('answers a request it accepted and the drain cut off with 200 and shutting_down in the body', async () => {
    const { runtime, handler } = setUp();
    const running = post(handler, 'tools/call', {
      id: 'cut',
      params: { name: 'hang', arguments: {}, _meta: envelope() },
    });
    await seen.hangStarted.promise;
    const closing = runtime.close({ drainMs: 0 });
    const response = await running;
    // Accepted, then cancelled: a JSON-RPC error inside a successful exchange, not a refusal.
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({
      id: 'cut',
      error: { code: -32013, data: { reason: 'shutting_down', retryAfterSeconds: 1 } },
    });
    await closing;
  });
});

describe('keep-alive', () => {
  it('opens the SSE stream after keepAliveMs of silence, with keep-alive comments, then the result', async () => {
    seen = { aborted: deferred<string>(), hangStarted: deferred<void>(), sessions: [] };
    runtime = createSessionRuntime({
      serverInfo: SERVER_INFO,
      tools: [
        defineTool({
          name: 'slow',
          description: 'Answers after 80 ms',
          handler: async () => {
            await sleep(80);
            return 'late';
          },
        }),
      ],
    });
    const handler = createFetchHandler(runtime, { keepAliveMs: 20 });
    const response = await post(handler, 'tools/call', {
      id: 'k',
      params: { name: 'slow', arguments: {}, _meta: envelope() },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text).toMatch(/^: /m);
    expect(sseMessages(text)).toEqual([
      expect.objectContaining({ id: 'k', result: expect.objectContaining({ resultType: 'complete' }) }),
    ]);
  });

  it('answers a quick request as plain JSON when keep-alive is off', async () => {
    seen = { aborted: deferred<string>(), hangStarted: deferred<void>(), sessions: [] };
    runtime = fixtureRuntime();
    const handler = createFetchHandler(runtime, { keepAliveMs: false });
    const response = await post(handler, 'tools/list', { id: 'j' });
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toMatchObject({ id: 'j', result: { resultType: 'complete' } });
  });
});
