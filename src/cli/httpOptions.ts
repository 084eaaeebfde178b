/**
 * The options of `createNodeHandler` that `serve --http` flags ask for, and the paths the command
 * routes to the handler. The flags only choose among the handler's own options: a module defines the
 * runtime, never its HTTP handler, so nothing else sets these and no precedence arises.
 */
import type { StreamableHttpOptions } from '../http/index.js';
import type { HttpTransport, JwtFlags } from './args.js';
import { LoadError } from './load.js';

/**
 * Fewest bytes of an HMAC secret: RFC 7518 §3.2 wants a key at least as long as the hash output
 * (256 bits for HS256).
 */
export const MIN_SECRET_BYTES = 32;

/** The well-known path of RFC 9728 protected-resource metadata. */
const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The handler options of `transport` (without `onError`). `jose` is loaded only when JWT
 * authentication is asked for. A {@link LoadError} (exit 1) when the secret's environment variable
 * is unset or too short.
 */
export async function handlerOptions(
  transport: HttpTransport,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StreamableHttpOptions> {
  const { allowedHosts, allowedOrigins, cors, jwt, resource, metrics, dashboard } = transport;
  return {
    health: true,
    ...(allowedHosts === undefined ? {} : { allowedHosts }),
    ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
    ...(cors === undefined ? {} : { cors: { allowedOrigins: cors } }),
    ...(jwt === undefined ? {} : { authenticate: await authenticator(jwt, env) }),
    ...(resource === undefined || jwt === undefined
      ? {}
      : { protectedResource: { resource, authorizationServers: [jwt.issuer] } }),
    ...(metrics ? { metrics: true } : {}),
    ...(dashboard ? { dashboard: true } : {}),
  };
}

/**
 * The variable's name as printed: a name as long as a usable secret (32 bytes or more) may be the
 * secret itself, passed by mistake, so it is not repeated.
 */
function shownName(name: string): string {
  return name.length < MIN_SECRET_BYTES ? name : 'the variable it names';
}

async function authenticator(jwt: JwtFlags, env: NodeJS.ProcessEnv) {
  const { createJwtAuthenticator } = await import('../auth/index.js');
  const common = {
    issuer: jwt.issuer,
    audience: jwt.audience,
    ...(jwt.requiredScopes === undefined ? {} : { requiredScopes: jwt.requiredScopes }),
  };
  if (jwt.jwksUrl !== undefined) return createJwtAuthenticator({ ...common, jwksUri: jwt.jwksUrl });
  const name = jwt.secretEnv as string;
  const secret = env[name];
  if (secret === undefined || secret === '') {
    throw new LoadError(
      `--jwt-secret-env names ${shownName(name)}, which is not set: export the HMAC secret in it`,
    );
  }
  const key = new TextEncoder().encode(secret);
  if (key.length < MIN_SECRET_BYTES) {
    throw new LoadError(
      `the secret in ${shownName(name)} is ${key.length} bytes: an HMAC secret needs at least ${MIN_SECRET_BYTES} (RFC 7518 §3.2)`,
    );
  }
  return createJwtAuthenticator({ ...common, key });
}

/**
 * The paths the command hands to the handler: the MCP endpoint, `/health` and `/ready`, and those of
 * the protected-resource metadata, `/metrics` and `/dashboard` when on. Anything else is 404.
 */
export function routedPaths(transport: HttpTransport): ReadonlySet<string> {
  const paths = new Set([transport.path, '/health', '/ready']);
  if (transport.resource !== undefined && transport.jwt !== undefined) {
    // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
    const resourcePath = new URL(transport.resource).pathname.replace(/\/$/, '');
    paths.add(WELL_KNOWN).add(WELL_KNOWN + resourcePath);
  }
  if (transport.metrics) paths.add('/metrics');
  if (transport.dashboard) paths.add('/dashboard').add('/dashboard/').add('/dashboard/events');
  return paths;
}

/** What the serving line says is served beside the endpoint, e.g. `GET /health, /ready, /metrics`. */
export function servedBeside(transport: HttpTransport): string {
  const paths = ['/health', '/ready'];
  if (transport.metrics) paths.push('/metrics');
  if (transport.dashboard) paths.push('/dashboard');
  return `GET ${paths.join(', ')}`;
}

/** `url` without user info or query, either of which may carry a credential: `https://h/p?…`. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
}

/** One line on how requests are authenticated, or `undefined` when they are not. */
export function describeAuthentication(transport: HttpTransport): string | undefined {
  const jwt = transport.jwt;
  if (jwt === undefined) return undefined;
  const keys =
    jwt.jwksUrl !== undefined
      ? `keys from ${withoutCredentials(jwt.jwksUrl)}`
      : `HMAC secret from $${jwt.secretEnv}`;
  const scopes = jwt.requiredScopes === undefined ? '' : `, scopes ${jwt.requiredScopes.join(' ')}`;
  return `requests need a bearer JWT: issuer ${jwt.issuer}, audience ${jwt.audience} (${keys}${scopes})`;
}
