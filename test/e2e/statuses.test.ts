/**
 * Every status the Streamable HTTP transport answers with, driven by raw `fetch` (and `node:http`
 * where `fetch` cannot set a header), against both forms of the handler: the Node one and the
 * Web-standard one under Hono. One table of behaviour, two servers.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineTool } from '../../src/index.js';
import type { ServerKind, TestServer, TestServerOptions } from './servers.js';
import { initialize, initializeBody, jsonOf, post, startServer } from './servers.js';

const kinds: readonly ServerKind[] = ['node', 'hono'];

/**
 * A request through `node:http`, which lets a test send any `Host`, and no `Accept` at all (`fetch`
 * adds `Accept: *\/*` when none is given).
 */
function rawRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The JSON-RPC messages of an SSE body, in order. */
function sseMessages(text: string): { id?: unknown; result?: unknown; error?: unknown }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.includes('data: {'))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)));
}

describe.each(kinds)('Streamable HTTP statuses (%s handler)', (kind) => {
  let server: TestServer | undefined;
  const start = async (options: TestServerOptions = {}) => {
    server = await startServer(kind, options);
    return server;
  };
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const version = { 'mcp-protocol-version': '2025-11-25' };
  const toolsList = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

  describe('200', () => {
    it('answers initialize with JSON and a fresh, random Mcp-Session-Id', async () => {
      const { url, runtime } = await start();
      const first = await post(url, initializeBody);
      const second = await post(url, initializeBody);
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('application/json');
      const body = await jsonOf(first);
      expect(body).toMatchObject({ jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-11-25' } });
      const ids = [first.headers.get('mcp-session-id'), second.headers.get('mcp-session-id')];
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(ids[0]).not.toBe(ids[1]);
      expect(runtime.size).toBe(2);
      await second.body?.cancel();
    });

    it('answers a request that sends no notification with plain JSON', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(
        url,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } },
        { 'mcp-session-id': sessionId, ...version },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await jsonOf(response)).toMatchObject({ id: 1, result: { structuredContent: { sum: 5 } } });
    });

    it('answers a request that reports progress with an SSE stream: progress events, then the response', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const call = {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'slow', arguments: { steps: 2, delayMs: 1 }, _meta: { progressToken: 'p' } },
      };
      const response = await post(url, call, { 'mcp-session-id': sessionId });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const frames = (await response.text()).split('\n\n').filter((frame) => frame !== '');
      // A priming event first (an id, a retry hint, no data), so the stream can be resumed (SEP-1699).
      expect(frames[0]).toMatch(/^id: \S+_0\nretry: \d+\ndata: $/);
      const events = frames.slice(1).map((frame) => {
        expect(frame).toMatch(/^id: \S+_\d+\nevent: message\ndata: /);
        return JSON.parse(frame.split('data: ')[1] as string);
      });
      expect(events.map((event) => event.method ?? `response ${event.id}`)).toEqual([
        'notifications/progress',
        'notifications/progress',
        'response 7',
      ]);
      expect(events[1].params).toMatchObject({ progressToken: 'p', progress: 2, total: 2 });
    });

    it('answers every POST as SSE when the client accepts text/event-stream but not application/json', async () => {
      const { url } = await start();
      for (const accept of [
        'application/json;q=0, text/event-stream',
        'text/event-stream',
        'TEXT/EVENT-STREAM; charset=utf-8',
        'text/*',
        'application/*;q=0, */*',
        'application/json; charset=iso-8859-1, text/event-stream',
      ]) {
        const opened = await post(url, initializeBody, { accept });
        expect(opened.status, accept).toBe(200);
        expect(opened.headers.get('content-type'), accept).toBe('text/event-stream');
        const sessionId = opened.headers.get('mcp-session-id') as string;
        expect(sessionId, accept).toMatch(/^[0-9a-f]{32}$/);
        expect(sseMessages(await opened.text()), accept).toMatchObject([
          { id: 0, result: { protocolVersion: '2025-11-25' } },
        ]);
        const headers = { accept, 'mcp-session-id': sessionId, ...version };
        const listed = await post(url, toolsList, headers);
        expect(listed.headers.get('content-type'), accept).toBe('text/event-stream');
        expect(sseMessages(await listed.text()), accept).toMatchObject([
          { id: 1, result: { tools: expect.any(Array) } },
        ]);
        // A JSON-RPC error inside a 200 (an unknown tool: a protocol error) travels the same way.
        const call = {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'no-such-tool', arguments: {} },
        };
        const invalid = await post(url, call, headers);
        expect([invalid.status, invalid.headers.get('content-type')], accept).toEqual([
          200,
          'text/event-stream',
        ]);
        expect(sseMessages(await invalid.text()), accept).toMatchObject([{ id: 2, error: { code: -32602 } }]);
        // An error with a status of its own keeps it, as JSON (RFC 9110 §12.5.1 lets Accept be disregarded).
        const unknown = await post(url, toolsList, { ...headers, 'mcp-session-id': 'no-such-session' });
        expect([unknown.status, unknown.headers.get('content-type')], accept).toEqual([
          404,
          'application/json',
        ]);
        await unknown.body?.cancel();
      }
    });

    it('answers with JSON when the client accepts both types, by name or by wildcard', async () => {
      const { url } = await start();
      for (const accept of [
        'application/json, text/event-stream',
        '*/*',
        'application/*, text/*',
        'Application/JSON;q=0.5, text/event-stream;q=1',
      ]) {
        const response = await post(url, initializeBody, { accept });
        expect([response.status, response.headers.get('content-type')], accept).toEqual([
          200,
          'application/json',
        ]);
        await response.body?.cancel();
      }
    });

    it('opens a second GET of a session beside the first (no 409); each message goes out on one stream, the newest', async () => {
      const { url, runtime } = await start({ http: { maxStreamsPerSession: 2, keepAliveMs: false } });
      const sessionId = await initialize(url);
      const headers = { accept: 'text/event-stream', 'mcp-session-id': sessionId };
      const first = await fetch(url, { headers });
      const second = await fetch(url, { headers });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.headers.get('content-type')).toBe('text/event-stream');
      expect(runtime.notify(sessionId, { method: 'notifications/tools/list_changed' })).toBe(true);
      const reader = (second.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('tools/list_changed');
      // A third GET finds the session's budget full: the oldest stream gives way, having carried nothing.
      const third = await fetch(url, { headers });
      expect(third.status).toBe(200);
      expect(await first.text()).toBe('');
      await reader.cancel();
      await third.body?.cancel();
    });

    it('ends the POST of a request cancelled before any notification with an empty SSE stream (no response may be sent)', async () => {
      const { url, runtime } = await start();
      const sessionId = await initialize(url);
      const headers = { 'mcp-session-id': sessionId };
      const call = post(
        url,
        {
          jsonrpc: '2.0',
          id: 5,
          method: 'tools/call',
          params: { name: 'slow', arguments: { delayMs: 60_000 } },
        },
        headers,
      );
      await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
      const cancel = await post(
        url,
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'test' } },
        headers,
      );
      expect(cancel.status).toBe(202);
      const response = await call;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      expect(await response.text()).toBe('');
      expect(runtime.metrics().cancelled).toBe(1);
    });

    it('answers DELETE of a live session with 200 and stops the session', async () => {
      const { url, runtime } = await start();
      const sessionId = await initialize(url);
      const response = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
      expect(response.status).toBe(200);
      expect(runtime.info(sessionId)).toBeUndefined();
    });

    it('answers invalid tool arguments with an isError result inside a 200 (MCP 2025-11-25, SEP-1303)', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(
        url,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: '1', b: 2 } } },
        { 'mcp-session-id': sessionId },
      );
      expect(response.status).toBe(200);
      const answer = (await jsonOf(response)) as { result?: { isError?: boolean; content?: unknown } };
      expect(answer.result?.isError).toBe(true);
      expect(JSON.stringify(answer.result?.content)).toContain('a: Invalid input: expected number');
    });

    it('answers a tool that throws with a generic isError result inside a 200, never echoing its message', async () => {
      const explode = defineTool({
        name: 'explode',
        inputSchema: z.object({}),
        handler: () => {
          throw new Error('secret: /etc/db-password');
        },
      });
      const { url } = await start({ runtime: { tools: [explode] } });
      const sessionId = await initialize(url);
      const response = await post(
        url,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'explode', arguments: {} } },
        { 'mcp-session-id': sessionId },
      );
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(JSON.parse(text).result).toMatchObject({ isError: true, content: [{ type: 'text' }] });
      expect(text).not.toContain('secret');
    });
  });

  describe('202', () => {
    it('accepts a notification with 202 and no body', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(
        url,
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { 'mcp-session-id': sessionId },
      );
      expect(response.status).toBe(202);
      expect(await response.text()).toBe('');
    });

    it("accepts a client's JSON-RPC response with 202 and no body", async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(
        url,
        { jsonrpc: '2.0', id: 'srv-1', result: {} },
        { 'mcp-session-id': sessionId },
      );
      expect(response.status).toBe(202);
      expect(await response.text()).toBe('');
    });
  });

  describe('400', () => {
    it('refuses a request without Mcp-Session-Id', async () => {
      const { url } = await start();
      const response = await post(url, toolsList);
      expect(response.status).toBe(400);
      expect(await jsonOf(response)).toMatchObject({
        id: null,
        error: { message: expect.stringMatching(/Mcp-Session-Id/) },
      });
    });

    it('refuses GET and DELETE without Mcp-Session-Id', async () => {
      const { url } = await start();
      const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
      const del = await fetch(url, { method: 'DELETE' });
      expect([get.status, del.status]).toEqual([400, 400]);
    });

    it('refuses an unsupported MCP-Protocol-Version and lists the supported ones', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(url, toolsList, {
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '1999-01-01',
      });
      expect(response.status).toBe(400);
      const body = await jsonOf(response);
      expect(body.error?.data?.supported).toContain('2025-11-25');
    });

    it('assumes 2025-03-26 when MCP-Protocol-Version is absent (the request is served)', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(url, toolsList, { 'mcp-session-id': sessionId });
      expect(response.status).toBe(200);
      expect((await jsonOf(response)).result?.tools?.map((tool: { name: string }) => tool.name)).toEqual([
        'echo',
        'add',
        'slow',
        'counter',
      ]);
    });

    it('answers a body that is not JSON with -32700', async () => {
      const { url } = await start();
      const response = await post(url, '{"jsonrpc": "2.0", ');
      expect(response.status).toBe(400);
      expect((await jsonOf(response)).error?.code).toBe(-32700);
    });

    it('answers JSON that is not a JSON-RPC message with -32600', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(url, { hello: 'world' }, { 'mcp-session-id': sessionId });
      expect(response.status).toBe(400);
      expect((await jsonOf(response)).error?.code).toBe(-32600);
    });

    it('answers a second initialize on a live session with -32600', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await post(url, initializeBody, { 'mcp-session-id': sessionId });
      expect(response.status).toBe(400);
      expect((await jsonOf(response)).error?.code).toBe(-32600);
    });
  });

  describe('403', () => {
    it('refuses a browser Origin that is not on the allow-list (DNS rebinding)', async () => {
      const { url } = await start();
      const response = await post(url, initializeBody, { origin: 'https://evil.example' });
      expect(response.status).toBe(403);
      expect((await jsonOf(response)).error?.message).toMatch(/Origin/);
    });

    it('accepts localhost origins on any port by default, and configured ones', async () => {
      const { url } = await start({ http: { allowedOrigins: ['localhost', 'https://app.example.com'] } });
      const local = await post(url, initializeBody, { origin: 'http://localhost:5173' });
      const app = await post(url, initializeBody, { origin: 'https://app.example.com' });
      const other = await post(url, initializeBody, { origin: 'https://other.example.com' });
      expect([local.status, app.status, other.status]).toEqual([200, 200, 403]);
    });

    it('refuses a Host that is not on the allow-list', async () => {
      const { url } = await start();
      const bad = await rawRequest(url, 'DELETE', { host: 'evil.example:80', 'mcp-session-id': 'x' });
      const good = await rawRequest(url, 'DELETE', { host: `localhost:${url.port}`, 'mcp-session-id': 'x' });
      expect(bad.status).toBe(403);
      expect(JSON.parse(bad.body).error?.message).toMatch(/Host/);
      expect(good.status).toBe(404);
    });
  });

  describe('404', () => {
    it('answers requests and notifications of an unknown session with 404 and a JSON-RPC error', async () => {
      const { url } = await start();
      const headers = { 'mcp-session-id': 'no-such-session' };
      const request = await post(url, toolsList, headers);
      const notification = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
      expect([request.status, notification.status]).toEqual([404, 404]);
      expect(await jsonOf(request)).toMatchObject({ id: 1, error: { code: -32001 } });
      expect(await jsonOf(notification)).toMatchObject({ id: null, error: { code: -32001 } });
    });

    it('answers GET and DELETE of an unknown session with 404', async () => {
      const { url } = await start();
      const headers = { 'mcp-session-id': 'no-such-session' };
      const get = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } });
      const del = await fetch(url, { method: 'DELETE', headers });
      expect([get.status, del.status]).toEqual([404, 404]);
    });

    it('never creates a session under an id the client chose', async () => {
      const { url, runtime } = await start();
      const response = await post(url, initializeBody, { 'mcp-session-id': 'chosen-by-client' });
      // A fresh session for an initialize with an unknown id, under a minted id.
      expect(response.status).toBe(200);
      expect(response.headers.get('mcp-session-id')).not.toBe('chosen-by-client');
      expect(runtime.has('chosen-by-client')).toBe(false);
      expect(runtime.size).toBe(1);
    });

    it('answers 404 after DELETE', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
      const response = await post(url, toolsList, { 'mcp-session-id': sessionId });
      expect(response.status).toBe(404);
    });
  });

  it('405: refuses other methods and says which are allowed', async () => {
    const { url } = await start();
    const response = await fetch(url, { method: 'PUT', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST, DELETE');
  });

  describe('406', () => {
    const notAcceptable = [
      'application/json',
      'application/json;q=1, text/event-stream;q=0',
      'text/event-stream;q=0, */*',
      'application/json, text/*;q=0',
      '*/*;q=0',
      'application/json, text/event-stream;charset=latin1',
      'text/event-streams, application/jsonx',
      'text/html',
      '',
    ];

    it('refuses a POST whose Accept does not make text/event-stream acceptable, and creates nothing', async () => {
      const { url, runtime } = await start();
      for (const accept of notAcceptable) {
        const response = await post(url, initializeBody, { accept });
        expect(response.status, accept).toBe(406);
        expect((await jsonOf(response)).error?.data?.reason, accept).toBe('not_acceptable');
      }
      expect(runtime.size).toBe(0);
    });

    it('refuses a POST without Accept (MCP requires both types to be listed; the official SDK answers 406)', async () => {
      const { url } = await start();
      const response = await rawRequest(
        url,
        'POST',
        { host: url.host, 'content-type': 'application/json' },
        JSON.stringify(initializeBody),
      );
      expect(response.status).toBe(406);
    });

    it('refuses a GET whose Accept does not make text/event-stream acceptable, or is missing', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      for (const accept of notAcceptable) {
        const response = await fetch(url, { headers: { accept, 'mcp-session-id': sessionId } });
        expect(response.status, accept).toBe(406);
        await response.body?.cancel();
      }
      const missing = await rawRequest(url, 'GET', { host: url.host, 'mcp-session-id': sessionId });
      expect(missing.status).toBe(406);
    });

    it('opens the GET stream for wildcards and any case', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      for (const accept of [
        '*/*',
        'text/*',
        'Text/Event-Stream',
        'application/json;q=0.1, text/event-stream; charset=utf-8',
      ]) {
        const response = await fetch(url, { headers: { accept, 'mcp-session-id': sessionId } });
        expect([response.status, response.headers.get('content-type')], accept).toEqual([
          200,
          'text/event-stream',
        ]);
        await response.body?.cancel();
      }
    });
  });

  describe('413', () => {
    it('refuses a body over maxBodyBytes', async () => {
      const { url } = await start({ http: { maxBodyBytes: 1_024 } });
      const padded = { ...initializeBody, params: { ...initializeBody.params, pad: 'x'.repeat(2_000) } };
      const response = await post(url, padded);
      expect(response.status).toBe(413);
    });

    it('refuses a body over the default 4 MiB, and serves the next request on the same server', async () => {
      const { url } = await start();
      const response = await post(url, `"${'x'.repeat(4 * 1024 * 1024)}"`);
      expect(response.status).toBe(413);
      expect(await initialize(url)).toBeTypeOf('string');
    });
  });

  describe('415', () => {
    it('refuses a body that is not application/json, a look-alike, or JSON in another charset', async () => {
      const { url, runtime } = await start();
      for (const contentType of [
        'text/plain',
        'application/jsonx',
        'application/json-patch+json',
        'text/json',
        'application/json, text/plain',
        'application/json; charset=utf-16',
        'application/x-www-form-urlencoded',
      ]) {
        const response = await post(url, initializeBody, { 'content-type': contentType });
        expect(response.status, contentType).toBe(415);
        expect((await jsonOf(response)).error?.data?.reason, contentType).toBe('unsupported_media_type');
      }
      expect(runtime.size).toBe(0);
    });

    it('takes application/json in any case, with a UTF-8 charset or other parameters', async () => {
      const { url } = await start();
      for (const contentType of [
        'application/json; charset=utf-8',
        'Application/JSON;Charset="UTF-8"',
        'application/json ; foo=bar',
      ]) {
        const response = await post(url, initializeBody, { 'content-type': contentType });
        expect(response.status, contentType).toBe(200);
        await response.body?.cancel();
      }
    });
  });

  it('429: refuses a GET past maxStreamsPerSession while request streams hold the slots, and gives them back', async () => {
    // keepAliveMs: a call still running after 20 ms answers as a stream, and holds a slot.
    const { url, runtime } = await start({ http: { maxStreamsPerSession: 1, keepAliveMs: 20 } });
    const sessionId = await initialize(url);
    const call = post(
      url,
      {
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'slow', arguments: { steps: 1, delayMs: 60_000 } },
      },
      { 'mcp-session-id': sessionId },
    );
    const streaming = await call;
    expect(streaming.headers.get('content-type')).toBe('text/event-stream');
    const refused = await fetch(url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await jsonOf(refused)).error?.data?.reason).toBe('too_many_streams');
    await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5 } },
      { 'mcp-session-id': sessionId },
    );
    expect(await streaming.text()).not.toContain('"id":5');
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(0));
    const opened = await fetch(url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(opened.status).toBe(200);
    await opened.body?.cancel();
  });

  it('429: answers mailbox_full with Retry-After when a session has too much queued', async () => {
    const { url, runtime } = await start({ runtime: { mailboxCapacity: 1, retryAfterSeconds: 2 } });
    const sessionId = await initialize(url);
    const headers = { 'mcp-session-id': sessionId };
    const slowCall = (id: number) =>
      post(
        url,
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'slow', arguments: { delayMs: 60_000 } },
        },
        headers,
      );
    const running = slowCall(1);
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
    const queued = slowCall(2);
    await vi.waitFor(() => expect(runtime.metrics().queued).toBe(1));
    const refused = await slowCall(3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect((await jsonOf(refused)).error?.data?.reason).toBe('mailbox_full');
    runtime.remove(sessionId);
    // The cancelled calls are answered too: nothing hangs.
    expect((await running).status).toBe(404);
    expect((await queued).status).toBe(404);
  });

  it('500: hides an internal failure behind "Internal error" and reports it to onError', async () => {
    const onError = vi.fn();
    const { url } = await start({ http: { generateSessionId: () => 'has spaces', onError } });
    const response = await post(url, initializeBody);
    expect(response.status).toBe(500);
    expect(await jsonOf(response)).toMatchObject({ error: { code: -32603, message: 'Internal error' } });
    expect(onError).toHaveBeenCalledWith(expect.any(TypeError));
  });

  describe('503', () => {
    it('answers overloaded with Retry-After when maxSessions is reached', async () => {
      const { url } = await start({ runtime: { maxSessions: 1 } });
      await initialize(url);
      const response = await post(url, initializeBody);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.headers.get('mcp-session-id')).toBeNull();
      expect((await jsonOf(response)).error?.data?.reason).toBe('overloaded');
    });

    it('answers shutting_down with Retry-After once the runtime is closing', async () => {
      const { url, runtime } = await start();
      await runtime.close();
      const response = await post(url, initializeBody);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect((await jsonOf(response)).error?.data?.reason).toBe('shutting_down');
    });
  });
});
