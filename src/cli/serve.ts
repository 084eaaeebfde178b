/**
 * `mcp-session-runtime serve`: loads a module's runtime and serves it over Streamable HTTP (the
 * handler's secure defaults, `/health` and `/ready`, `hardenedServerOptions`) or stdio, until
 * SIGINT or SIGTERM; then drains (`runtime.close({ drainMs })`: new sessions are refused with 503
 * and `/ready` answers 503 meanwhile) and resolves with exit code 0. A second signal exits at once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import type { StreamableHttpOptions } from '../http/index.js';
import { createNodeHandler, hardenedServerOptions } from '../http/index.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import { serveStdio } from '../stdio/index.js';
import type { HttpTransport, RunRequest } from './args.js';
import { describeAuthentication, handlerOptions, routedPaths, servedBeside } from './httpOptions.js';
import { inspectHttp, inspectStdio } from './inspect.js';
import { describe, importModule, LoadError, resolveModulePath, runtimeOf } from './load.js';

/** Writes one line for the operator (stderr: stdout may carry MCP messages). */
export type Log = (line: string) => void;

/** Set by `dev` on the server process it runs: report readiness over IPC and say nothing else. */
export const DEV_CHILD_ENV = 'MCP_SESSION_RUNTIME_DEV_CHILD';

/** What a `dev` server process sends its supervisor once it serves. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly url: string;
}

/** The module as the user named it, relative to the working directory when inside it. */
export function displayName(modulePath: string): string {
  const path = relative(process.cwd(), modulePath);
  return path.startsWith('..') || path === '' ? modulePath : path;
}

/**
 * Serves `request.module` as `request.transport` says; resolves with the exit code (0 after a
 * clean shutdown, 1 when the module cannot be loaded or the port cannot be bound).
 */
export async function serve(request: RunRequest, log: Log): Promise<number> {
  const devChild = process.env[DEV_CHILD_ENV] === '1' && typeof process.send === 'function';
  const transport = request.transport;
  let modulePath: string;
  let runtime: SessionRuntime;
  try {
    modulePath = resolveModulePath(request.module);
    runtime = await runtimeOf(await importModule(modulePath), { transport: transport.kind });
  } catch (error) {
    log(error instanceof LoadError ? error.message : describe(error));
    return 1;
  }
  // The client sees a generic failure; the operator sees why.
  runtime.events.on('handlerError', ({ method, target, requestId, error }) => {
    const what = target === undefined ? method : `${method} ${target}`;
    log(`handler failed: ${what} (request ${JSON.stringify(requestId)}): ${describe(error)}`);
  });
  const shutdown = shutdownSignal(log, devChild);
  return transport.kind === 'http'
    ? serveHttp(runtime, transport, modulePath, request, log, shutdown, devChild)
    : serveOnStdio(runtime, modulePath, request, log, shutdown);
}

/**
 * Resolves with the first SIGINT or SIGTERM (or, for a `dev` server process, its supervisor going
 * away). A second signal exits at once with 128 + its number, as shells report a killed process.
 * A `dev` server process ignores SIGINT: Ctrl-C reaches the whole process group, and its supervisor
 * stops it with SIGTERM.
 */
function shutdownSignal(log: Log, devChild: boolean): Promise<string> {
  return new Promise((resolve) => {
    let received: string | undefined;
    const on = (signal: NodeJS.Signals, code: number) => {
      process.on(signal, () => {
        if (devChild && signal === 'SIGINT') return;
        if (received !== undefined) {
          log(`${signal} again: exiting without waiting for the drain`);
          process.exit(code);
        }
        received = signal;
        resolve(signal);
      });
    };
    on('SIGINT', 130);
    on('SIGTERM', 143);
    if (devChild) process.once('disconnect', () => resolve('disconnect'));
  });
}

async function serveHttp(
  runtime: SessionRuntime,
  transport: HttpTransport,
  modulePath: string,
  request: RunRequest,
  log: Log,
  shutdown: Promise<string>,
  devChild: boolean,
): Promise<number> {
  const { host, port, path, allowedHosts } = transport;
  let options: StreamableHttpOptions;
  let mcp: ReturnType<typeof createNodeHandler>;
  try {
    options = await handlerOptions(transport);
    mcp = createNodeHandler(runtime, {
      ...options,
      onError: (error) => log(`transport error: ${describe(error)}`),
    });
  } catch (error) {
    log(error instanceof LoadError ? error.message : `the HTTP options were refused: ${describe(error)}`);
    await runtime.close({ drainMs: 0 });
    return 1;
  }
  const routed = routedPaths(transport);
  const server = createServer(hardenedServerOptions(), (req, res) => {
    if (routed.has(req.url?.split('?')[0] ?? '')) mcp(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: the MCP endpoint is ${path}\n`);
  });
  const listening = await new Promise<AddressInfo | NodeJS.ErrnoException>((resolve) => {
    server.once('error', resolve);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
  if (listening instanceof Error) {
    log(
      listening.code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use: choose another with --http <port> (0 picks a free one)`
        : `cannot listen on ${host}:${port}: ${listening.message}`,
    );
    await runtime.close({ drainMs: 0 });
    return 1;
  }
  const url = `http://${urlHost(host)}:${listening.port}${path}`;
  if (devChild) process.send?.({ type: 'ready', url } satisfies ReadyMessage);
  else {
    log(`serving ${displayName(modulePath)} on ${url} (${servedBeside(transport)})`);
    const authentication = describeAuthentication(transport);
    if (authentication !== undefined) log(authentication);
    if (allowedHosts === undefined && !isLoopback(host)) {
      log(
        `note: only requests whose Host is a localhost name are accepted; pass --allowed-hosts <names> to serve ${host}`,
      );
    }
    if (request.inspect)
      for (const line of inspectHttp(url, transport.jwt !== undefined)) log(`inspect: ${line}`);
  }

  const signal = await shutdown;
  if (!devChild) log(`${signal}: draining (up to ${request.drainMs} ms), refusing new sessions`);
  await runtime.close({ drainMs: request.drainMs });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  if (!devChild) log('stopped');
  return 0;
}

async function serveOnStdio(
  runtime: SessionRuntime,
  modulePath: string,
  request: RunRequest,
  log: Log,
  shutdown: Promise<string>,
): Promise<number> {
  const server = serveStdio(runtime, { drainTimeoutMs: request.drainMs, log });
  log(`serving ${displayName(modulePath)} over stdio`);
  if (request.inspect) {
    const script = process.argv[1] ?? 'mcp-session-runtime';
    const { launch, inspector } = inspectStdio(
      [process.execPath, ...process.execArgv, script, 'serve', modulePath, '--stdio'],
      process.cwd(),
    );
    log(`launch command: ${launch}`);
    log(`inspect: ${inspector}`);
  }
  const ended = await Promise.race([server.finished.then(() => undefined), shutdown]);
  if (ended !== undefined) {
    log(`${ended}: draining (up to ${request.drainMs} ms)`);
    await server.close();
  }
  await runtime.close({ drainMs: 0 });
  return 0;
}

/** A host as it appears in a URL: wildcard addresses as the loopback one, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
