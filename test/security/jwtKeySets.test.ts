/**
 * `createJwtAuthenticator` against key sets: a token without `kid` when several keys could have
 * signed it, a key set URL that keeps failing, and what its failure messages tell about the URL.
 */
import type { RequestListener } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthenticationRequest } from '../../src/auth/index.js';
import {
  AuthenticationError,
  AuthenticatorUnavailableError,
  createJwtAuthenticator,
} from '../../src/auth/index.js';
import { LAST_KEY_SET_MAX_AGE_MS } from '../../src/auth/jwt.js';
import { createFetchHandler } from '../../src/http/index.js';
import { createSessionRuntime } from '../../src/index.js';

const audience = 'https://mcp.example.com/mcp';
const issuer = 'https://issuer.example.com';

function requestWith(bearer: string): AuthenticationRequest {
  return {
    method: 'POST',
    header: (name) => (name === 'authorization' ? `Bearer ${bearer}` : undefined),
    bearerToken: bearer,
  };
}

/** A token for `sub`, signed RS256 by `key`, with a `kid` header only when given one. */
function sign(key: CryptoKey, sub: string, kid?: string): Promise<string> {
  return new SignJWT({ scope: 'mcp' })
    .setProtectedHeader(kid === undefined ? { alg: 'RS256' } : { alg: 'RS256', kid })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(sub)
    .setExpirationTime('5m')
    .sign(key);
}

async function failureOf(promise: unknown): Promise<unknown> {
  return Promise.resolve(promise).then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Serves `listener` on an ephemeral local port until the test ends; the URL of `path` on it. */
async function serve(listener: RequestListener, path = '/jwks.json'): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
}

/** Two RS256 keys published together (the current one and the next), and one nobody publishes. */
async function rotatingIssuer() {
  const current = await generateKeyPair('RS256');
  const next = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  const keys: JWK[] = [
    { ...(await exportJWK(current.publicKey)), kid: 'current', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(next.publicKey)), kid: 'next', alg: 'RS256', use: 'sig' },
  ];
  return { current, next, stranger, keys };
}

describe('a token without kid against a key set with several keys for its algorithm', () => {
  const sources = [
    ['an inline jwks', async (keys: JWK[]) => ({ jwks: { keys } })],
    [
      'a jwksUri',
      async (keys: JWK[]) => ({
        jwksUri: await serve((_req, res) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })),
        ),
      }),
    ],
  ] as const;

  it.each(sources)('is verified with each key in turn (%s)', async (_, source) => {
    const { current, next, stranger, keys } = await rotatingIssuer();
    const authenticate = createJwtAuthenticator({ issuer, audience, ...(await source(keys)) });
    // Signed by the second key: the first does not verify it, the second does.
    expect(await authenticate(requestWith(await sign(next.privateKey, 'bob')))).toMatchObject({ id: 'bob' });
    expect(await authenticate(requestWith(await sign(current.privateKey, 'alice')))).toMatchObject({
      id: 'alice',
    });
    // Signed by no key of the set: a bad token (401), not a server failure.
    const forged = await failureOf(authenticate(requestWith(await sign(stranger.privateKey, 'mallory'))));
    expect(forged).toBeInstanceOf(AuthenticationError);
    expect(forged).toMatchObject({
      code: 'invalid_token',
      message: 'The access token signature does not verify',
    });
    // A kid still selects one key, as before.
    const wrongKid = await failureOf(
      authenticate(requestWith(await sign(next.privateKey, 'bob', 'current'))),
    );
    expect(wrongKid).toMatchObject({ message: 'The access token signature does not verify' });
  });

  it('refuses a genuine but expired token as expired, not as a bad signature', async () => {
    const { next, keys } = await rotatingIssuer();
    const authenticate = createJwtAuthenticator({ issuer, audience, jwks: { keys } });
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('bob')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(next.privateKey);
    expect(await failureOf(authenticate(requestWith(expired)))).toMatchObject({
      code: 'invalid_token',
      message: 'The access token expired',
    });
  });

  it('answers a forged one over HTTP with 401 invalid_token, not 500, and reports nothing', async () => {
    const { stranger, keys } = await rotatingIssuer();
    const runtime = createSessionRuntime();
    const reported: unknown[] = [];
    const handler = createFetchHandler(runtime, {
      authenticate: createJwtAuthenticator({ issuer, audience, jwks: { keys } }),
      onError: (error) => reported.push(error),
    });
    const response = await handler(
      new Request('http://localhost:3000/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${await sign(stranger.privateKey, 'mallory')}`,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_token", error_description="The access token signature does not verify"/,
    );
    await response.body?.cancel();
    expect(reported).toEqual([]);
    await runtime.close({ drainMs: 0 });
  });
});

/** A request to `handler` with `token`: its status and `Retry-After`. */
async function ping(handler: (request: Request) => Promise<Response>, token: string) {
  const response = await handler(
    new Request('http://localhost:3000/mcp', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    }),
  );
  await response.body?.cancel();
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

describe('a jwksUri that keeps failing', () => {
  // Only the clocks the authenticator and jose read are faked: sockets and timeouts run for real.
  const fakeClocks = () => vi.useFakeTimers({ toFake: ['Date', 'performance'] });

  it('is fetched once per Retry-After window, however many requests come meanwhile', async () => {
    fakeClocks();
    const { stranger } = await rotatingIssuer();
    let fetches = 0;
    const jwksUri = await serve((_req, res) => {
      fetches++;
      res.writeHead(500).end('down');
    });
    const runtime = createSessionRuntime();
    const reported: unknown[] = [];
    const handler = createFetchHandler(runtime, {
      authenticate: createJwtAuthenticator({ issuer, audience, jwksUri }),
      onError: (error) => reported.push(error),
    });
    const answers = [];
    // Forged tokens, each naming a key nobody published: nothing jose caches could answer them.
    for (let attempt = 0; attempt < 20; attempt++) {
      answers.push(await ping(handler, await sign(stranger.privateKey, 'mallory', `kid-${attempt}`)));
    }
    expect(answers).toEqual(Array.from({ length: 20 }, () => ({ status: 503, retryAfter: '1' })));
    expect(fetches).toBe(1);
    // The outage is reported once, not once per request; the others are counted.
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(AuthenticatorUnavailableError);
    vi.advanceTimersByTime(1_000);
    expect(await ping(handler, await sign(stranger.privateKey, 'mallory', 'kid-late'))).toEqual({
      status: 503,
      retryAfter: '1',
    });
    expect(fetches).toBe(2);
    expect(reported).toHaveLength(2);
    expect(reported[1]).toBeInstanceOf(AuthenticatorUnavailableError);
    expect((reported[1] as Error).message).toContain('(and 19 more suppressed since the last report)');
    await runtime.close({ drainMs: 0 });
  });

  it('verifies with the last key set fetched while the refresh fails, and only tokens of its keys', async () => {
    fakeClocks();
    const { current, stranger, keys } = await rotatingIssuer();
    let fetches = 0;
    let down = false;
    const jwksUri = await serve((_req, res) => {
      fetches++;
      if (down) res.writeHead(500).end('down');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    const authenticate = createJwtAuthenticator({ issuer, audience, jwksUri });
    // Minted when used: its expiry (5 minutes) follows the clock.
    const genuine = () => sign(current.privateKey, 'alice', 'current');
    expect(await authenticate(requestWith(await genuine()))).toMatchObject({ id: 'alice' });
    expect(fetches).toBe(1);
    // jose refetches a set older than its cacheMaxAge (10 minutes) before using it again.
    down = true;
    vi.advanceTimersByTime(11 * 60_000);
    expect(await authenticate(requestWith(await genuine()))).toMatchObject({ id: 'alice' });
    expect(fetches).toBe(2);
    // A key the old set lacks may be new: unavailable, not refused, and not fetched again.
    const unknownKey = await failureOf(
      authenticate(requestWith(await sign(stranger.privateKey, 'x', 'new'))),
    );
    expect(unknownKey).toBeInstanceOf(AuthenticatorUnavailableError);
    // A key the old set has, but a forged signature: refused as ever.
    const forged = await failureOf(
      authenticate(requestWith(await sign(stranger.privateKey, 'mallory', 'current'))),
    );
    expect(forged).toMatchObject({
      code: 'invalid_token',
      message: 'The access token signature does not verify',
    });
    expect(await authenticate(requestWith(await genuine()))).toMatchObject({ id: 'alice' });
    expect(fetches).toBe(2);
    // Past the window, the next request fetches again, and a success ends the outage.
    down = false;
    vi.advanceTimersByTime(1_000);
    expect(await authenticate(requestWith(await genuine()))).toMatchObject({ id: 'alice' });
    expect(fetches).toBe(3);
  });
});

describe('the last key set during a long outage', () => {
  it('stops verifying with it an hour after it was fetched', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const { current, keys } = await rotatingIssuer();
    let down = false;
    const jwksUri = await serve((_req, res) => {
      if (down) res.writeHead(500).end('down');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    const authenticate = createJwtAuthenticator({ issuer, audience, jwksUri });
    const genuine = () => sign(current.privateKey, 'alice', 'current');
    expect(await authenticate(requestWith(await genuine()))).toMatchObject({ id: 'alice' });
    down = true;
    vi.advanceTimersByTime(LAST_KEY_SET_MAX_AGE_MS - 60_000);
    expect(await authenticate(requestWith(await genuine()))).toMatchObject({ id: 'alice' });
    vi.advanceTimersByTime(2 * 60_000);
    expect(await failureOf(authenticate(requestWith(await genuine())))).toBeInstanceOf(
      AuthenticatorUnavailableError,
    );
  });
});

describe('what a failure message tells about the jwksUri', () => {
  const token = async () => sign((await rotatingIssuer()).stranger.privateKey, 'alice', 'k1');

  it('shows its origin and path, and a query only as ?…', async () => {
    const jwksUri = await serve(
      (_req, res) => res.writeHead(500).end('down'),
      '/keys/jwks.json?api_key=s3cret',
    );
    const failure = await failureOf(
      createJwtAuthenticator({ issuer, audience, jwksUri })(requestWith(await token())),
    );
    expect(failure).toBeInstanceOf(AuthenticatorUnavailableError);
    const { origin } = new URL(jwksUri);
    expect((failure as Error).message).toBe(
      `The JWKS at ${origin}/keys/jwks.json?… could not be fetched: Expected 200 OK from the JSON Web Key Set HTTP response`,
    );
    const withoutQuery = await serve((_req, res) => res.writeHead(500).end('down'), '/keys/jwks.json');
    const plain = await failureOf(
      createJwtAuthenticator({ issuer, audience, jwksUri: withoutQuery })(requestWith(await token())),
    );
    expect((plain as Error).message).toContain(`The JWKS at ${withoutQuery} could not be fetched`);
  });

  it('refuses one with a user name or password at construction, without naming them', () => {
    const attempt = () =>
      createJwtAuthenticator({
        issuer,
        audience,
        jwksUri: 'https://reader:s3cret@issuer.example.com/jwks.json',
      });
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow('Expected a `jwksUri` without a user name or password (fetch refuses them)');
    expect(() =>
      createJwtAuthenticator({
        issuer,
        audience,
        jwksUri: new URL('https://reader@issuer.example.com/jwks.json'),
      }),
    ).toThrow(TypeError);
  });
});
