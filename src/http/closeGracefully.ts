/**
 * A graceful deploy for a server that carries a runtime's endpoint: the order of the steps that
 * lets an orchestrator replace the process without losing an accepted request.
 */
import { assertSessionRuntime } from '../runtime/optionsError.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';

/**
 * The part of a listening server {@link closeGracefully} uses: `node:http`'s `Server` (and so
 * Express's `app.listen()`, `@hono/node-server`'s `serve()`, `https` and `http2` with HTTP/1.1
 * fallback) has all three.
 */
export interface GracefullyClosableServer {
  /** Stops accepting connections; the callback runs once every connection has closed. */
  close(callback?: (error?: Error) => void): unknown;
  /** Closes the connections with no request in progress (Node >= 18.2). */
  closeIdleConnections?(): void;
  /** Closes every connection, busy or not (Node >= 18.2). */
  closeAllConnections?(): void;
}

/** Options of {@link closeGracefully}. */
export interface GracefulCloseOptions {
  /**
   * Milliseconds running and queued requests may go on after the close began; past it they are
   * cancelled and answered `shutting_down` (-32013). Passed to `runtime.close({ drainMs })`.
   * @default 10_000
   */
  readonly drainMs?: number;
  /**
   * Milliseconds the last answers get to leave once the runtime has closed (every request answered,
   * every stream ended), before the connections still open are cut. A connection goes as soon as it
   * has nothing left to send, so this bounds a slow or stalled reader only.
   * @default 1_000
   */
  readonly flushMs?: number;
}

/** How often idle connections are closed while the last answers leave. */
const IDLE_SWEEP_MS = 10;

/**
 * Closes `runtime` and then `server`, in the order a graceful deploy needs, and resolves once both
 * are closed. Call it on `SIGTERM` (what Kubernetes, ECS, systemd and Docker send first), then exit:
 *
 * 1. The runtime stops accepting work: an `initialize` or any request of an existing session is
 *    answered 503 `shutting_down` (-32013) with `Retry-After`, a 2026-07-28 request likewise, and
 *    `/ready` (the `health` option) answers 503. The listener stays open meanwhile, so that clients
 *    and load balancers read a 503 with `Retry-After` and go elsewhere rather than meet a refused
 *    connection while the deploy's endpoint changes propagate.
 * 2. Every `subscriptions/listen` stream ends at once with its completion result
 *    (`resultType: 'complete'`, MCP 2026-07-28).
 * 3. Running and queued requests finish, for `drainMs` at most; past it they are cancelled
 *    (their handlers' `ctx.signal` aborts) and answered `shutting_down` with `Retry-After`: on
 *    their SSE stream, or as a JSON-RPC error in a 200 (they were accepted; 503 is for refusals).
 * 4. Once every session has stopped (which ends its standalone GET stream), the listener closes
 *    and each connection closes as soon as its last answer is out; after `flushMs` any still open
 *    is cut.
 *
 * The promise never rejects because of a client; it resolves at most about `drainMs + flushMs`
 * after the call (a handler that ignores its abort is abandoned, not awaited). Calling it again
 * returns a promise for the same close.
 *
 * @example
 * ```ts
 * const server = createServer(createNodeHandler(runtime, { health: true })).listen(3000);
 * for (const signal of ['SIGTERM', 'SIGINT'] as const) {
 *   process.once(signal, () => {
 *     closeGracefully(server, runtime, { drainMs: 10_000 }).then(() => process.exit(0));
 *   });
 * }
 * ```
 */
export function closeGracefully(
  server: GracefullyClosableServer,
  runtime: SessionRuntime,
  options: GracefulCloseOptions = {},
): Promise<void> {
  assertSessionRuntime(runtime, 'closeGracefully');
  if (typeof server !== 'object' || server === null || typeof server.close !== 'function') {
    throw new TypeError(
      'Expected `server` to be a listening server with a `close()` method, such as node:http',
    );
  }
  const drainMs = options.drainMs ?? 10_000;
  const flushMs = options.flushMs ?? 1_000;
  for (const [name, value] of [
    ['drainMs', drainMs],
    ['flushMs', flushMs],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`Expected \`${name}\` to be a number of milliseconds >= 0, got ${String(value)}`);
    }
  }
  const known = closing.get(server);
  if (known !== undefined) return known;
  const closed = runtime.close({ drainMs }).then(() => closeServer(server, flushMs));
  closing.set(server, closed);
  return closed;
}

/** The close under way for each server, so that a second signal joins the first close. */
const closing = new WeakMap<GracefullyClosableServer, Promise<void>>();

/**
 * Stops listening, closes each connection once it is idle (its last answer written), and cuts
 * those still open after `flushMs`. Resolves when the server reports every connection closed, or
 * once they were cut.
 */
function closeServer(server: GracefullyClosableServer, flushMs: number): Promise<void> {
  return new Promise((resolve) => {
    let sweep: ReturnType<typeof setInterval> | undefined;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const finish = (): void => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    };
    try {
      // The callback's error (ERR_SERVER_NOT_RUNNING: closed already) changes nothing here.
      server.close(() => finish());
    } catch {
      finish();
      return;
    }
    if (server.closeIdleConnections !== undefined) {
      // A connection whose answer is still being written becomes idle once it is out: close it
      // then, without waiting for the client to hang up a keep-alive connection.
      sweep = setInterval(() => server.closeIdleConnections?.(), IDLE_SWEEP_MS);
      server.closeIdleConnections();
    }
    deadline = setTimeout(() => {
      server.closeAllConnections?.();
      // The close callback follows once the cut sockets are gone; do not wait on a server without
      // `closeAllConnections`, whose clients may hold their connections open.
      setTimeout(finish, IDLE_SWEEP_MS);
    }, flushMs);
  });
}
