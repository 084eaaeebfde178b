/**
 * Where the example servers listen, and what they say when they cannot: `PORT` (default 3000) and
 * `HOST` (default 127.0.0.1) choose the address; a port already in use ends the process with a line
 * that says how to pick another, instead of Node's stack trace.
 */
import type { Server } from 'node:net';

/** The port of the examples: `PORT`, default 3000. */
export const examplePort = Number(process.env.PORT ?? 3000);
/** The host of the examples: `HOST`, default 127.0.0.1 (this machine only). */
export const exampleHost = process.env.HOST ?? '127.0.0.1';

/**
 * The canonical URL of the example endpoint: `MCP_RESOURCE`, else built from `HOST` and `PORT`.
 * The secured example requires tokens minted for this audience (RFC 8707), so the server and
 * `npm run token` must agree on it.
 */
export function exampleResource(): string {
  const host = exampleHost === '0.0.0.0' ? 'localhost' : exampleHost;
  return process.env.MCP_RESOURCE ?? `http://${host}:${examplePort}/mcp`;
}

/** Ends the process with a readable line when `server` cannot listen (port in use, no permission). */
export function explainListenErrors(server: Pick<Server, 'once'>): void {
  server.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      process.stderr.write(
        `Port ${examplePort} on ${exampleHost} is already in use (another server, or an earlier run still going).\n` +
          `Choose another port: PORT=${examplePort + 1} npm start\n`,
      );
    } else if (error.code === 'EACCES') {
      process.stderr.write(
        `No permission to listen on ${exampleHost}:${examplePort}: choose a PORT above 1023.\n`,
      );
    } else {
      process.stderr.write(`Cannot listen on ${exampleHost}:${examplePort}: ${error.message}\n`);
    }
    process.exit(1);
  });
}

/**
 * Milliseconds running requests get to finish on shutdown: `DRAIN_MS`, default 5000. An
 * orchestrator's grace (Kubernetes' `terminationGracePeriodSeconds`, 30 s by default) must exceed it.
 */
export const exampleDrainMs = Number(process.env.DRAIN_MS ?? 5_000);

/**
 * The address `server` listens on, as `http://host:port/mcp` (the real port when `PORT=0` asked
 * the system for a free one).
 */
export function exampleEndpoint(server: Pick<Server, 'address'>): string {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : examplePort;
  return `http://${exampleHost}:${port}/mcp`;
}

/**
 * On SIGTERM (what an orchestrator sends to stop a container) or SIGINT (Ctrl-C): runs `close`
 * (a graceful close: see `closeGracefully`), then exits 0; exits 1 if it fails. A second signal
 * while it runs exits 1 at once, for an operator who will not wait.
 */
export function exitOnSignals(close: () => Promise<unknown>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    closing = true;
    process.stderr.write(`${signal}: draining (up to ${exampleDrainMs} ms), then exiting\n`);
    close().then(
      () => {
        process.stderr.write('closed\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`close failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
}
