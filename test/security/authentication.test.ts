/**
 * Attacks on authentication, against both server forms: no token, tokens that are expired, forged,
 * unsigned, for another audience or issuer, without a subject; a valid token used only for
 * `initialize`; and what a handler gets to see of the caller.
 */
import type { RequestListener } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticatorUnavailableError } from '../../src/auth/index.js';
import type { ServerKind } from './harness.js';
import {
  attackerKeys,
  callTool,
  initializeBody,
  issuerKeys,
  kinds,
  openSession,
  post,
  securedServerPerTest,
  send,
  token,
} from './harness.js';

/**
 * Key sets that cannot be fetched: a port that refuses connections (a server started and closed),
 * one that answers 500, one that never answers. Each serves only the test that asked for it.
 */
const jwksServers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of jwksServers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
async function jwksServer(listener: RequestListener, keep = true): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  if (keep) jwksServers.push(server);
  else await new Promise((resolve) => server.close(resolve));
  return jwksUri;
}
const unreachableKeySets: readonly [string, () => Promise<string>][] = [
  ['refuses connections', () => jwksServer(() => {}, false)],
  ['answers 500', () => jwksServer((_req, res) => res.writeHead(500).end('down'))],
  ['does not answer within jwksTimeoutMs', () => jwksServer(() => {})],
];

describe.each(kinds)('authentication (%s handler)', (kind: ServerKind) => {
  const start = securedServerPerTest(kind);

  const metadataUrlOf = (url: URL) => `${url.origin}/.well-known/oauth-protected-resource/mcp`;

  it('answers a request without a token 401 with a challenge naming the resource metadata, and creates nothing', async () => {
    const { url, runtime } = await start();
    const response = await post(url, initializeBody);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer scope="mcp", resource_metadata="${metadataUrlOf(url)}"`,
    );
    expect(await response.json()).toMatchObject({
      error: { code: -32000, data: { reason: 'unauthorized' } },
    });
    expect(runtime.metrics().sessions).toBe(0);
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it('serves the protected-resource metadata (RFC 9728) without authentication, at both well-known paths', async () => {
    const { url } = await start();
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = await fetch(new URL(path, url));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: url.href,
        authorization_servers: ['https://issuer.test'],
        bearer_methods_supported: ['header'],
        scopes_supported: ['mcp'],
      });
    }
  });

  const forgeries: readonly [string, (url: URL) => Promise<string>, string][] = [
    ['expired', (url) => token(url, { expiresIn: -120 }), 'The access token expired'],
    [
      'issued for another audience',
      (url) => token(url, { audience: 'https://other-service.test/api' }),
      'The access token was issued for another audience',
    ],
    [
      'issued by another issuer',
      (url) => token(url, { issuer: 'https://evil.test' }),
      'The access token was issued by an unknown issuer',
    ],
    [
      'signed with a key the issuer never had',
      (url) => token(url, { key: attackerKeys.privateKey }),
      'The access token signature does not verify',
    ],
    [
      'unsigned (alg none)',
      async (url) =>
        new UnsecuredJWT({ scope: 'mcp' })
          .setIssuer('https://issuer.test')
          .setAudience(url.href)
          .setSubject('alice')
          .setExpirationTime('1h')
          .encode(),
      'The access token algorithm is not allowed',
    ],
    ['without a subject', (url) => token(url, { subject: null }), "The access token's sub claim is invalid"],
    [
      'HS256-signed with the public key as the secret (algorithm confusion)',
      async (url) =>
        token(url, { alg: 'HS256', key: new TextEncoder().encode(await exportSPKI(issuerKeys.publicKey)) }),
      'The access token algorithm is not allowed',
    ],
    [
      'RS256-signed against an EC key',
      async (url) => token(url, { alg: 'RS256', key: (await generateKeyPair('RS256')).privateKey }),
      'The access token algorithm is not allowed',
    ],
    ['garbage', async () => 'not.a.jwt', 'The access token is malformed'],
  ];

  it.each(forgeries)(
    'refuses a token %s with 401 invalid_token and creates nothing',
    async (_name, mint, description) => {
      const { url, runtime } = await start();
      const response = await post(url, initializeBody, await mint(url));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", error_description="${description}", scope="mcp", resource_metadata="${metadataUrlOf(url)}"`,
      );
      await response.body?.cancel();
      expect(runtime.metrics().sessionsStarted).toBe(0);
    },
  );

  it('refuses an Authorization header that is not a bearer token as invalid_token', async () => {
    const { url } = await start();
    const response = await post(url, initializeBody, undefined, {
      authorization: 'Basic YWxpY2U6cGFzc3dvcmQ=',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await response.body?.cancel();
  });

  it('authenticates every request, not only initialize: a later request without a token is 401 and the session is untouched', async () => {
    const { url, runtime } = await start();
    const alice = await token(url);
    const sessionId = await openSession(url, alice);
    const call = await callTool(url, sessionId, undefined);
    expect(call.status).toBe(401);
    await call.body?.cancel();
    const expired = await callTool(url, sessionId, await token(url, { expiresIn: -120 }));
    expect(expired.status).toBe(401);
    await expired.body?.cancel();
    const stream = await send(url, 'GET', { accept: 'text/event-stream', 'mcp-session-id': sessionId });
    expect(stream.status).toBe(401);
    await stream.body?.cancel();
    const deleted = await send(url, 'DELETE', { 'mcp-session-id': sessionId });
    expect(deleted.status).toBe(401);
    await deleted.body?.cancel();
    expect(runtime.has(sessionId)).toBe(true);
    const ok = await callTool(url, sessionId, alice);
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  it('answers a token without a required scope 403 insufficient_scope', async () => {
    const { url } = await start({ jwt: { requiredScopes: ['mcp', 'tools:write'] } });
    const response = await post(url, initializeBody, await token(url));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="The access token lacks a required scope", scope="mcp tools:write", resource_metadata="${metadataUrlOf(url)}"`,
    );
    expect(await response.json()).toMatchObject({ error: { data: { reason: 'insufficient_scope' } } });
    const granted = await post(
      url,
      initializeBody,
      await token(url, { claims: { scope: 'mcp tools:write' } }),
    );
    expect(granted.status).toBe(200);
    await granted.body?.cancel();
  });

  it('gives handlers the verified principal as ctx.auth, and never the token', async () => {
    const { url } = await start();
    const bearer = await token(url, {
      subject: 'alice',
      claims: { client_id: 'desktop-app', scope: 'mcp read' },
    });
    const sessionId = await openSession(url, bearer);
    const response = await callTool(url, sessionId, bearer);
    const text = await response.text();
    expect(JSON.parse(text).result.structuredContent.auth).toEqual({
      id: 'alice',
      subject: 'alice',
      issuer: 'https://issuer.test',
      scopes: ['mcp', 'read'],
      clientId: 'desktop-app',
      expiresAt: expect.any(Number),
    });
    expect(text).not.toContain(bearer);
    expect(text).not.toContain(bearer.split('.')[2]);
  });

  it('reports a failing authenticate hook as a 500 and to onError, never as a pass', async () => {
    const { url, runtime, errors } = await start({
      authenticate: false,
      http: {
        authenticate: () => {
          throw new Error('introspection endpoint unreachable');
        },
      },
    });
    const response = await post(url, initializeBody, 'anything');
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('introspection');
    expect(errors).toHaveLength(1);
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });

  it.each(unreachableKeySets)(
    'answers 503 authentication_unavailable with Retry-After when the JWKS %s, reports it and counts it',
    async (_, jwksUri) => {
      const { url, runtime, errors } = await start({
        jwt: { jwksUri: await jwksUri(), jwksTimeoutMs: 100 },
      });
      const response = await post(url, initializeBody, await token(url));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32000,
          message: 'Service unavailable: the credentials cannot be verified now, retry later',
          data: { reason: 'authentication_unavailable' },
        },
      });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(AuthenticatorUnavailableError);
      expect(runtime.metrics().rejected).toEqual({ authentication_unavailable: 1 });
      expect(runtime.metrics().sessionsStarted).toBe(0);
    },
  );

  it('answers 503 for a custom hook that throws AuthenticatorUnavailableError, without spending the failure bucket', async () => {
    const { url, runtime, errors } = await start({
      authenticate: false,
      http: {
        // One failed authentication per address, then 429: an outage must not count as one.
        rateLimit: { requestsPerSecond: 0.001, burst: 1 },
        authenticate: () => {
          throw new AuthenticatorUnavailableError('introspection endpoint unreachable', {
            retryAfterSeconds: 2.5,
          });
        },
      },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await post(url, initializeBody, 'anything');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('3');
      expect(await response.text()).not.toContain('introspection');
    }
    // The outage is reported once: the second failure within a second is only counted.
    expect(errors).toHaveLength(1);
    expect(runtime.metrics().rejected).toEqual({ authentication_unavailable: 2 });
  });

  it('refuses a principal without an id as a server error (a hook bug must not create anonymous sessions)', async () => {
    const { url, runtime } = await start({
      authenticate: false,
      http: { authenticate: () => ({ id: '' }) },
    });
    const response = await post(url, initializeBody, 'anything');
    expect(response.status).toBe(500);
    await response.body?.cancel();
    expect(runtime.metrics().sessionsStarted).toBe(0);
  });
});
