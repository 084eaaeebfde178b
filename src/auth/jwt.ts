/**
 * Bearer JWT access tokens, verified by `jose` (signature, algorithm, `exp`/`nbf`, `iss`, `aud`):
 * nothing about a token is checked by hand here. What this module adds is the MCP resource server's
 * policy: the audience is mandatory (a token minted for another service is refused, MCP
 * "Authorization" › "Token Audience Binding"), a subject is required, scopes are read from `scope`
 * or `scp`, and the failure becomes the right `WWW-Authenticate` challenge, or, when the key set
 * cannot be fetched, an {@link AuthenticatorUnavailableError} (503, not the token's fault).
 */
import type {
  CryptoKey,
  JWK,
  JWTPayload,
  JWTVerifyGetKey,
  JWTVerifyOptions,
  JWTVerifyResult,
  KeyObject,
} from 'jose';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Authenticate } from '../http/auth.js';
import { AuthenticationError, AuthenticatorUnavailableError } from '../http/auth.js';
import { assertOptionsObject, optionsTypeError } from '../runtime/optionsError.js';
import type { Principal } from '../runtime/types.js';

/** Options of {@link createJwtAuthenticator}. Give exactly one of `jwksUri`, `jwks` and `key`. */
export interface JwtAuthenticatorOptions {
  /** Accepted `iss` values (the authorization server's issuer identifier). */
  readonly issuer: string | readonly string[];
  /**
   * Accepted `aud` values: this server's canonical URL (its RFC 8707 resource indicator). Required:
   * a token for another audience is refused, so a token stolen from another service is useless here.
   */
  readonly audience: string | readonly string[];
  /**
   * Where the issuer publishes its signing keys (fetched, cached and refreshed by `jose`). A URL
   * with a user name or password is a `TypeError` (`fetch` refuses them); error messages show its
   * query, if any, as `?…`. When it cannot be fetched (connection refused, a status other than 200,
   * no answer within `jwksTimeoutMs`), the authenticator throws
   * {@link AuthenticatorUnavailableError}: the HTTP transport answers 503
   * `authentication_unavailable` with `Retry-After: 1`, not 401. A failed fetch is remembered for
   * that second: requests meanwhile fetch nothing. Tokens signed by a key of the last key set
   * fetched are still verified with it while the issuer cannot be reached; only the others get the
   * 503.
   */
  readonly jwksUri?: string | URL;
  /**
   * Milliseconds to wait for the `jwksUri` response (connection, status and body) before the
   * request is answered 503 `authentication_unavailable`. Only with `jwksUri`; an integer from 1
   * to 60,000.
   * @default 5000 (`jose`'s)
   */
  readonly jwksTimeoutMs?: number;
  /** The issuer's public keys, given inline. */
  readonly jwks?: { readonly keys: readonly JWK[] };
  /** One verification key: a public key, or the shared secret of an HMAC (HS256) issuer. */
  readonly key?: CryptoKey | KeyObject | Uint8Array;
  /**
   * Accepted `alg` values. `none` is never accepted.
   * @default the algorithms of `key` (ES256 for a P-256 key, HS256/384/512 for a secret…); the
   *   asymmetric ones for `jwksUri` and `jwks`
   */
  readonly algorithms?: readonly string[];
  /** Scopes every request's token must carry; a token without them gets 403 `insufficient_scope`. */
  readonly requiredScopes?: readonly string[];
  /**
   * Seconds of clock skew tolerated on `exp` and `nbf` (0 to 300).
   * @default 5
   */
  readonly clockToleranceSeconds?: number;
  /**
   * The `typ` header every token must carry, such as `at+jwt` (RFC 9068 access tokens). Set it when
   * the issuer marks its access tokens, so that its ID tokens cannot be used as access tokens.
   * @default not checked
   */
  readonly typ?: string;
  /**
   * Builds the principal from verified claims (to add a tenant, roles…). Its `id` must identify the
   * user: sessions are bound to it.
   * @default {@link JwtPrincipal} with `id` = `sub` (`iss` + space + `sub` when several issuers)
   */
  readonly toPrincipal?: (claims: JWTPayload) => Principal;
}

/** The principal of a verified token. The token itself is never kept: nothing can pass it on. */
export interface JwtPrincipal extends Principal {
  readonly subject: string;
  readonly issuer: string;
  readonly scopes: readonly string[];
  /** The OAuth client the token was issued to (`client_id` or `azp`), if the token says. */
  readonly clientId: string | undefined;
  /** Seconds since the epoch (`exp`). */
  readonly expiresAt: number;
}

/** Scopes of a token: `scope` (RFC 8693 §4.2, space-separated) or `scp` (a list, or a string). */
function scopesOf(claims: JWTPayload): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return raw.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(raw)) return raw.filter((scope): scope is string => typeof scope === 'string');
  return [];
}

/** What the client is told about a refused token: the kind of failure, never token content. */
function describe(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'The access token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'The access token was issued for another audience';
    if (error.claim === 'iss') return 'The access token was issued by an unknown issuer';
    if (error.claim === 'nbf') return 'The access token is not valid yet';
    return `The access token's ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return 'The access token signature does not verify';
  }
  // `none`, or an algorithm this runtime does not implement: refused either way.
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'The access token algorithm is not allowed';
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return 'The access token is malformed';
  }
  // Not the token's fault: a malformed key set or key (the issuer's configuration, which a retry
  // does not mend), a server failure, not a 401. A key set that could not be fetched (`JWKSTimeout`,
  // `jose`'s generic `JOSEError`) is an AuthenticatorUnavailableError before this is asked.
  if (
    error instanceof errors.JWKSInvalid ||
    error instanceof errors.JWKInvalid ||
    error instanceof errors.JWKSTimeout ||
    !(error instanceof errors.JOSEError) ||
    error.code === errors.JOSEError.code
  ) {
    return undefined;
  }
  // Any other `jose` error is about the token (its header, its claims, the key it names), whatever
  // `jose` version added it: a refused token, not a server failure.
  return 'The access token is invalid';
}

/**
 * Verifies `token` with each key of a set that could have signed it, in the set's order: a token
 * without `kid` against a set with several keys for its algorithm (issuers publish the next key
 * before they rotate to it), or a set with a repeated `kid`. `jose` leaves this to its caller. The
 * first key whose signature verifies decides: its claim checks apply (an expired token is refused
 * as expired). Throws `JWSSignatureVerificationFailed` when no key's signature verifies.
 */
async function verifyWithCandidates(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  for await (const candidate of candidates) {
    try {
      return await jwtVerify(token, candidate, options);
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) continue;
      throw error;
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
}

const asymmetricAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const curveAlgorithms: Readonly<Record<string, string>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/**
 * The algorithms a key can verify. Pinning them before verification is what refuses algorithm
 * confusion (an HS256 token "signed" with the public key, an RS256 token against an EC key) as a bad
 * token, before the key is ever used with the wrong algorithm.
 */
function algorithmsFor(key: CryptoKey | KeyObject | Uint8Array): string[] {
  if (key instanceof Uint8Array) return ['HS256', 'HS384', 'HS512'];
  if ('algorithm' in key) {
    const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
    const bits = algorithm.hash?.name.replace('SHA-', '');
    switch (algorithm.name) {
      case 'ECDSA':
        return [curveAlgorithms[algorithm.namedCurve ?? ''] ?? ''];
      case 'RSASSA-PKCS1-v1_5':
        return [`RS${bits}`];
      case 'RSA-PSS':
        return [`PS${bits}`];
      case 'HMAC':
        return [`HS${bits}`];
      case 'Ed25519':
        return ['EdDSA', 'Ed25519'];
    }
    return [];
  }
  if (key.type === 'secret') return ['HS256', 'HS384', 'HS512'];
  // A node:crypto KeyObject (jose types only the part it reads). An 'rsa-pss' KeyObject is not
  // listed: jose cannot use one ("Unsupported JWK Key Type" on every token), so it is refused here.
  const node = key as { asymmetricKeyType?: string; asymmetricKeyDetails?: { namedCurve?: string } };
  switch (node.asymmetricKeyType) {
    case 'ec':
      return [curveAlgorithms[node.asymmetricKeyDetails?.namedCurve ?? ''] ?? ''];
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
  }
  return [];
}

/**
 * Seconds a key set that could not be fetched is taken as unavailable without fetching it again:
 * the `Retry-After` of the 503 that answers in the meantime. `jose` remembers no failure: without
 * this, every request (a forged token with a new `kid` each time included) would fetch again.
 */
const jwksRetryAfterSeconds = 1;

/**
 * The remote key set of `url`, whose fetch failures become {@link AuthenticatorUnavailableError}
 * (with the failure as `cause`): no answer within the timeout (`JWKSTimeout`), a failure of the
 * `fetch` itself (connection refused, DNS, TLS: its `TypeError`), a status other than 200 or a body
 * that is not JSON (`jose`'s generic `JOSEError`, `ERR_JOSE_GENERIC`, thrown only there). Every
 * other error passes through as `jose` threw it: a token matching no key is the token's fault, a
 * malformed key set the issuer's configuration, which a retry does not mend.
 *
 * A failed fetch is remembered for {@link jwksRetryAfterSeconds}: until then nothing is fetched, and
 * tokens are verified with the last key set fetched, if any and fetched at most
 * {@link LAST_KEY_SET_MAX_AGE_MS} ago (`jose` keeps it, but refetches when it is older than its
 * `cacheMaxAge`, 10 minutes, or when a token names a key it lacks, and throws when that fails). A
 * token whose key is not in that set gets the AuthenticatorUnavailableError: the key may be new.
 */
/**
 * How long after it was fetched the last key set may still verify tokens while the JWKS cannot be
 * fetched (ms): 1 hour. Past it every token gets `AuthenticatorUnavailableError` until a fetch
 * succeeds, so a key the issuer withdrew during an outage is not trusted for the whole outage.
 */
export const LAST_KEY_SET_MAX_AGE_MS = 60 * 60_000;

function remoteKeySet(url: URL, timeoutMs: number | undefined): JWTVerifyGetKey {
  const fetchFailures = new WeakSet<object>();
  /** When the key set last came back (`performance.now()` ms), for {@link LAST_KEY_SET_MAX_AGE_MS}. */
  let fetchedAt = Number.NEGATIVE_INFINITY;
  const fetchKeySet: typeof fetch = (input, init) =>
    fetch(input, init).then(
      (response) => {
        if (response.ok) fetchedAt = performance.now();
        return response;
      },
      (error: unknown) => {
        if (typeof error === 'object' && error !== null) fetchFailures.add(error);
        throw error;
      },
    );
  const remote = createRemoteJWKSet(url, {
    [customFetch]: fetchKeySet,
    ...(timeoutMs === undefined ? {} : { timeoutDuration: timeoutMs }),
  });
  const unreachable = (error: unknown): boolean =>
    error instanceof errors.JWKSTimeout ||
    (error instanceof errors.JOSEError && error.code === errors.JOSEError.code) ||
    (typeof error === 'object' && error !== null && fetchFailures.has(error));
  /**
   * The last failed fetch: until when it stands (`performance.now()` ms: a wall clock set back must
   * not prolong it), and the set fetched before it.
   */
  let failed: {
    readonly until: number;
    readonly error: unknown;
    readonly lastSet: JWTVerifyGetKey | undefined;
  } = { until: 0, error: undefined, lastSet: undefined };
  // Messages reach logs: a query (which may carry a credential) is shown as `?…`.
  const shown = `${url.origin}${url.pathname}${url.search === '' ? '' : '?…'}`;
  const unavailable = (): AuthenticatorUnavailableError => {
    const why = failed.error instanceof Error ? failed.error.message : String(failed.error);
    return new AuthenticatorUnavailableError(`The JWKS at ${shown} could not be fetched: ${why}`, {
      cause: failed.error,
      retryAfterSeconds: (failed.until - performance.now()) / 1000,
    });
  };
  const fromLastSet: JWTVerifyGetKey = async (protectedHeader, token) => {
    if (failed.lastSet === undefined) throw unavailable();
    try {
      return await failed.lastSet(protectedHeader, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw unavailable();
      throw error;
    }
  };
  return async (protectedHeader, token) => {
    if (performance.now() < failed.until) return fromLastSet(protectedHeader, token);
    try {
      return await remote(protectedHeader, token);
    } catch (error) {
      if (!unreachable(error)) throw error;
      const lastSet = remote.jwks();
      // Trusted for a bounded time only: a key the issuer withdrew meanwhile must not live on.
      const usable = lastSet !== undefined && performance.now() - fetchedAt <= LAST_KEY_SET_MAX_AGE_MS;
      failed = {
        until: performance.now() + jwksRetryAfterSeconds * 1000,
        error,
        lastSet: usable ? createLocalJWKSet(lastSet) : undefined,
      };
      return fromLastSet(protectedHeader, token);
    }
  };
}

function keySource(options: JwtAuthenticatorOptions): CryptoKey | KeyObject | Uint8Array | JWTVerifyGetKey {
  const given = [options.jwksUri, options.jwks, options.key].filter((source) => source !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      'Expected exactly one of `jwksUri`, `jwks` and `key` in the JWT authenticator options',
    );
  }
  const timeoutMs = options.jwksTimeoutMs;
  if (timeoutMs !== undefined) {
    if (options.jwksUri === undefined) throw new TypeError('Expected `jwksTimeoutMs` only with `jwksUri`');
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
      throw new TypeError(`Expected \`jwksTimeoutMs\` to be an integer from 1 to 60000, got ${timeoutMs}`);
    }
  }
  if (options.jwksUri !== undefined) {
    const url = new URL(options.jwksUri);
    // `fetch` refuses such a URL, naming it whole in its error: refused here, without naming it.
    if (url.username !== '' || url.password !== '') {
      throw new TypeError('Expected a `jwksUri` without a user name or password (fetch refuses them)');
    }
    return remoteKeySet(url, timeoutMs);
  }
  if (options.jwks !== undefined) return createLocalJWKSet({ keys: [...options.jwks.keys] });
  return options.key as CryptoKey | KeyObject | Uint8Array;
}

function asList(value: string | readonly string[], name: string): string[] {
  const list = typeof value === 'string' ? [value] : [...value];
  if (list.length === 0 || list.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string or list of strings`);
  }
  return list;
}

const stringOrList = z.union([z.string(), z.array(z.string())]);

/** One row per option of {@link JwtAuthenticatorOptions}: types and names; the rules are checked below. */
const jwtOptionsSchema = z.strictObject({
  issuer: stringOrList,
  audience: stringOrList,
  jwksUri: z.union([z.string(), z.instanceof(URL)]).optional(),
  jwksTimeoutMs: z.number().optional(),
  jwks: z.looseObject({ keys: z.array(z.looseObject({})) }).optional(),
  key: z.custom<object>((value) => typeof value === 'object' && value !== null, 'Expected a key').optional(),
  algorithms: z.array(z.string()).optional(),
  requiredScopes: z.array(z.string()).optional(),
  clockToleranceSeconds: z.number().optional(),
  typ: z.string().optional(),
  toPrincipal: z.function().optional(),
});

/**
 * An `authenticate` hook for the HTTP transport that accepts `Authorization: Bearer <JWT>` access
 * tokens of one authorization server for this server's audience.
 *
 * @example
 * ```ts
 * const authenticate = createJwtAuthenticator({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://mcp.example.com/mcp',
 *   jwksUri: 'https://auth.example.com/.well-known/jwks.json',
 * });
 * createNodeHandler(runtime, { authenticate, protectedResource: { ... } });
 * ```
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  if (options === undefined) throw new TypeError('Expected JWT authenticator options, got `undefined`');
  assertOptionsObject(options);
  const parsed = jwtOptionsSchema.safeParse(options);
  if (!parsed.success) throw optionsTypeError(parsed.error, options, jwtOptionsSchema);
  const issuers = asList(options.issuer, 'issuer');
  const audiences = asList(options.audience, 'audience');
  const key = keySource(options);
  const algorithms =
    options.algorithms !== undefined
      ? [...options.algorithms]
      : typeof key === 'function'
        ? asymmetricAlgorithms
        : algorithmsFor(key).filter((algorithm) => algorithm !== '');
  if (algorithms.length === 0 || algorithms.includes('none')) {
    throw new TypeError('Expected `algorithms` to list the signing algorithms of this key (never `none`)');
  }
  const requiredScopes = options.requiredScopes ?? [];
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  if (!(clockTolerance >= 0 && clockTolerance <= 300)) {
    throw new TypeError(`Expected \`clockToleranceSeconds\` to be between 0 and 300, got ${clockTolerance}`);
  }
  const verifyOptions = {
    issuer: issuers,
    audience: audiences,
    algorithms,
    clockTolerance,
    requiredClaims: ['sub', 'exp'],
    ...(options.typ === undefined ? {} : { typ: options.typ }),
  };
  const toPrincipal =
    options.toPrincipal ??
    ((claims: JWTPayload): JwtPrincipal => {
      const subject = claims.sub as string;
      const issuer = claims.iss as string;
      const clientId = claims.client_id ?? claims.azp;
      return {
        id: issuers.length === 1 ? subject : `${issuer} ${subject}`,
        subject,
        issuer,
        scopes: scopesOf(claims),
        clientId: typeof clientId === 'string' ? clientId : undefined,
        expiresAt: claims.exp as number,
      };
    });
  return async (request) => {
    const token = request.bearerToken;
    if (token === undefined) {
      // A header that is present but not a well-formed bearer token is a bad credential, not none.
      if (request.header('authorization') !== undefined) {
        throw new AuthenticationError('invalid_token', 'Expected `Authorization: Bearer <token>`');
      }
      return undefined;
    }
    let claims: JWTPayload;
    try {
      // The overloads of jwtVerify differ only in the key's type; one call serves every source.
      ({ payload: claims } = await jwtVerify(token, key as Uint8Array, verifyOptions).catch(
        (error: unknown) => {
          if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
          return verifyWithCandidates(token, error, verifyOptions);
        },
      ));
    } catch (error) {
      if (error instanceof AuthenticatorUnavailableError) throw error;
      const description = describe(error);
      if (description === undefined) throw error;
      throw new AuthenticationError('invalid_token', description);
    }
    // jose checks that `sub` is present, not what it is: a number or an object as the user id
    // would collide users or break the principal contract.
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      throw new AuthenticationError('invalid_token', "The access token's sub claim is invalid");
    }
    if (requiredScopes.length > 0) {
      const granted = new Set(scopesOf(claims));
      if (!requiredScopes.every((scope) => granted.has(scope))) {
        throw new AuthenticationError('insufficient_scope', 'The access token lacks a required scope', {
          scope: requiredScopes.join(' '),
        });
      }
    }
    return toPrincipal(claims);
  };
}
