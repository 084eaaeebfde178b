/**
 * mcp-session-runtime/http: the Streamable HTTP transport (MCP 2025-11-25), for `node:http` and for
 * Web-standard `fetch` servers. Every export is listed by name.
 */

export type { FetchRequestHandler } from './createFetchHandler.js';
export { createFetchHandler } from './createFetchHandler.js';
export type { NodeRequestHandler } from './createNodeHandler.js';
export { createNodeHandler } from './createNodeHandler.js';
export type { StreamableHttpOptions } from './options.js';
