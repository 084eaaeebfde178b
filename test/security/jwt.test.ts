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

describe('createJwtAuthenticator options', () => {
  const key = new TextEncoder().encode('s'.repeat(32));

  it.each([
    [{ issuer, audiences: audience, key }, 'Unknown option `audiences`; did you mean `audience`?'],
    [{ issuers: issuer, audience, key }, 'Unknown option `issuers`; did you mean `issuer`?'],
    [{ issuer, audience, jwksUrl: 'https://x/jwks' }, 'Unknown option `jwksUrl`; did you mean `jwksUri`?'],
    [
      { issuer, audience, key, algorithm: ['HS256'] },
      'Unknown option `algorithm`; did you mean `algorithms`?',
    ],
    [
      { issuer, audience, key, requiredScope: ['a'] },
      'Unknown option `requiredScope`; did you mean `requiredScopes`?',
    ],
    [
      { issuer, audience, key, clockTolerance: 5 },
      'Unknown option `clockTolerance`; did you mean `clockToleranceSeconds`?',
    ],
  ])('rejects a misspelt option, naming the closest (%j)', (options, message) => {
    expect(() => createJwtAuthenticator(options as never)).toThrow(TypeError);
    expect(() => createJwtAuthenticator(options as never)).toThrow(message);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'https://issuer.example.com'],
  ])('rejects %s as options', (_, options) => {
    expect(() => createJwtAuthenticator(options as never)).toThrow(TypeError);
    expect(() => createJwtAuthenticator(options as never)).toThrow(/^Expected/);
  });

  it.each([
    [{ issuer: 42, audience, key }, /`issuer`/],
    [{ issuer, audience, key, typ: 1 }, /`typ`/],
    [{ issuer, audience, key, toPrincipal: 'sub' }, /`toPrincipal`/],
  ])('rejects an option of the wrong type, naming it (%j)', (options, message) => {
    expect(() => createJwtAuthenticator(options as never)).toThrow(message);
  });
});
