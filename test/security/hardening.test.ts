/**
 * Attacks on the HTTP layer itself: bodies and headers trickled a byte at a time (slow-loris),
 * oversized headers and bodies, and cross-origin requests. Raw sockets, because a well-behaved
 * client cannot send any of these.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ServerKind } from './harness.js';
import {
  initializeBody,
  kinds,
  openSession,
  post,
  rawSocket,
  securedServerPerTest,
  token,
} from './harness.js';

/** Everything the server sends until it closes the socket, and how long that took. */
function untilClosed(socket: Socket): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, ms: performance.now() - started }));
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || index >= text.length) clearInterval(timer);
    else socket.write(text[index++] as string);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

describe.each(kinds)('HTTP hardening (%s handler)', (kind: ServerKind) => {
  const start = securedServerPerTest(kind);

  it('answers a body trickled past bodyTimeoutMs with 408, creating no session', async () => {
    const server = await start({ http: { bodyTimeoutMs: 300 } });
    const { url, runtime } = server;
    const bearer = await token(url);
    const body = JSON.stringify(initializeBody);
    const socket = await rawSocket(url);
    const closed = untilClosed(socket);
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${bearer}\r\n` +
        'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    trickle(socket, body, 50);
    const received = await Promise.race([
      new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(String(chunk)))),
      closed.then(({ text }) => text),
    ]);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(received).toContain('"reason":"body_timeout"');
    if (kind === 'node') {
      // The Node form also closes the connection: the rest of the body can never be read.
      const { ms } = await closed;
      expect(ms).toBeLessThan(2_000);
    }
    socket.destroy();
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it('answers an oversized body 413 before reading it, creating no session', async () => {
    const server = await start({ http: { maxBodyBytes: 1_024 } });
    const { url, runtime } = server;
    const bearer = await token(url);
    const padded = { ...initializeBody, params: { ...initializeBody.params, padding: 'x'.repeat(4_096) } };
    const response = await post(url, padded, bearer);
    expect(response.status).toBe(413);
    await response.body?.cancel();
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it('answers headers over 16 KiB with 431, before authentication or the handler runs', async () => {
    const server = await start();
    const { url, runtime } = server;
    const response = await post(url, initializeBody, await token(url), { 'x-padding': 'x'.repeat(20_000) });
    expect(response.status).toBe(431);
    await response.body?.cancel();
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it('sends no CORS header and refuses preflights unless CORS is on', async () => {
    const server = await start({ http: { allowedOrigins: ['http://localhost:5173'] } });
    const { url } = server;
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    await preflight.body?.cancel();
    const response = await post(url, initializeBody, await token(url), { origin: 'http://localhost:5173' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    await response.body?.cancel();
  });

  it('with CORS on, answers preflights of listed origins only and exposes Mcp-Session-Id to them', async () => {
    const app = 'https://app.example.com';
    const server = await start({ http: { cors: { allowedOrigins: [app], maxAgeSeconds: 60 } } });
    const { url } = server;
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: app,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-session-id',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(app);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('mcp-session-id');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-max-age')).toBe('60');

    const stranger = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    await stranger.body?.cancel();

    const bearer = await token(url);
    const response = await post(url, initializeBody, bearer, { origin: app });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(app);
    expect(response.headers.get('access-control-expose-headers')).toContain('mcp-session-id');
    await response.body?.cancel();
    // Refusals carry the CORS headers too, or the page could not read its 401 challenge.
    const refused = await post(url, initializeBody, undefined, { origin: app });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(app);
    expect(refused.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    await refused.body?.cancel();
    // A page of another origin is refused outright (the Origin check), CORS or not.
    const evil = await post(url, initializeBody, bearer, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    await evil.body?.cancel();
    expect(await openSession(url, bearer)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('node:http header timeouts (hardenedServerOptions)', () => {
  const start = securedServerPerTest('node');

  it('closes a connection whose headers trickle in past headersTimeout, creating no session', async () => {
    const server = await start({
      server: { headersTimeout: 500, requestTimeout: 1_000, connectionsCheckingInterval: 100 },
    });
    const { url, runtime } = server;
    const socket = await rawSocket(url);
    const closed = untilClosed(socket);
    trickle(socket, `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 50);
    const { text, ms } = await closed;
    // Node answers 408 and hangs up; it never reached our handler.
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2_000);
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });
});
