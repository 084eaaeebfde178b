/**
 * `createJwtAuthenticator` on its own: each kind of key, the algorithms it pins, its option checks,
 * and the principal it builds. The HTTP behaviour is in authentication.test.ts.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AuthenticationRequest } from '../../src/auth/index.js';
import { AuthenticationError, createJwtAuthenticator } from '../../src/auth/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import { createSessionRuntime } from '../../src/index.js';

const audience = 'https://mcp.example.com/mcp';
const issuer = 'https://issuer.example.com';

function requestWith(
  bearer: string | undefined,
  authorization = bearer && `Bearer ${bearer}`,
): AuthenticationRequest {
  return {
    method: 'POST',
    header: (name) => (name === 'authorization' ? authorization : undefined),
    bearerToken: bearer,
  };
}

function sign(
  key: Parameters<SignJWT['sign']>[0],
  alg: string,
  claims: JWTPayload = {},
  kid?: string,
): Promise<string> {
  return new SignJWT({ scope: 'mcp', ...claims })
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
    .setAudience(audience)
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'alice')
    .setExpirationTime('5m')
    .sign(key);
}

async function rejection(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('createJwtAuthenticator', () => {
  it('verifies HS256 with a shared secret and refuses HS256 tokens with another secret', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32));
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret });
    expect(await authenticate(requestWith(await sign(secret, 'HS256')))).toMatchObject({ id: 'alice' });
    const other = await sign(new TextEncoder().encode('t'.repeat(32)), 'HS256');
    expect((await rejection(Promise.resolve(authenticate(requestWith(other))))).code).toBe('invalid_token');
  });

  it('verifies with node:crypto KeyObjects (EC and secret) and pins their algorithms', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const ec = createJwtAuthenticator({ issuer, audience, key: publicKey });
    expect(await ec(requestWith(await sign(privateKey, 'ES384')))).toMatchObject({ id: 'alice' });
    const secretKey = createSecretKey(Buffer.from('k'.repeat(32)));
    const hmac = createJwtAuthenticator({ issuer, audience, key: secretKey });
    expect(await hmac(requestWith(await sign(secretKey, 'HS512')))).toMatchObject({ id: 'alice' });
    // An HS256 token against the EC key is refused by the pinned list, before the key is used.
    const confused = await sign(secretKey, 'HS256');
    const error = await rejection(Promise.resolve(ec(requestWith(confused))));
    expect(error.message).toBe('The access token algorithm is not allowed');
  });

  it('verifies against an inline JWKS, choosing the key by kid', async () => {
    const first = await generateKeyPair('RS256');
    const second = await generateKeyPair('ES256');
    const keys = [
      { ...(await exportJWK(first.publicKey)), kid: 'one', alg: 'RS256' },
      { ...(await exportJWK(second.publicKey)), kid: 'two', alg: 'ES256' },
    ];
    const authenticate = createJwtAuthenticator({ issuer, audience, jwks: { keys } });
    expect(await authenticate(requestWith(await sign(first.privateKey, 'RS256', {}, 'one')))).toMatchObject({
      id: 'alice',
    });
    expect(await authenticate(requestWith(await sign(second.privateKey, 'ES256', {}, 'two')))).toMatchObject({
      id: 'alice',
    });
    const stranger = await generateKeyPair('ES256');
    const error = await rejection(
      Promise.resolve(authenticate(requestWith(await sign(stranger.privateKey, 'ES256', {}, 'two')))),
    );
    expect(error.message).toBe('The access token signature does not verify');
  });

  it('fetches a remote JWKS, and reports an unreachable one as a server failure, not as a bad token', async () => {
    const pair = await generateKeyPair('ES256');
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }],
    });
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    try {
      const authenticate = createJwtAuthenticator({ issuer, audience, jwksUri });
      expect(await authenticate(requestWith(await sign(pair.privateKey, 'ES256', {}, 'k1')))).toMatchObject({
        id: 'alice',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    const unreachable = createJwtAuthenticator({ issuer, audience, jwksUri });
    const failure = await Promise.resolve(
      unreachable(requestWith(await sign(pair.privateKey, 'ES256', {}, 'k1'))),
    ).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(AuthenticationError);
  });

  it('qualifies the principal id by issuer when several issuers are trusted (their subjects may collide)', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32));
    const other = 'https://other-issuer.example.com';
    const authenticate = createJwtAuthenticator({ issuer: [issuer, other], audience, key: secret });
    const fromFirst = await authenticate(requestWith(await sign(secret, 'HS256', { sub: '42' })));
    const fromSecond = await authenticate(
      requestWith(await sign(secret, 'HS256', { sub: '42', iss: other })),
    );
    expect(fromFirst?.id).toBe(`${issuer} 42`);
    expect(fromSecond?.id).toBe(`${other} 42`);
  });

  it('reads scopes from scope or scp, and uses toPrincipal when given', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32));
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret, requiredScopes: ['read'] });
    const withScp = await authenticate(
      requestWith(await sign(secret, 'HS256', { scope: undefined, scp: ['read', 'write'] })),
    );
    expect(withScp).toMatchObject({ scopes: ['read', 'write'] });
    const tenant = createJwtAuthenticator({
      issuer,
      audience,
      key: secret,
      toPrincipal: (claims) => ({ id: `${claims.tenant}/${claims.sub}`, tenant: claims.tenant }),
    });
    expect(await tenant(requestWith(await sign(secret, 'HS256', { tenant: 'acme' })))).toEqual({
      id: 'acme/alice',
      tenant: 'acme',
    });
  });

  it('requires the typ header when told to, so that ID tokens cannot pass as access tokens', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32));
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret, typ: 'at+jwt' });
    const sign = (typ: string | undefined) =>
      new SignJWT({})
        .setProtectedHeader(typ === undefined ? { alg: 'HS256' } : { alg: 'HS256', typ })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(secret);
    expect(await authenticate(requestWith(await sign('at+jwt')))).toMatchObject({ id: 'alice' });
    for (const typ of ['JWT', undefined]) {
      const error = await rejection(Promise.resolve(authenticate(requestWith(await sign(typ)))));
      expect(error.code).toBe('invalid_token');
    }
    expect(() =>
      createJwtAuthenticator({ issuer, audience, key: secret, clockToleranceSeconds: -1 }),
    ).toThrow(/clockToleranceSeconds/);
  });

  it('treats no Authorization header as no credentials, and a malformed one as a bad credential', async () => {
    const authenticate = createJwtAuthenticator({ issuer, audience, key: new Uint8Array(32) });
    expect(await authenticate(requestWith(undefined, undefined))).toBeUndefined();
    const error = await rejection(Promise.resolve(authenticate(requestWith(undefined, 'Token abc'))));
    expect(error.code).toBe('invalid_token');
  });

  it('rejects options that would weaken verification, at construction', () => {
    const key = new Uint8Array(32);
    expect(() => createJwtAuthenticator({ issuer, audience: [], key })).toThrow(/`audience`/);
    expect(() => createJwtAuthenticator({ issuer: '', audience, key })).toThrow(/`issuer`/);
    expect(() => createJwtAuthenticator({ issuer, audience })).toThrow(/exactly one of/);
    expect(() =>
      createJwtAuthenticator({ issuer, audience, key, jwksUri: 'https://x.example/jwks' }),
    ).toThrow(/exactly one of/);
    expect(() => createJwtAuthenticator({ issuer, audience, key, algorithms: ['none'] })).toThrow(
      /never `none`/,
    );
  });
});

/**
 * The claims the authenticator requires, each alone: a token that is right in every other way
 * (key, issuer, audience, subject, expiry) and wrong in one claim is refused as `invalid_token`.
 * Tokens are built claim by claim here (no defaults), so that a test names exactly what is missing.
 */
describe('the claims a token must carry', () => {
  const secret = new TextEncoder().encode('c'.repeat(32));
  const now = () => Math.floor(Date.now() / 1_000);
  /** Every claim right: the base each case changes one claim of. */
  const valid = (): JWTPayload => ({ iss: issuer, aud: audience, sub: 'alice', exp: now() + 300 });
  const mint = (claims: Record<string, unknown>) =>
    new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'HS256' }).sign(secret);
  const without = (claim: string): JWTPayload => {
    const claims = valid();
    delete claims[claim];
    return claims;
  };
  const authenticate = createJwtAuthenticator({ issuer, audience, key: secret });

  it('accepts the token with every claim right, and builds the principal from it', async () => {
    const claims = { ...valid(), scope: 'read write', client_id: 'inspector' };
    expect(await authenticate(requestWith(await mint(claims)))).toEqual({
      id: 'alice',
      subject: 'alice',
      issuer,
      scopes: ['read', 'write'],
      clientId: 'inspector',
      expiresAt: claims.exp,
    });
  });

  const refused: readonly [string, () => JWTPayload, RegExp][] = [
    ['without exp', () => without('exp'), /exp claim is invalid/],
    [
      'with an exp that is not a number',
      () => ({ ...valid(), exp: `${now() + 300}` }),
      /exp claim is invalid/,
    ],
    ['expired a minute ago', () => ({ ...valid(), exp: now() - 60 }), /expired/],
    ['not valid for another minute (nbf)', () => ({ ...valid(), nbf: now() + 60 }), /not valid yet/],
    ['without aud', () => without('aud'), /another audience/],
    [
      'for another audience',
      () => ({ ...valid(), aud: 'https://other.example.com/mcp' }),
      /another audience/,
    ],
    ['for a longer URL of ours', () => ({ ...valid(), aud: `${audience}/admin` }), /another audience/],
    ['for our origin only', () => ({ ...valid(), aud: 'https://mcp.example.com' }), /another audience/],
    ['for our URL in other case', () => ({ ...valid(), aud: audience.toUpperCase() }), /another audience/],
    [
      'for a list of other audiences',
      () => ({ ...valid(), aud: ['https://a.example', 'https://b.example'] }),
      /another audience/,
    ],
    ['for an empty list of audiences', () => ({ ...valid(), aud: [] }), /another audience/],
    ['without iss', () => without('iss'), /unknown issuer/],
    ['from another issuer', () => ({ ...valid(), iss: 'https://evil.example.com' }), /unknown issuer/],
    ['without sub', () => without('sub'), /sub claim is invalid/],
    ['with an empty sub', () => ({ ...valid(), sub: '' }), /sub claim is invalid/],
    ['with a number as sub', () => ({ ...valid(), sub: 42 as unknown as string }), /sub claim is invalid/],
  ];

  it.each(refused)('refuses a token %s as invalid_token', async (_name, claims, description) => {
    const error = await rejection(Promise.resolve(authenticate(requestWith(await mint(claims())))));
    expect(error.code).toBe('invalid_token');
    expect(error.message).toMatch(description);
  });

  it('accepts an aud list that contains our audience, wherever it stands', async () => {
    for (const aud of [
      [audience],
      ['https://other.example.com', audience],
      [audience, 'https://other.example.com'],
    ]) {
      expect(await authenticate(requestWith(await mint({ ...valid(), aud })))).toMatchObject({ id: 'alice' });
    }
  });

  it('accepts a token for any one of several configured audiences, and no other', async () => {
    const second = 'https://mcp.example.com/v2/mcp';
    const either = createJwtAuthenticator({ issuer, audience: [audience, second], key: secret });
    for (const aud of [audience, second, ['https://other.example.com', second]]) {
      expect(await either(requestWith(await mint({ ...valid(), aud })))).toMatchObject({ id: 'alice' });
    }
    const error = await rejection(
      Promise.resolve(either(requestWith(await mint({ ...valid(), aud: 'https://other.example.com' })))),
    );
    expect(error.message).toBe('The access token was issued for another audience');
  });

  it('answers a token without exp over HTTP with 401 invalid_token, and creates no session', async () => {
    const runtime = createSessionRuntime();
    const handler = createFetchHandler(runtime, { authenticate });
    const initialize = async (claims: JWTPayload) =>
      handler(
        new Request('http://localhost:3000/mcp', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            authorization: `Bearer ${await mint(claims)}`,
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 0,
            method: 'initialize',
            params: {
              protocolVersion: '2025-11-25',
              capabilities: {},
              clientInfo: { name: 'c', version: '1' },
            },
          }),
        }),
      );
    const refusedAnswer = await initialize(without('exp'));
    expect(refusedAnswer.status).toBe(401);
    expect(refusedAnswer.headers.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_token", error_description="The access token's exp claim is invalid"/,
    );
    await refusedAnswer.body?.cancel();
    expect(runtime.metrics().sessionsStarted).toBe(0);
    const accepted = await initialize(valid());
    expect(accepted.status).toBe(200);
    await accepted.body?.cancel();
    await runtime.close({ drainMs: 0 });
  });
});
