/**
 * mcp-session-runtime/http: the Streamable HTTP transport (MCP 2025-11-25), for `node:http` and for
 * Web-standard `fetch` servers. Every export is listed by name.
 */

export type {
  Authenticate,
  AuthenticationErrorCode,
  AuthenticationRequest,
  ProtectedResourceOptions,
} from './auth.js';
export { AuthenticationError, AuthenticatorUnavailableError } from './auth.js';
export type { GracefulCloseOptions, GracefullyClosableServer } from './closeGracefully.js';
export { closeGracefully } from './closeGracefully.js';
export type { FetchRequestHandler } from './createFetchHandler.js';
export { createFetchHandler } from './createFetchHandler.js';
export type { NodeRequestHandler } from './createNodeHandler.js';
export { createNodeHandler } from './createNodeHandler.js';
export type { HardenedServerOptions } from './hardenedServerOptions.js';
export { hardenedServerOptions } from './hardenedServerOptions.js';
export type {
  CorsOptions,
  DashboardOptions,
  MetricsEndpointOptions,
  MetricsResponse,
  PrometheusMetricsExporter,
  StreamableHttpOptions,
} from './options.js';
export type { RateLimitOptions } from './RateLimiter.js';
export type { HttpErrorReason, HttpRefusalReason } from './statuses.js';
export { httpStatusOf } from './statuses.js';
