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

/** A request through `node:http`, which lets a test send any `Host`. */
function rawRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
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
    req.end();
  });
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
      expect(response.status).toBe(404);
      expect(runtime.size).toBe(0);
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
    it('refuses a POST whose Accept lacks text/event-stream', async () => {
      const { url } = await start();
      const response = await post(url, initializeBody, { accept: 'application/json' });
      expect(response.status).toBe(406);
    });

    it('refuses a GET whose Accept lacks text/event-stream', async () => {
      const { url } = await start();
      const sessionId = await initialize(url);
      const response = await fetch(url, {
        headers: { accept: 'application/json', 'mcp-session-id': sessionId },
      });
      expect(response.status).toBe(406);
    });
  });

  it('409: refuses a second standalone GET stream of one session', async () => {
    const { url } = await start();
    const sessionId = await initialize(url);
    const headers = { accept: 'text/event-stream', 'mcp-session-id': sessionId };
    const first = await fetch(url, { headers });
    const second = await fetch(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    expect(second.status).toBe(409);
    await first.body?.cancel();
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

  it('415: refuses a body that is not application/json', async () => {
    const { url } = await start();
    const response = await post(url, initializeBody, { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
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
