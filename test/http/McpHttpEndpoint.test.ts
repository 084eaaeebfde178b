/**
 * Branches of the Streamable HTTP endpoint that the status and security suites pass through without
 * looking: the headers of its fixed answers, CORS edge cases, the authenticate hook's contract, the
 * session-id generator's contract, and that no session is created by an id the client chose.
 * In process through the Web-standard form; through `node:http` where a second answer to the same
 * exchange would show.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { AuthenticationError, createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';

const url = 'http://localhost:3000/mcp';
const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e', version: '1' } },
});

let runtime: SessionRuntime | undefined;
let server: Server | undefined;

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

function setUp(options: StreamableHttpOptions = {}, runtimeOptions: SessionRuntimeOptions = {}) {
  const errors: unknown[] = [];
  runtime = createSessionRuntime(runtimeOptions);
  const handler = createFetchHandler(runtime, { onError: (error) => errors.push(error), ...options });
  return { runtime, handler, errors };
}

const post = (body: string, headers: Record<string, string> = {}) =>
  new Request(url, { method: 'POST', headers: { ...postHeaders, ...headers }, body });

describe('the fixed answers', () => {
  it('serves protected-resource metadata as cacheable JSON, to GET only', async () => {
    const { handler } = setUp({
      authenticate: () => undefined,
      protectedResource: { resource: url, authorizationServers: ['https://issuer.example'] },
    });
    const metadataUrl = 'http://localhost:3000/.well-known/oauth-protected-resource/mcp';
    const metadata = await handler(new Request(metadataUrl));
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get('content-type')).toBe('application/json');
    expect(metadata.headers.get('cache-control')).toBe('max-age=3600');
    await metadata.body?.cancel();
    const posted = await handler(
      new Request(metadataUrl, { method: 'POST', headers: postHeaders, body: '{}' }),
    );
    expect(posted.status).toBe(401);
    await posted.body?.cancel();
  });

  it('marks an SSE answer no-cache, and a plain error answer has no Retry-After', async () => {
    const { handler, runtime } = setUp();
    const initialized = await handler(post(initializeBody));
    expect(initialized.headers.get('retry-after')).toBeNull();
    const sessionId = initialized.headers.get('mcp-session-id') as string;
    const get = await handler(
      new Request(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId } }),
    );
    expect(get.headers.get('content-type')).toBe('text/event-stream');
    expect(get.headers.get('cache-control')).toBe('no-cache');
    await get.body?.cancel();
    const unknownMethod = await handler(
      post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'no/such' }), { 'mcp-session-id': sessionId }),
    );
    expect(unknownMethod.headers.get('retry-after')).toBeNull();
    expect(runtime.size).toBe(1);
    await unknownMethod.body?.cancel();
  });

  it('answers bodies that are JSON but not objects as invalid requests, not as server errors', async () => {
    const { handler, errors } = setUp();
    const sessionId = (await handler(post(initializeBody))).headers.get('mcp-session-id') as string;
    for (const body of ['5', 'null', '"text"', 'true']) {
      const answer = await handler(post(body, { 'mcp-session-id': sessionId }));
      expect(answer.status, body).toBe(400);
      expect(await answer.json()).toMatchObject({ error: { code: -32600 } });
    }
    expect(errors).toEqual([]);
  });
});

describe('CORS edge cases', () => {
  const cors = { allowedOrigins: ['https://app.example'] };

  it('answers OPTIONS without an Origin 405, as any other method', async () => {
    const { handler } = setUp({ cors });
    const answer = await handler(new Request(url, { method: 'OPTIONS' }));
    expect(answer.status).toBe(405);
    expect(answer.headers.get('vary')).toBe('origin');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives no CORS answer to an origin allowed for requests but not listed for CORS', async () => {
    const { handler } = setUp({ cors, allowedOrigins: ['https://other.example'] });
    const answer = await handler(
      new Request(url, { method: 'OPTIONS', headers: { origin: 'https://other.example' } }),
    );
    expect(answer.status).toBe(403);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const request = await handler(post(initializeBody, { origin: 'https://other.example' }));
    expect(request.status).toBe(200);
    expect(request.headers.get('access-control-allow-origin')).toBeNull();
    expect(request.headers.get('vary')).toBe('origin');
    await request.body?.cancel();
  });

  it('varies on Origin in a preflight and in an answer to a listed origin', async () => {
    const { handler } = setUp({ cors });
    const preflight = await handler(
      new Request(url, { method: 'OPTIONS', headers: { origin: 'https://app.example' } }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('vary')).toBe('origin');
    const answer = await handler(post(initializeBody, { origin: 'https://app.example' }));
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(answer.headers.get('vary')).toBe('origin');
    await answer.body?.cancel();
  });

  it('adds no Access-Control-Allow-Origin to a request without Origin', async () => {
    const { handler } = setUp({ cors });
    const answer = await handler(post(initializeBody));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('vary')).toBe('origin');
    await answer.body?.cancel();
  });
});

describe('the authenticate hook', () => {
  it('can read any request header', async () => {
    const { handler } = setUp({
      authenticate: (request) => (request.header('x-api-key') === 'k1' ? { id: 'key-holder' } : undefined),
    });
    const answer = await handler(post(initializeBody, { 'x-api-key': 'k1' }));
    expect(answer.status).toBe(200);
    await answer.body?.cancel();
  });

  it('turns an undefined answer to a request with credentials into invalid_token', async () => {
    const { handler } = setUp({ authenticate: () => undefined });
    const bare = await handler(post(initializeBody));
    expect(bare.headers.get('www-authenticate')).toBe('Bearer');
    const withToken = await handler(post(initializeBody, { authorization: 'Bearer abc' }));
    expect(withToken.status).toBe(401);
    expect(withToken.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('reports a hook that throws something other than AuthenticationError as a 500, not a 401', async () => {
    const failure = new Error('database down');
    const { handler, errors } = setUp({
      authenticate: () => {
        throw failure;
      },
    });
    const answer = await handler(post(initializeBody, { authorization: 'Bearer abc' }));
    expect(answer.status).toBe(500);
    expect(errors).toEqual([failure]);
    const refused = setUp({
      authenticate: () => {
        throw new AuthenticationError('invalid_token', 'nope');
      },
    });
    expect((await refused.handler(post(initializeBody, { authorization: 'Bearer abc' }))).status).toBe(401);
  });

  it('refuses, as a server error, a principal that is not an object with a non-empty string id', async () => {
    for (const principal of ['alice', { id: 5 }, { id: '' }, { name: 'alice' }]) {
      const { handler, errors, runtime } = setUp({ authenticate: () => principal as never });
      const answer = await handler(post(initializeBody, { authorization: 'Bearer abc' }));
      expect(answer.status, JSON.stringify(principal)).toBe(500);
      expect(String(errors[0])).toMatch(/non-empty string `id`/);
      expect(runtime.size).toBe(0);
    }
  });
});

describe('sessions the client did not create', () => {
  it('answers an empty Mcp-Session-Id as missing', async () => {
    const { handler } = setUp();
    const answer = await handler(
      post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { 'mcp-session-id': '' }),
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      error: { message: 'Bad Request: Mcp-Session-Id header is required' },
    });
  });

  it('creates no session for a request or notification to an unknown id, even with spawnPolicy any', async () => {
    const { handler, runtime } = setUp({}, { spawnPolicy: 'any' });
    for (const message of [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]) {
      const answer = await handler(post(JSON.stringify(message), { 'mcp-session-id': 'chosen-by-client' }));
      expect(answer.status).toBe(404);
      await answer.body?.cancel();
    }
    expect(runtime.size).toBe(0);
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it('gives each notification the principal of its request', async () => {
    const seen: unknown[] = [];
    const { handler, runtime } = setUp({ authenticate: (request) => ({ id: request.bearerToken ?? '' }) });
    runtime.events.on('sessionStarted', (event) => seen.push(event));
    const sessionId = (await handler(post(initializeBody, { authorization: 'Bearer alice' }))).headers.get(
      'mcp-session-id',
    ) as string;
    // Another principal's notification to alice's session is refused as an unknown session.
    const intruder = await handler(
      post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
        authorization: 'Bearer mallory',
        'mcp-session-id': sessionId,
      }),
    );
    expect(intruder.status).toBe(404);
    await intruder.body?.cancel();
    const owner = await handler(
      post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
        authorization: 'Bearer alice',
        'mcp-session-id': sessionId,
      }),
    );
    expect(owner.status).toBe(202);
    expect(runtime.info(sessionId)?.state).toBe('ready');
    expect(seen).toHaveLength(1);
  });

  it('rate-limits anonymous requests without failing them', async () => {
    const { handler, errors } = setUp({ rateLimit: { requestsPerSecond: 100 } });
    const answer = await handler(post(initializeBody));
    expect(answer.status).toBe(200);
    await answer.body?.cancel();
    expect(errors).toEqual([]);
  });
});

describe('generateSessionId', () => {
  it('is asked again when it returns the id of a live session, three times at most', async () => {
    const ids = ['first', 'first', 'second'];
    const { handler } = setUp({ generateSessionId: () => ids.shift() ?? 'spare' });
    expect((await handler(post(initializeBody))).headers.get('mcp-session-id')).toBe('first');
    expect((await handler(post(initializeBody))).headers.get('mcp-session-id')).toBe('second');
    let calls = 0;
    const stuck = setUp({
      generateSessionId: () => {
        calls++;
        return 'same';
      },
    });
    expect((await stuck.handler(post(initializeBody))).status).toBe(200);
    calls = 0;
    const answer = await stuck.handler(post(initializeBody));
    expect(answer.status).toBe(500);
    expect(calls).toBe(3);
    expect(String(stuck.errors[0])).toMatch(/live sessions three times/);
  });

  it('must return visible ASCII text: a number or a space is a server error', async () => {
    for (const id of [12345, 'has space']) {
      const { handler, errors, runtime } = setUp({ generateSessionId: () => id as string });
      expect((await handler(post(initializeBody))).status).toBe(500);
      expect(String(errors[0])).toMatch(/visible ASCII/);
      expect(runtime.size).toBe(0);
    }
  });
});

describe('over node:http, a refused request is answered once', () => {
  it('answers POST, GET and DELETE without a session id 400, with no second answer and no error', async () => {
    const errors: unknown[] = [];
    runtime = createSessionRuntime();
    const handler = createNodeHandler(runtime, { onError: (error) => errors.push(error) });
    server = createServer((req, res) => void handler(req, res)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const answers = [
      await fetch(base, {
        method: 'POST',
        headers: postHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      }),
      await fetch(base, { headers: { accept: 'text/event-stream' } }),
      await fetch(base, { method: 'DELETE' }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({
        error: { message: 'Bad Request: Mcp-Session-Id header is required' },
      });
    }
    expect(errors).toEqual([]);
  });
});

describe('over node:http, anonymous rate limits', () => {
  it('keep one bucket per remote address', async () => {
    runtime = createSessionRuntime();
    const handler = createNodeHandler(runtime, { rateLimit: { requestsPerSecond: 0.001, burst: 1 } });
    server = createServer((req, res) => void handler(req, res)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    // Every 127.x.y.z address is the loopback interface on Linux: two clients, two addresses.
    const statusFrom = (localAddress: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const outgoing = request(
          { host: '127.0.0.1', port, path: '/mcp', method: 'POST', localAddress, headers: postHeaders },
          (response) => {
            response.resume();
            resolve(response.statusCode);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(initializeBody);
      });
    expect(await statusFrom('127.0.0.1')).toBe(200);
    expect(await statusFrom('127.0.0.1')).toBe(429);
    expect(await statusFrom('127.0.0.2')).toBe(200);
  });
});
