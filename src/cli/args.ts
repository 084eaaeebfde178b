/**
 * The command line of `mcp-session-runtime`: parsed into a typed request, or refused with one line
 * saying why (the caller prints it with the usage and exits 2, as POSIX utilities do for a usage
 * error). Nothing here touches the file system or the network.
 */
import { closestName } from '../protocol/closestName.js';

/** Bearer JWT authentication, as `createJwtAuthenticator` takes it (`--jwt-*`). */
export interface JwtFlags {
  /** The accepted `iss` (`--jwt-issuer`). */
  readonly issuer: string;
  /** The accepted `aud` (`--jwt-audience`, else `--resource`). */
  readonly audience: string;
  /** Where the issuer publishes its keys (`--jwt-jwks-url`); or else `secretEnv`. */
  readonly jwksUrl: string | undefined;
  /** The environment variable holding an HMAC (HS256/384/512) secret (`--jwt-secret-env`). */
  readonly secretEnv: string | undefined;
  /** Scopes every token must carry (`--jwt-required-scopes`); `undefined`: none. */
  readonly requiredScopes: readonly string[] | undefined;
}

/** Serving over Streamable HTTP, with the handler options the flags set. */
export interface HttpTransport {
  readonly kind: 'http';
  /** TCP port; `0` lets the system pick one (the serving line names it). */
  readonly port: number;
  readonly host: string;
  /** The MCP endpoint's path, e.g. `/mcp`. */
  readonly path: string;
  /** The handler's `allowedHosts`; `undefined` keeps its default (localhost names). */
  readonly allowedHosts: readonly string[] | '*' | undefined;
  /** The handler's `allowedOrigins`; `undefined` keeps its default (localhost names). */
  readonly allowedOrigins: readonly string[] | '*' | undefined;
  /** The handler's `cors.allowedOrigins` (full origins); `undefined`: CORS off. */
  readonly cors: readonly string[] | undefined;
  /** The handler's `authenticate`, a JWT authenticator; `undefined`: every request is anonymous. */
  readonly jwt: JwtFlags | undefined;
  /** The handler's `protectedResource.resource` (its issuer is `jwt.issuer`); `undefined`: none. */
  readonly resource: string | undefined;
  /** The handler's `metrics: true` (`GET /metrics`, loopback peers only). */
  readonly metrics: boolean;
  /** The handler's `dashboard: true` (`GET /dashboard`, loopback peers only). */
  readonly dashboard: boolean;
}

/** How a module is served. */
export type Transport = HttpTransport | { readonly kind: 'stdio' };

/** A command to run. */
export interface RunRequest {
  readonly kind: 'run';
  readonly command: 'serve' | 'dev';
  /** The module as given (relative to the working directory, or absolute). */
  readonly module: string;
  readonly transport: Transport;
  /** Milliseconds running requests may go on after SIGINT/SIGTERM (or, in `dev`, a change). */
  readonly drainMs: number;
  /** Print the MCP Inspector command for the server once it serves. */
  readonly inspect: boolean;
  /** `dev` only: folders to watch; empty means the module's folder. */
  readonly watch: readonly string[];
}

/** What the command line asks for. */
export type CliRequest =
  | RunRequest
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage-error'; readonly message: string };

/** The default port of `--http` without a number. */
export const DEFAULT_PORT = 3000;
/** Drain grace on SIGINT/SIGTERM for `serve`, as `runtime.close()`'s own default. */
export const DEFAULT_DRAIN_MS = 5_000;
/** Drain grace of `dev` before a restart: short, so an edit is served promptly. */
export const DEFAULT_DEV_DRAIN_MS = 1_000;

const COMMANDS = ['serve', 'dev'] as const;
/** HTTP options that take a value (`--host 0.0.0.0` or `--host=0.0.0.0`). */
const HTTP_VALUED = [
  '--host',
  '--path',
  '--allowed-hosts',
  '--allowed-origins',
  '--cors',
  '--jwt-issuer',
  '--jwt-audience',
  '--jwt-jwks-url',
  '--jwt-secret-env',
  '--jwt-required-scopes',
  '--resource',
] as const;
/** Every option the command takes. */
export const OPTIONS = [
  '--http',
  '--stdio',
  ...HTTP_VALUED,
  '--metrics',
  '--dashboard',
  '--drain-ms',
  '--watch',
  '--inspect',
  '--help',
  '--version',
] as const;
/** Options that take a value. */
const VALUED = new Set<string>([...HTTP_VALUED, '--drain-ms', '--watch']);
/** Options that only mean something with HTTP. */
const HTTP_ONLY = [...HTTP_VALUED, '--metrics', '--dashboard'] as const;

const usageError = (message: string): CliRequest => ({ kind: 'usage-error', message });

/**
 * Parses `argv` (without `node` and the script). `-h`/`--help` and `-v`/`--version` win over
 * anything else on the line; every other mistake is a `usage-error` naming the first problem.
 *
 * @example
 * ```ts
 * parseArgs(['serve', './server.ts', '--http', '8080']);
 * // { kind: 'run', command: 'serve', module: './server.ts', transport: { kind: 'http', port: 8080, … }, … }
 * ```
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  if (argv.some((arg) => arg === '-h' || arg === '--help')) return { kind: 'help' };
  if (argv.some((arg) => arg === '-v' || arg === '--version')) return { kind: 'version' };

  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  let httpPort: string | undefined;
  let http = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') {
      if (arg === '--') positionals.push(...argv.slice(index + 1));
      else positionals.push(arg);
      if (arg === '--') break;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    if (!(OPTIONS as readonly string[]).includes(name)) {
      const suggestion = name.startsWith('--') ? closestName(name, OPTIONS) : undefined;
      return usageError(
        `unknown option '${name}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`,
      );
    }
    if (name === '--http') {
      if (http) return usageError("'--http' was given twice");
      http = true;
      const next = argv[index + 1];
      if (inline !== undefined) httpPort = inline;
      else if (next !== undefined && /^\d+$/.test(next)) {
        httpPort = next;
        index++;
      }
      continue;
    }
    if (VALUED.has(name)) {
      let value = inline;
      if (value === undefined) {
        const next = argv[index + 1];
        if (next === undefined || next.startsWith('-')) return usageError(`'${name}' needs a value`);
        value = next;
        index++;
      }
      if (values.has(name) && name !== '--watch') return usageError(`'${name}' was given twice`);
      values.set(name, [...(values.get(name) ?? []), value]);
      continue;
    }
    if (inline !== undefined) return usageError(`'${name}' takes no value`);
    flags.add(name);
  }

  const [command, module, ...extra] = positionals;
  if (command === undefined) return usageError('missing command: serve or dev');
  if (!(COMMANDS as readonly string[]).includes(command)) {
    const suggestion = closestName(command, COMMANDS);
    return usageError(
      `unknown command '${command}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`,
    );
  }
  if (module === undefined) return usageError(`missing module: ${command} <module>, e.g. ./server.ts`);
  if (extra.length > 0) return usageError(`unexpected argument '${extra[0]}'`);

  const stdio = flags.has('--stdio');
  if (stdio && http) return usageError("choose one transport: '--http' or '--stdio'");
  if (stdio && command === 'dev') {
    return usageError(
      "'dev' serves over HTTP only (a stdio client owns its server process: restart it from the client)",
    );
  }
  if (stdio) {
    const httpOnly = HTTP_ONLY.find((name) => values.has(name) || flags.has(name));
    if (httpOnly !== undefined) return usageError(`'${httpOnly}' applies to '--http' only`);
  }
  if (values.has('--watch') && command !== 'dev') return usageError("'--watch' applies to 'dev' only");

  const drain = values.get('--drain-ms')?.[0];
  const drainMs = drain === undefined ? undefined : Number(drain);
  if (drainMs !== undefined && !(/^\d+$/.test(drain ?? '') && Number.isSafeInteger(drainMs))) {
    return usageError(`'--drain-ms' must be a whole number of milliseconds, got '${drain}'`);
  }

  let transport: Transport;
  if (stdio) transport = { kind: 'stdio' };
  else {
    const port = httpPort === undefined ? DEFAULT_PORT : Number(httpPort);
    if (!/^\d+$/.test(httpPort ?? '0') || port > 65_535) {
      return usageError(`'--http' takes a port from 0 to 65535, got '${httpPort}'`);
    }
    const path = values.get('--path')?.[0] ?? '/mcp';
    if (!path.startsWith('/')) return usageError(`'--path' must start with '/', got '${path}'`);
    const http = httpOptions(values, flags);
    if (typeof http === 'string') return usageError(http);
    transport = {
      kind: 'http',
      port,
      host: values.get('--host')?.[0] ?? '127.0.0.1',
      path,
      ...http,
    };
  }

  return {
    kind: 'run',
    command: command as RunRequest['command'],
    module,
    transport,
    drainMs: drainMs ?? (command === 'dev' ? DEFAULT_DEV_DRAIN_MS : DEFAULT_DRAIN_MS),
    inspect: flags.has('--inspect'),
    watch: values.get('--watch') ?? [],
  };
}

type HttpOptionFlags = Omit<HttpTransport, 'kind' | 'port' | 'host' | 'path'>;

/** The handler options of the flags, or why they are refused. */
function httpOptions(
  values: ReadonlyMap<string, string[]>,
  flags: ReadonlySet<string>,
): HttpOptionFlags | string {
  const allowedHosts = allowListOf(values, '--allowed-hosts');
  if (allowedHosts === null) return listError('--allowed-hosts');
  const allowedOrigins = allowListOf(values, '--allowed-origins');
  if (allowedOrigins === null) return listError('--allowed-origins');
  if (Array.isArray(allowedOrigins)) {
    const bad = allowedOrigins.find((entry) => entry.includes('://') && !isOrigin(entry));
    if (bad !== undefined) {
      return `'--allowed-origins' takes origins such as https://app.example.com or host names, got '${bad}'`;
    }
  }
  const cors = listOf(values, '--cors');
  if (cors === null) return `'--cors' takes full origins, comma-separated, such as https://app.example.com`;
  const badCors = cors?.find((entry) => !(entry.includes('://') && isOrigin(entry)));
  if (badCors !== undefined) {
    return `'--cors' takes full origins such as https://app.example.com (no '*', no path), got '${badCors}'`;
  }

  const one = (name: string): string | undefined => values.get(name)?.[0];
  const issuer = one('--jwt-issuer');
  const audience = one('--jwt-audience');
  const jwksUrl = one('--jwt-jwks-url');
  const secretEnv = one('--jwt-secret-env');
  const resource = one('--resource');
  const requiredScopes = listOf(values, '--jwt-required-scopes');
  if (requiredScopes === null) return listError('--jwt-required-scopes');
  const jwtFlag = [
    '--jwt-audience',
    '--jwt-jwks-url',
    '--jwt-secret-env',
    '--jwt-required-scopes',
    '--resource',
  ].find((name) => values.has(name));
  let jwt: JwtFlags | undefined;
  if (issuer === undefined) {
    if (jwtFlag !== undefined) return `'${jwtFlag}' needs '--jwt-issuer' (JWT authentication)`;
  } else {
    if (issuer === '') return `'--jwt-issuer' needs a value`;
    if ((jwksUrl === undefined) === (secretEnv === undefined)) {
      return "JWT authentication needs one key source: '--jwt-jwks-url <url>' or '--jwt-secret-env <NAME>'";
    }
    if (jwksUrl !== undefined && !isHttpUrl(jwksUrl)) {
      return `'--jwt-jwks-url' takes an http(s) URL, got '${jwksUrl}'`;
    }
    if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv)) {
      // The value is not repeated: it may be the secret itself, given by mistake.
      return "'--jwt-secret-env' takes the name of an environment variable (the secret itself never goes on the command line); the value given is not one (not shown)";
    }
    if (resource !== undefined) {
      if (!isHttpUrl(resource)) return `'--resource' takes this server's http(s) URL, got '${resource}'`;
      if (!isHttpUrl(issuer)) {
        return `'--resource' names '--jwt-issuer' as the authorization server: it must be an http(s) URL, got '${issuer}'`;
      }
    }
    const tokenAudience = audience ?? resource;
    if (tokenAudience === undefined || tokenAudience === '') {
      return "JWT authentication needs '--jwt-audience <uri>' (or '--resource <url>'): the audience tokens must be issued for";
    }
    jwt = { issuer, audience: tokenAudience, jwksUrl, secretEnv, requiredScopes };
  }
  return {
    allowedHosts,
    allowedOrigins,
    cors,
    jwt,
    resource,
    metrics: flags.has('--metrics'),
    dashboard: flags.has('--dashboard'),
  };
}

/** A comma-separated list: `undefined` when not given, `null` when empty or holding `*`. */
function listOf(values: ReadonlyMap<string, string[]>, name: string): readonly string[] | undefined | null {
  const given = values.get(name)?.[0];
  if (given === undefined) return undefined;
  // Commas or whitespace: OAuth writes scopes space-separated (RFC 6749 §3.3), and no entry of
  // these lists (scopes, hosts, origins) may hold whitespace.
  const entries = given
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.length === 0 || entries.includes('*') ? null : entries;
}

/** An allow-list: a {@link listOf}, or `'*'` alone. */
function allowListOf(
  values: ReadonlyMap<string, string[]>,
  name: string,
): readonly string[] | '*' | undefined | null {
  return values.get(name)?.[0]?.trim() === '*' ? '*' : listOf(values, name);
}

function listError(name: string): string {
  return `'${name}' takes a comma-separated list${name.startsWith('--allowed') ? ", or '*' alone" : ''}`;
}

/** `scheme://host[:port]` and nothing more (a trailing `/` allowed). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.host !== '' && url.pathname.replace(/^\/$/, '') === '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host !== '';
  } catch {
    return false;
  }
}

/**
 * The command line that serves `transport` again (what `dev` runs its server process with), on
 * `port`: `--http <port> --host … --path …` and each handler option given.
 */
export function httpArgs(transport: HttpTransport, port: number): string[] {
  // `--name=value`: a value may begin with `-`, which the separate form would read as a flag.
  const args = ['--http', String(port), `--host=${transport.host}`, `--path=${transport.path}`];
  const valued = (name: string, value: string | undefined) => {
    if (value !== undefined) args.push(`${name}=${value}`);
  };
  const list = (name: string, value: readonly string[] | '*' | undefined) =>
    valued(name, value === undefined || value === '*' ? value : value.join(','));
  list('--allowed-hosts', transport.allowedHosts);
  list('--allowed-origins', transport.allowedOrigins);
  list('--cors', transport.cors);
  const jwt = transport.jwt;
  if (jwt !== undefined) {
    valued('--jwt-issuer', jwt.issuer);
    valued('--jwt-audience', jwt.audience);
    valued('--jwt-jwks-url', jwt.jwksUrl);
    valued('--jwt-secret-env', jwt.secretEnv);
    list('--jwt-required-scopes', jwt.requiredScopes);
  }
  valued('--resource', transport.resource);
  if (transport.metrics) args.push('--metrics');
  if (transport.dashboard) args.push('--dashboard');
  return args;
}
