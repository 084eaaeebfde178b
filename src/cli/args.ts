/**
 * The command line of `mcp-session-runtime`: parsed into a typed request, or refused with one line
 * saying why (the caller prints it with the usage and exits 2, as POSIX utilities do for a usage
 * error). Nothing here touches the file system or the network.
 */
import { closestName } from '../protocol/closestName.js';

/** How a module is served. */
export type Transport =
  | {
      readonly kind: 'http';
      /** TCP port; `0` lets the system pick one (the serving line names it). */
      readonly port: number;
      readonly host: string;
      /** The MCP endpoint's path, e.g. `/mcp`. */
      readonly path: string;
      /** The handler's `allowedHosts`; `undefined` keeps its default (localhost names). */
      readonly allowedHosts: readonly string[] | undefined;
    }
  | { readonly kind: 'stdio' };

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
/** Every option the command takes. */
export const OPTIONS = [
  '--http',
  '--stdio',
  '--host',
  '--path',
  '--allowed-hosts',
  '--drain-ms',
  '--watch',
  '--inspect',
  '--help',
  '--version',
] as const;
/** Options that take a value (`--host 0.0.0.0` or `--host=0.0.0.0`). */
const VALUED = new Set(['--host', '--path', '--allowed-hosts', '--drain-ms', '--watch']);
/** Options that only mean something with HTTP. */
const HTTP_ONLY = ['--host', '--path', '--allowed-hosts'] as const;

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
    const httpOnly = HTTP_ONLY.find((name) => values.has(name));
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
    const allowed = values.get('--allowed-hosts')?.[0];
    transport = {
      kind: 'http',
      port,
      host: values.get('--host')?.[0] ?? '127.0.0.1',
      path,
      allowedHosts:
        allowed === undefined
          ? undefined
          : allowed
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name !== ''),
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
