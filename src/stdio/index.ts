/**
 * mcp-session-runtime/stdio: the stdio transport (MCP 2025-11-25). Every export is listed by name.
 */

export type { StdioServerOptions } from './options.js';
export type { StdioServer } from './serveStdio.js';
export { serveStdio } from './serveStdio.js';
