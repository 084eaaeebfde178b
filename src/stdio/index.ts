/**
 * mcp-session-runtime/stdio: the stdio transport (MCP 2025-11-25). Every export is listed by name.
 */

export type { StdioServer, StdioServerOptions } from './serveStdio.js';
export { serveStdio } from './serveStdio.js';
