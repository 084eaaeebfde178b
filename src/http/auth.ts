/**
 * Authentication of the Streamable HTTP transport: the hook every request passes through, the
 * challenges of MCP authorization (2025-11-25, "Authorization": an OAuth 2.1 protected resource that
 * answers 401 with `WWW-Authenticate` naming its RFC 9728 metadata) and that metadata document.
 */
import type { Principal } from '../runtime/types.js';

/** What an {@link StreamableHttpOptions.authenticate} hook may read of a request. */
export interface AuthenticationRequest {
  /** The request method, upper case. */
  readonly method: string;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The token of an `Authorization: Bearer <token>` header, if there is one (RFC 6750 §2.1). */
  readonly bearerToken: string | undefined;
}

/**
 * Decides who sends a request: the verified principal, or `undefined` to refuse it with 401. Throw
 * an {@link AuthenticationError} to say why (`invalid_token` → 401, `insufficient_scope` → 403), or
 * an {@link AuthenticatorUnavailableError} when what verifies credentials cannot be reached (a key
 * set, an introspection endpoint: 503 `authentication_unavailable` with `Retry-After`, reported to
 * `onError`). Any other exception is a failure of the server (500, reported to `onError`), never a
 * pass.
 */
export type Authenticate = (
  request: AuthenticationRequest,
) => Principal | undefined | Promise<Principal | undefined>;

/** RFC 6750 §3.1 error codes a resource server answers with. */
export type AuthenticationErrorCode = 'invalid_token' | 'insufficient_scope';

/**
 * Why a request was not authenticated, as RFC 6750 names it. Its `description` reaches the client in
 * `WWW-Authenticate` (`error_description`): keep it free of secrets.
 *
 * @example
 * ```ts
 * throw new AuthenticationError('insufficient_scope', 'The tools need the mcp:tools scope', {
 *   scope: 'mcp:tools',
 * });
 * ```
 */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  readonly code: AuthenticationErrorCode;
  /** For `insufficient_scope`: the scopes (space-separated) a token needs. */
  readonly scope: string | undefined;

  constructor(code: AuthenticationErrorCode, description?: string, options: { scope?: string } = {}) {
    super(description ?? (code === 'invalid_token' ? 'Invalid access token' : 'Insufficient scope'));
    this.code = code;
    this.scope = options.scope;
  }
}

/**
 * What verifies credentials cannot be reached now: the issuer's key set (JWKS) did not answer, timed
 * out or answered with an error status, or an introspection endpoint is down. The request's token
 * may be fine, so the client is not told it is invalid: the transport answers 503 with
 * `Retry-After: retryAfterSeconds` and JSON-RPC -32000, `data.reason` `authentication_unavailable`
 * (counted in the runtime's refusals under that reason), and reports this error to `onError`. Its
 * message and `cause` reach only `onError`, never the client. Thrown by `createJwtAuthenticator`;
 * a custom `authenticate` hook may throw it too.
 *
 * @example
 * ```ts
 * const authenticate: Authenticate = async (request) => {
 *   const response = await fetch(introspectionUrl, { ... }).catch((cause: unknown) => {
 *     throw new AuthenticatorUnavailableError('Token introspection unreachable', { cause });
 *   });
 *   ...
 * };
 * ```
 */
export class AuthenticatorUnavailableError extends Error {
  override readonly name = 'AuthenticatorUnavailableError';
  /**
   * Seconds after which a retry may succeed, sent as `Retry-After` (a whole number, at least 1).
   * @default 1
   */
  readonly retryAfterSeconds: number;

  /**
   * @param message what failed, for `onError` (never sent to the client).
   * @param options `retryAfterSeconds` (rounded up to a whole number, at least 1; default 1) and the
   *   `cause`.
   */
  constructor(
    message: string,
    options: { readonly retryAfterSeconds?: number; readonly cause?: unknown } = {},
  ) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    const seconds = options.retryAfterSeconds;
    this.retryAfterSeconds =
      typeof seconds === 'number' && Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
  }
}

/**
 * The RFC 9728 metadata of this MCP server as an OAuth protected resource. Served at
 * `/.well-known/oauth-protected-resource` and at that path followed by the resource's own path
 * (`/.well-known/oauth-protected-resource/mcp` for `https://example.com/mcp`), and named in every
 * 401's `WWW-Authenticate`.
 */
export interface ProtectedResourceOptions {
  /** The canonical URL of the MCP endpoint (RFC 8707 resource indicator), the audience of its tokens. */
  readonly resource: string;
  /** Issuers of the authorization servers that mint tokens for it. */
  readonly authorizationServers: readonly string[];
  /** Scopes a client may request; also sent as `scope` in 401 challenges. */
  readonly scopesSupported?: readonly string[];
  /** A human-readable name. */
  readonly resourceName?: string;
  /** A page documenting the server for developers. */
  readonly resourceDocumentation?: string;
}

/** Protected-resource metadata, resolved once. @internal */
export interface ResolvedProtectedResource {
  /** Paths the metadata is served at. */
  readonly paths: ReadonlySet<string>;
  /** The metadata URL named in `WWW-Authenticate`. */
  readonly metadataUrl: string;
  /** The document, serialized once. */
  readonly body: string;
  readonly scope: string | undefined;
}

const wellKnownPath = '/.well-known/oauth-protected-resource';

/** Reads the options once; a malformed URL throws a `TypeError`. @internal */
export function resolveProtectedResource(options: ProtectedResourceOptions): ResolvedProtectedResource {
  let resource: URL;
  try {
    resource = new URL(options.resource);
  } catch {
    throw new TypeError(
      `Expected \`protectedResource.resource\` to be an absolute URL, got ${JSON.stringify(options.resource)}`,
    );
  }
  // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
  const resourcePath = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const metadataPath = wellKnownPath + resourcePath;
  const document: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: options.authorizationServers,
    bearer_methods_supported: ['header'],
  };
  if (options.scopesSupported !== undefined) document.scopes_supported = options.scopesSupported;
  if (options.resourceName !== undefined) document.resource_name = options.resourceName;
  if (options.resourceDocumentation !== undefined) {
    document.resource_documentation = options.resourceDocumentation;
  }
  return {
    paths: new Set([wellKnownPath, metadataPath]),
    metadataUrl: resource.origin + metadataPath,
    body: JSON.stringify(document),
    scope: options.scopesSupported?.join(' '),
  };
}

/** The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235 §2.1). @internal */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  return match?.[1];
}

/**
 * A quoted-string parameter value in RFC 6750's character set (%x20-21 / %x23-5B / %x5D-7E): `"`,
 * `\\`, controls and non-ASCII (which `node:http` and `Headers` would refuse, failing the answer)
 * become `?`.
 */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}

/**
 * The `WWW-Authenticate` value of a refusal (RFC 6750 §3): no error code when the request carried no
 * credentials, the error and its description when it carried bad ones. @internal
 */
export function challengeOf(
  error: AuthenticationError | undefined,
  resource: ResolvedProtectedResource | undefined,
): string {
  const params: string[] = [];
  if (error !== undefined) {
    params.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.message)}`);
  }
  const scope = error?.scope ?? resource?.scope;
  if (scope !== undefined) params.push(`scope=${quoted(scope)}`);
  if (resource !== undefined) params.push(`resource_metadata=${quoted(resource.metadataUrl)}`);
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}
