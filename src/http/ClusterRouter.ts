/**
 * Where a request of a clustered runtime is served: here, or on the instance that owns its id (the
 * 2025-era session of `Mcp-Session-Id`; the task or state handle a 2026-07-28 request names), to
 * which it is forwarded (`forward.ts`). One decision for every handler (POST of both eras, a batch,
 * the standalone GET stream, DELETE). Built only for a runtime with a `placement`: a runtime that is
 * a cluster of one never pays for it.
 *
 * A request that carries `mcp-forwarded-by` was forwarded once already and is always served here:
 * when two instances disagree about an owner, the request ends in "not found" rather than a loop.
 * Authentication and rate limits ran on the instance the client reached, before routing; the owner
 * runs them again on the forwarded `Authorization` header.
 */
import type { IncomingRequest } from '../protocol/messages.js';
import { countRefusal } from '../runtime/metrics.js';
import type { ActorKey, Placement } from '../runtime/placement.js';
import { PlacementUnavailableError } from '../runtime/placement.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import type { HttpExchange } from './exchange.js';
import { answerClusterUnavailable, forwardExchange } from './forward.js';
import { FORWARDED_BY } from './forwardedHop.js';
import type { ResolvedHttpOptions } from './options.js';

/** @internal */
export class ClusterRouter {
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly placement: Placement,
    private readonly options: ResolvedHttpOptions,
    /** Tells `onError`; never throws. */
    private readonly report: (error: unknown) => void,
  ) {}

  /**
   * A 2025-era request of `sessionId` (POST, batch, GET, DELETE): forwarded when the session is not
   * live here and the placement names another owner. True once answered; false: serve it here.
   */
  async routeSession(exchange: HttpExchange, sessionId: string, body?: unknown): Promise<boolean> {
    if (exchange.header(FORWARDED_BY) !== undefined || this.runtime.has(sessionId)) return false;
    return this.routeTo(exchange, { kind: 'session', id: sessionId }, body);
  }

  /**
   * A 2026-07-28 request: forwarded when it names an actor (`runtime.actorOf`) that runs on another
   * instance. True once answered; false: serve it here (requests without an actor always are).
   */
  async routeRequest(exchange: HttpExchange, message: IncomingRequest, body: unknown): Promise<boolean> {
    if (exchange.header(FORWARDED_BY) !== undefined) return false;
    const key = this.runtime.actorOf(message);
    return key === undefined ? false : this.routeTo(exchange, key, body);
  }

  /**
   * When the lazily opened SSE answer of a request opens at the latest: `keepAliveMs` (`0`: never),
   * but for a request forwarded here, half the `forwardTimeoutMs` at most, so that the forwarding
   * instance sees response headers before it gives up on a slow handler.
   */
  streamAfterMs(exchange: HttpExchange, keepAliveMs: number): number {
    if (exchange.header(FORWARDED_BY) === undefined) return keepAliveMs;
    const limit = Math.max(1, Math.floor(this.options.forwardTimeoutMs / 2));
    return keepAliveMs > 0 ? Math.min(keepAliveMs, limit) : limit;
  }

  private async routeTo(exchange: HttpExchange, key: ActorKey, body: unknown): Promise<boolean> {
    let location: Awaited<ReturnType<SessionRuntime['locate']>>;
    try {
      location = await this.runtime.locate(key);
    } catch (error) {
      if (!(error instanceof PlacementUnavailableError)) throw error;
      // Refused before any instance saw it, as the runtime refuses a claim it cannot make.
      countRefusal(this.runtime, 'cluster_unavailable');
      answerClusterUnavailable(exchange, error.retryAfterSeconds);
      return true;
    }
    if (location.kind !== 'remote' || location.instanceId === this.placement.instanceId) return false;
    const outcome = await forwardExchange(exchange, location.address, body, {
      instanceId: this.placement.instanceId,
      forwardingKey: this.placement.forwardingKey,
      timeoutMs: this.options.forwardTimeoutMs,
      report: this.report,
    });
    // The owner is gone: its actor with it. Served here, the id answers its definitive "not found".
    return outcome === 'answered';
  }
}
