/**
 * Attacks found by a review of the security work, each reproduced here before its fix: a client
 * that hangs up during authentication, descriptions that break headers, opaque origins, odd `sub`
 * claims, ids told apart during shutdown or by `spawnPolicy: 'any'`, endless oversized bodies, one
 * principal holding every stream, and floods of bad tokens.
 */
import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/http/index.js';
import { createSessionRuntime } from '../../src/index.js';
import type { ServerKind } from './harness.js';
import {
  callTool,
  initializeBody,
  kinds,
  openSession,
  post,
  rawSocket,
  securedServerPerTest,
  send,
  sleep,
  streamHeaders,
  token,
} from './harness.js';

describe.each(kinds)('security review findings (%s handler)', (kind: ServerKind) => {
  const start = securedServerPerTest(kind);

  it('gives back the stream slot of a GET whose client hung up while it was being authenticated', async () => {
    // Authentication takes a while, so the hang-up lands while the hook runs.
    const { url } = await start({
      authenticate: false,
      http: {
        maxStreams: 1,
        authenticate: async (request) => {
          await sleep(150);
          return request.bearerToken === undefined ? undefined : { id: 'alice' };
        },
      },
    });
    const opened = await post(url, initializeBody, 'any');
    await opened.body?.cancel();
    const sessionId = opened.headers.get('mcp-session-id') as string;
    const socket = await rawSocket(url);
    socket.on('error', () => {});
    socket.write(
      `GET /mcp HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
        `Mcp-Session-Id: ${sessionId}\r\nAuthorization: Bearer any\r\n\r\n`,
    );
    await sleep(30);
    socket.destroy();
    await sleep(300);
    // The owner reconnects: neither 409 (a ghost standalone stream) nor 503 (a leaked slot).
    const again = await send(url, 'GET', streamHeaders(sessionId, 'any'));
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it('keeps an authenticate description with characters a header cannot carry from breaking the answer', async () => {
    const { url } = await start({
      authenticate: false,
      http: {
        authenticate: () => {
          throw new AuthenticationError('invalid_token', 'Unknown tenant “acme•”\t"x"\\');
        },
      },
    });
    const response = await Promise.race([post(url, initializeBody, 'x'), sleep(3_000).then(() => undefined)]);
    expect(response?.status).toBe(401);
    expect(response?.headers.get('www-authenticate')).toContain(
      'error_description="Unknown tenant ?acme????x??"',
    );
    await response?.body?.cancel();
  });

  it('does not let one listed browser-extension origin admit every other extension', async () => {
    const ours = 'chrome-extension://ourextensionid';
    const { url } = await start({ http: { cors: { allowedOrigins: [ours] } } });
    const bearer = await token(url);
    for (const [origin, status] of [
      [ours, 200],
      ['chrome-extension://someoneelse', 403],
      ['vscode-webview://whatever', 403],
      ['null', 403],
    ] as const) {
      const response = await post(url, initializeBody, bearer, { origin });
      expect(response.status, origin).toBe(status);
      expect(response.headers.get('access-control-allow-origin'), origin).toBe(status === 200 ? ours : null);
      await response.body?.cancel();
    }
  });

  it('refuses tokens whose sub is a number, an object or empty as invalid_token, not as a server error', async () => {
    const { url, errors } = await start();
    for (const sub of [42, { id: 'alice' }, '']) {
      const response = await post(
        url,
        initializeBody,
        await token(url, { subject: null, claims: { sub } as never }),
      );
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('sub claim is invalid');
      await response.body?.cancel();
    }
    expect(errors).toEqual([]);
  });

  it('answers a client-chosen id 404 and creates nothing, even with spawnPolicy any', async () => {
    const { url, runtime } = await start({ runtime: { spawnPolicy: 'any' } });
    const response = await callTool(url, 'f'.repeat(32), await token(url));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ id: 7, error: { code: -32001 } });
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it('caps the streams of one principal across its sessions, leaving room for others', async () => {
    const { url } = await start({ http: { maxStreamsPerPrincipal: 2, maxStreams: 10 } });
    const mallory = await token(url, { subject: 'mallory' });
    const alice = await token(url, { subject: 'alice' });
    const sessions = [
      await openSession(url, mallory),
      await openSession(url, mallory),
      await openSession(url, mallory),
    ];
    const opened = [];
    for (const sessionId of sessions) opened.push(await send(url, 'GET', streamHeaders(sessionId, mallory)));
    expect(opened.map((response) => response.status)).toEqual([200, 200, 429]);
    const aliceStream = await send(url, 'GET', streamHeaders(await openSession(url, alice), alice));
    expect(aliceStream.status).toBe(200);
    for (const response of [...opened, aliceStream]) await response.body?.cancel();
  });

  it('sends Vary: Origin on every answer when CORS is on, even without an Origin', async () => {
    const { url } = await start({ http: { cors: { allowedOrigins: ['https://app.example.com'] } } });
    const metadata = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url));
    expect(metadata.headers.get('vary')).toBe('origin');
    await metadata.body?.cancel();
  });

  it('refuses a flood of bad tokens from one address with 429 before checking each', async () => {
    const { url } = await start({ http: { rateLimit: { requestsPerSecond: 1, burst: 3 } } });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const response = await post(url, initializeBody, 'forged.token.value');
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('oversized bodies (node handler)', () => {
  const start = securedServerPerTest('node');

  it('answers 413 and closes a connection whose endless chunked body goes on past bodyTimeoutMs', async () => {
    const { url, runtime } = await start({ http: { maxBodyBytes: 1_024, bodyTimeoutMs: 300 } });
    const bearer = await token(url);
    const socket = await rawSocket(url);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => {
      const started = performance.now();
      socket.on('close', () => resolve(performance.now() - started));
    });
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${bearer}\r\n` +
        'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = 'x'.repeat(2_000);
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    }, 50);
    const ms = await Promise.race([closed, sleep(5_000).then(() => Number.POSITIVE_INFINITY)]);
    clearInterval(timer);
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 413/);
    expect(ms).toBeLessThan(2_000);
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });
});

describe('shutdown', () => {
  it("answers another principal's draining session exactly as an unknown id", async () => {
    const runtime = createSessionRuntime({
      handlers: { 'test/wait': () => new Promise((resolve) => setTimeout(() => resolve({}), 200)) },
    });
    const alice = { principal: { id: 'alice' } };
    const mallory = { principal: { id: 'mallory' } };
    await runtime.dispatch('a', initializeBody, alice);
    await runtime.dispatch('a', { jsonrpc: '2.0', method: 'notifications/initialized' }, alice);
    const running = runtime.dispatch('a', { jsonrpc: '2.0', id: 1, method: 'test/wait' }, alice);
    const closing = runtime.close({ drainMs: 2_000 });
    const onLive = await runtime.dispatch('a', { jsonrpc: '2.0', id: 2, method: 'ping' }, mallory);
    const onUnknown = await runtime.dispatch('b', { jsonrpc: '2.0', id: 2, method: 'ping' }, mallory);
    expect(onLive).toEqual(onUnknown);
    expect(onLive).toMatchObject({ error: { data: { reason: 'shutting_down' } } });
    await running;
    await closing;
  });
});
