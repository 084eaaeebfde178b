/**
 * `createJwtAuthenticator` on its own: each kind of key, the algorithms it pins, its option checks,
 * and the principal it builds. The HTTP behaviour is in authentication.test.ts.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWTPayload } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AuthenticationRequest, JwtPrincipal } from '../../src/auth/index.js';
import {
  AuthenticationError,
  AuthenticatorUnavailableError,
  createJwtAuthenticator,
} from '../../src/auth/index.js';
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

/** Runs `listener` on an ephemeral local port for the length of `use`, given the JWKS URL. */
async function withJwksServer<T>(
  listener: RequestListener,
  use: (jwksUri: string) => Promise<T>,
): Promise<T> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The URL of a local port nothing listens on any more: connections to it are refused. */
async function refusingJwksUri(): Promise<string> {
  return withJwksServer(
    () => {},
    async (jwksUri) => jwksUri,
  );
}

async function failureOf(promise: unknown): Promise<unknown> {
  return Promise.resolve(promise).then(
    () => undefined,
    (reason: unknown) => reason,
  );
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

  it('fetches a remote JWKS, and reports an unreachable one as unavailable, not as a bad token', async () => {
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
    const failure = await failureOf(unreachable(requestWith(await sign(pair.privateKey, 'ES256', {}, 'k1'))));
    expect(failure).toBeInstanceOf(AuthenticatorUnavailableError);
    expect(failure).not.toBeInstanceOf(AuthenticationError);
  });

  describe('a JWKS that cannot be fetched: AuthenticatorUnavailableError, naming the URL and the cause', () => {
    const token = async () => sign((await generateKeyPair('ES256')).privateKey, 'ES256', {}, 'k1');

    it('on a port that refuses connections', async () => {
      const jwksUri = await refusingJwksUri();
      const authenticate = createJwtAuthenticator({ issuer, audience, jwksUri });
      const failure = await failureOf(authenticate(requestWith(await token())));
      expect(failure).toBeInstanceOf(AuthenticatorUnavailableError);
      const error = failure as AuthenticatorUnavailableError;
      expect(error.retryAfterSeconds).toBe(1);
      expect(error.message).toContain(jwksUri);
      expect(error.cause).toBeInstanceOf(TypeError);
    });

    it('that answers 500', async () => {
      const failure = await withJwksServer(
        (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('down'),
        async (jwksUri) =>
          failureOf(createJwtAuthenticator({ issuer, audience, jwksUri })(requestWith(await token()))),
      );
      expect(failure).toBeInstanceOf(AuthenticatorUnavailableError);
      expect((failure as Error).message).toMatch(/Expected 200 OK/);
    });

    it('that does not answer within jwksTimeoutMs', async () => {
      const failure = await withJwksServer(
        () => {},
        async (jwksUri) =>
          failureOf(
            createJwtAuthenticator({ issuer, audience, jwksUri, jwksTimeoutMs: 50 })(
              requestWith(await token()),
            ),
          ),
      );
      expect(failure).toBeInstanceOf(AuthenticatorUnavailableError);
      expect((failure as Error).cause).toMatchObject({ code: 'ERR_JWKS_TIMEOUT' });
    });

    it("but a reachable JWKS without the token's key, or a malformed one, is not unavailable", async () => {
      const other = await generateKeyPair('ES256');
      const keys = JSON.stringify({
        keys: [{ ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'ES256' }],
      });
      const noKey = await withJwksServer(
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(keys),
        async (jwksUri) =>
          rejection(
            Promise.resolve(
              createJwtAuthenticator({ issuer, audience, jwksUri })(requestWith(await token())),
            ),
          ),
      );
      expect(noKey.message).toBe('The access token signature does not verify');
      const malformed = await withJwksServer(
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"none"}'),
        async (jwksUri) =>
          failureOf(createJwtAuthenticator({ issuer, audience, jwksUri })(requestWith(await token()))),
      );
      expect(malformed).toMatchObject({ code: 'ERR_JWKS_INVALID' });
      expect(malformed).not.toBeInstanceOf(AuthenticatorUnavailableError);
    });
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
    expect(() => createJwtAuthenticator({ issuer, audience, key, jwksTimeoutMs: 100 })).toThrow(
      /`jwksTimeoutMs` only with `jwksUri`/,
    );
    for (const jwksTimeoutMs of [0, 1.5, 60_001]) {
      expect(() =>
        createJwtAuthenticator({ issuer, audience, jwksUri: 'https://x.example/jwks', jwksTimeoutMs }),
      ).toThrow(/`jwksTimeoutMs` to be an integer from 1 to 60000/);
    }
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
  // Created in each test, not here: an authenticator that throws must fail a test, not the file.
  const authenticator = () => createJwtAuthenticator({ issuer, audience, key: secret });

  it('accepts the token with every claim right, and builds the principal from it', async () => {
    const claims = { ...valid(), scope: 'read write', client_id: 'inspector' };
    expect(await authenticator()(requestWith(await mint(claims)))).toEqual({
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
      () => ({ ...valid(), exp: `${now() + 300}` as unknown as number }),
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
    const error = await rejection(Promise.resolve(authenticator()(requestWith(await mint(claims())))));
    expect(error.code).toBe('invalid_token');
    expect(error.message).toMatch(description);
  });

  it('accepts an aud list that contains our audience, wherever it stands', async () => {
    for (const aud of [
      [audience],
      ['https://other.example.com', audience],
      [audience, 'https://other.example.com'],
    ]) {
      expect(await authenticator()(requestWith(await mint({ ...valid(), aud })))).toMatchObject({
        id: 'alice',
      });
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
    const handler = createFetchHandler(runtime, { authenticate: authenticator() });
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

/**
 * Which algorithms each kind of key admits when `algorithms` is not given (one per kind of key in
 * WebCrypto and node:crypto), and the scopes and client id read into the principal.
 */
describe('the algorithms a key admits by default', () => {
  const signed = (key: Parameters<SignJWT['sign']>[0], alg: string, kid?: string) => sign(key, alg, {}, kid);
  const accepts = async (authenticate: ReturnType<typeof createJwtAuthenticator>, token: string) =>
    expect(await authenticate(requestWith(token))).toMatchObject({ id: 'alice' });
  const refuses = async (authenticate: ReturnType<typeof createJwtAuthenticator>, token: string) =>
    expect((await rejection(Promise.resolve(authenticate(requestWith(token))))).message).toBe(
      'The access token algorithm is not allowed',
    );

  it('a secret (bytes or KeyObject) admits HS256, HS384 and HS512', async () => {
    const bytes = new TextEncoder().encode('h'.repeat(64));
    for (const key of [bytes, createSecretKey(Buffer.from(bytes))]) {
      const authenticate = createJwtAuthenticator({ issuer, audience, key });
      for (const alg of ['HS256', 'HS384', 'HS512']) await accepts(authenticate, await signed(key, alg));
    }
  });

  it('a node:crypto EC key admits the one ES algorithm of its curve', async () => {
    const curves = [
      ['prime256v1', 'ES256', 'ES384'],
      ['secp384r1', 'ES384', 'ES512'],
      ['secp521r1', 'ES512', 'ES256'],
    ] as const;
    for (const [namedCurve, alg, other] of curves) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
      const authenticate = createJwtAuthenticator({ issuer, audience, key: publicKey });
      await accepts(authenticate, await signed(privateKey, alg));
      const otherCurve = other === 'ES256' ? 'prime256v1' : other === 'ES384' ? 'secp384r1' : 'secp521r1';
      await refuses(
        authenticate,
        await signed(generateKeyPairSync('ec', { namedCurve: otherCurve }).privateKey, other),
      );
    }
  });

  it('a WebCrypto ECDSA key admits the one ES algorithm of its curve', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512']) {
      const { publicKey, privateKey } = await generateKeyPair(alg);
      const authenticate = createJwtAuthenticator({ issuer, audience, key: publicKey });
      await accepts(authenticate, await signed(privateKey, alg));
    }
  });

  it('a node:crypto RSA key admits RS* and PS*', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const withRsa = createJwtAuthenticator({ issuer, audience, key: rsa.publicKey });
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
      await accepts(withRsa, await signed(rsa.privateKey, alg));
    }
  });

  it('a WebCrypto RSA key admits the one algorithm it was made for', async () => {
    for (const [alg, other] of [
      ['RS384', 'PS384'],
      ['PS256', 'RS256'],
    ] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg);
      const authenticate = createJwtAuthenticator({ issuer, audience, key: publicKey });
      await accepts(authenticate, await signed(privateKey, alg));
      await refuses(authenticate, await signed((await generateKeyPair(other)).privateKey, other));
    }
  });

  it('a WebCrypto HMAC key admits the HS algorithm of its hash', async () => {
    const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-384' }, true, ['sign', 'verify']);
    const authenticate = createJwtAuthenticator({ issuer, audience, key });
    await accepts(authenticate, await signed(key, 'HS384'));
  });

  it('an Ed25519 key (node:crypto or WebCrypto) admits EdDSA and Ed25519', async () => {
    const node = generateKeyPairSync('ed25519');
    const web = await generateKeyPair('Ed25519');
    for (const { publicKey, privateKey } of [node, web]) {
      const authenticate = createJwtAuthenticator({ issuer, audience, key: publicKey });
      for (const alg of ['EdDSA', 'Ed25519']) await accepts(authenticate, await signed(privateKey, alg));
    }
  });

  it('a JWKS admits every asymmetric algorithm, and no HMAC', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = {
      ES256: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
      ES384: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      ES512: generateKeyPairSync('ec', { namedCurve: 'secp521r1' }),
    };
    const ed = generateKeyPairSync('ed25519');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa' },
      ...(await Promise.all(
        Object.entries(ec).map(async ([alg, pair]) => ({ ...(await exportJWK(pair.publicKey)), kid: alg })),
      )),
      { ...(await exportJWK(ed.publicKey)), kid: 'ed' },
    ];
    const authenticate = createJwtAuthenticator({ issuer, audience, jwks: { keys } });
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
      await accepts(authenticate, await signed(rsa.privateKey, alg, 'rsa'));
    }
    for (const [alg, pair] of Object.entries(ec))
      await accepts(authenticate, await signed(pair.privateKey, alg, alg));
    for (const alg of ['EdDSA', 'Ed25519'])
      await accepts(authenticate, await signed(ed.privateKey, alg, 'ed'));
    await refuses(authenticate, await signed(new TextEncoder().encode('x'.repeat(32)), 'HS256', 'rsa'));
  });

  it('refuses at construction a key it cannot name an algorithm for', async () => {
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    const x25519 = generateKeyPairSync('x25519').publicKey;
    const { publicKey: ecdh } = (await crypto.subtle.generateKey(
      { name: 'ECDH', namedCurve: 'P-256' },
      true,
      ['deriveBits'],
    )) as { publicKey: CryptoKey };
    // jose cannot verify with an RSA-PSS KeyObject: accepting one would fail every request with a 500.
    const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey;
    for (const key of [secp256k1, x25519, ecdh, rsaPss]) {
      expect(() => createJwtAuthenticator({ issuer, audience, key })).toThrow(/never `none`/);
    }
  });

  it('uses the algorithms given instead of the key’s own', async () => {
    const secret = new TextEncoder().encode('g'.repeat(32));
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret, algorithms: ['HS384'] });
    await accepts(authenticate, await signed(secret, 'HS384'));
    await refuses(authenticate, await signed(secret, 'HS256'));
  });
});

describe('option checks and what the principal carries', () => {
  const secret = new TextEncoder().encode('o'.repeat(32));

  it('refuses an issuer or audience list with an empty or non-string entry', () => {
    for (const bad of [
      [issuer, ''],
      ['', issuer],
      [issuer, 5 as unknown as string],
    ]) {
      expect(() => createJwtAuthenticator({ issuer: bad, audience, key: secret })).toThrow(/`issuer`/);
      expect(() => createJwtAuthenticator({ issuer, audience: bad, key: secret })).toThrow(/`audience`/);
    }
  });

  it('accepts a clock tolerance from 0 to 300 seconds and nothing else', () => {
    for (const seconds of [0, 300]) {
      expect(() =>
        createJwtAuthenticator({ issuer, audience, key: secret, clockToleranceSeconds: seconds }),
      ).not.toThrow();
    }
    for (const seconds of [-1, 300.5, 301, Number.NaN]) {
      expect(() =>
        createJwtAuthenticator({ issuer, audience, key: secret, clockToleranceSeconds: seconds }),
      ).toThrow(/clockToleranceSeconds/);
    }
  });

  it('reads scopes from a space-separated scope with extra spaces, or an scp list, keeping only strings', async () => {
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret });
    const scopesOf = async (claims: JWTPayload) =>
      ((await authenticate(requestWith(await sign(secret, 'HS256', claims)))) as JwtPrincipal).scopes;
    expect(await scopesOf({ scope: ' read  write ' })).toEqual(['read', 'write']);
    expect(await scopesOf({ scope: undefined, scp: ['read', 5, null, 'write'] })).toEqual(['read', 'write']);
    expect(await scopesOf({ scope: undefined, scp: 'read write' })).toEqual(['read', 'write']);
    expect(await scopesOf({ scope: undefined })).toEqual([]);
    expect(await scopesOf({ scope: 7 as unknown as string })).toEqual([]);
  });

  it('reads the client id from client_id, else azp, and only as a string', async () => {
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret });
    const clientIdOf = async (claims: JWTPayload) =>
      ((await authenticate(requestWith(await sign(secret, 'HS256', claims)))) as JwtPrincipal).clientId;
    expect(await clientIdOf({ client_id: 'cli', azp: 'other' })).toBe('cli');
    expect(await clientIdOf({ azp: 'party' })).toBe('party');
    expect(await clientIdOf({ client_id: 42 })).toBeUndefined();
    expect(await clientIdOf({})).toBeUndefined();
  });

  it('tells a client whose Authorization header is not a bearer token what was expected', async () => {
    const authenticate = createJwtAuthenticator({ issuer, audience, key: secret });
    const error = await rejection(
      Promise.resolve(authenticate(requestWith(undefined, 'Basic YWxpY2U6cHc='))),
    );
    expect(error.message).toBe('Expected `Authorization: Bearer <token>`');
  });
});
