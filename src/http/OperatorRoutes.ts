/**
 * The operator's endpoints beside MCP: the Prometheus scrape (`metrics`) and the dashboard
 * (`dashboard`), both `GET` only, both answering loopback peers only unless told otherwise.
 * `McpHttpEndpoint` asks here after its Host and Origin checks, as it does for `health`.
 */
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import { DashboardStreams } from './dashboard/DashboardStreams.js';
import { dashboardPage, dashboardPolicy } from './dashboard/page.js';
import type { HttpExchange } from './exchange.js';
import { isLoopbackAddress } from './loopback.js';
import type { ResolvedHttpOptions } from './options.js';
import { PrometheusEndpoint } from './prometheus.js';

const forbiddenHeaders = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

/** A fresh nonce for the page's Content-Security-Policy: 16 bytes of the Web Crypto CSPRNG. */
function nonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** @internal */
export class OperatorRoutes {
  private readonly prometheus: PrometheusEndpoint | undefined;
  private readonly dashboardStreams: DashboardStreams | undefined;

  constructor(
    runtime: SessionRuntime,
    private readonly options: ResolvedHttpOptions,
    report: (error: unknown) => void,
  ) {
    const { metrics, dashboard } = options;
    this.prometheus = metrics === undefined ? undefined : new PrometheusEndpoint(metrics.exporter, report);
    this.dashboardStreams =
      dashboard === undefined
        ? undefined
        : new DashboardStreams(runtime, dashboard.maxStreams, report, dashboard.transitions);
  }

  /**
   * Serves `exchange` when it is a `GET` of one of these endpoints and returns the work's promise;
   * `undefined` for any other request.
   */
  serve(exchange: HttpExchange): Promise<void> | undefined {
    if (exchange.method !== 'GET') return undefined;
    const { path } = exchange;
    const { metrics, dashboard } = this.options;
    if (metrics !== undefined && path === metrics.path && this.prometheus !== undefined) {
      if (!this.allowed(exchange, metrics.allowRemote)) return Promise.resolve();
      return this.prometheus.scrape(exchange);
    }
    if (dashboard === undefined || this.dashboardStreams === undefined) return undefined;
    if (path === dashboard.path || path === `${dashboard.path}/`) {
      if (!this.allowed(exchange, dashboard.allowRemote)) return Promise.resolve();
      const pageNonce = nonce();
      exchange.respond(
        200,
        {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': dashboardPolicy(pageNonce),
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
        dashboardPage(pageNonce),
      );
      return Promise.resolve();
    }
    if (path === dashboard.eventsPath) {
      if (!this.allowed(exchange, dashboard.allowRemote)) return Promise.resolve();
      this.dashboardStreams.subscribe(exchange);
      return Promise.resolve();
    }
    return undefined;
  }

  /** True for a loopback peer or `allowRemote`; else answers 403 and returns false. */
  private allowed(exchange: HttpExchange, allowRemote: boolean): boolean {
    if (allowRemote || isLoopbackAddress(exchange.remoteAddress)) return true;
    exchange.respond(403, forbiddenHeaders, 'Forbidden: this endpoint answers this machine only\n');
    return false;
  }
}
