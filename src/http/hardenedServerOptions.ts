/**
 * The `node:http` server settings that the handler cannot apply itself: limits on how long headers
 * and whole requests may take to arrive (slow-loris) and on header size, which Node enforces before
 * any handler runs (408 or a closed socket; 431 for oversized headers).
 */
import type { ServerOptions } from 'node:http';

/** The subset of `node:http` `ServerOptions` that {@link hardenedServerOptions} sets. */
export interface HardenedServerOptions {
  /** Milliseconds for a request's headers to arrive. @default 10_000 */
  readonly headersTimeout?: number;
  /** Milliseconds for a whole request (headers and body) to arrive. @default 30_000 */
  readonly requestTimeout?: number;
  /** Bytes of request headers; more get 431. @default 16_384 */
  readonly maxHeaderSize?: number;
  /** Milliseconds an idle keep-alive connection stays open. @default 5_000 */
  readonly keepAliveTimeout?: number;
  /**
   * Milliseconds between Node's checks of the two timeouts above: a late request is cut off within
   * this much after its timeout (Node's own default, 30 s, lets a slow client linger that long).
   * @default 1_000
   */
  readonly connectionsCheckingInterval?: number;
}

/**
 * Options for `createServer` with limits suited to an MCP endpoint on the open network. Long-lived
 * SSE responses are unaffected: the timeouts cover receiving the request, not sending the answer.
 *
 * @example
 * ```ts
 * createServer(hardenedServerOptions(), (req, res) => mcp(req, res)).listen(3000);
 * ```
 */
export function hardenedServerOptions(overrides: HardenedServerOptions = {}): ServerOptions {
  return {
    headersTimeout: 10_000,
    requestTimeout: 30_000,
    maxHeaderSize: 16_384,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: 1_000,
    ...overrides,
  };
}
