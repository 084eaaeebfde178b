/**
 * The stdio transport (MCP 2025-11-25, "Transports" › "stdio"): newline-delimited JSON-RPC on stdin
 * and stdout, one session per process. stdout carries protocol messages only; diagnostics go to
 * stderr, which the specification leaves to the server for logging.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { errorResponse } from '../protocol/errors.js';
import type { SessionRuntime } from '../runtime/createSessionRuntime.js';
import { checkStdioArguments } from './options.js';

/**
 * Options of {@link serveStdio}.
 *
 * @example
 * ```ts
 * serveStdio(runtime, { log: (message) => logger.warn(message) });
 * ```
 */
export interface StdioServerOptions {
  /** Where messages come from, one JSON-RPC message a line. @default process.stdin */
  readonly input?: Readable;
  /** Where messages go, one a line. Nothing else is ever written to it. @default process.stdout */
  readonly output?: Writable;
  /** Receives diagnostics. Never write them to `output`. @default a line on process.stderr */
  readonly log?: (message: string) => void;
  /** The id of the one session this process serves. @default crypto.randomUUID() */
  readonly sessionId?: string;
}

/**
 * A running stdio server, as {@link serveStdio} returns it.
 *
 * @example
 * ```ts
 * const server = serveStdio(runtime);
 * process.once('SIGTERM', () => void server.close());
 * await server.finished;
 * ```
 */
export interface StdioServer {
  /** The id of the session this process serves. */
  readonly sessionId: string;
  /**
   * Resolves once input has ended (the client closed it, or {@link close} was called), the session
   * was removed, and every answer was written.
   */
  readonly finished: Promise<void>;
  /** Stops reading input and ends the session, as if the client had closed input. */
  close(): Promise<void>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A notification never gets a response, not even an error one (JSON-RPC 2.0 §4.1). */
function isNotification(message: unknown): boolean {
  return isObject(message) && 'method' in message && !('id' in message);
}

const writeToStderr = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

/**
 * Serves one MCP session over newline-delimited JSON-RPC. Requests run concurrently as the runtime
 * allows, so a `notifications/cancelled` line is read while the request it cancels still runs.
 * When input ends the session is removed (its running handlers are aborted): the client closing
 * stdin is how stdio sessions end ("Shutdown" › "stdio").
 *
 * @example
 * ```ts
 * const runtime = createSessionRuntime({ tools: [echo], idleTimeoutMs: Number.POSITIVE_INFINITY });
 * const server = serveStdio(runtime);
 * await server.finished;
 * await runtime.close();
 * ```
 */
export function serveStdio(runtime: SessionRuntime, options: StdioServerOptions = {}): StdioServer {
  checkStdioArguments(runtime, options);
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const log = options.log ?? writeToStderr;
  const sessionId = options.sessionId ?? randomUUID();
  const pending = new Set<Promise<void>>();

  const write = (message: unknown): void => {
    if (output.writable) output.write(`${JSON.stringify(message)}\n`);
  };
  // A client that goes away leaves us with EPIPE; that is the end of the session, not a crash.
  output.on('error', (error) => log(`stdio: output failed: ${error.message}`));

  const serveLine = (line: string): void => {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      log('stdio: a line was not valid JSON; answered with a parse error');
      write(errorResponse(null, 'parse_error'));
      return;
    }
    const served = runtime.dispatch(sessionId, message, { onNotification: write }).then((response) => {
      if (response !== undefined && !isNotification(message)) write(response);
    });
    pending.add(served);
    void served.finally(() => pending.delete(served));
  };

  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', serveLine);
  const finished = new Promise<void>((resolve) => {
    lines.once('close', () => {
      runtime.remove(sessionId);
      void Promise.all(pending).then(() => resolve());
    });
  });

  return {
    sessionId,
    finished,
    close() {
      lines.close();
      return finished;
    },
  };
}
