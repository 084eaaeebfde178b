/**
 * The same MCP server over stdio: newline-delimited JSON-RPC on stdin/stdout, one session per
 * process, the way desktop clients launch local servers. Logs go to stderr; stdout carries only
 * protocol messages. When the client closes stdin, the server answers the requests it has read
 * (for up to `drainTimeoutMs`, 5 s by default), then exits.
 *
 *   npx tsx examples/stdio-server.ts
 *   # or, in a client's config: { "command": "npx", "args": ["tsx", "examples/stdio-server.ts"] }
 */
import { serveStdio } from '../src/stdio/index.js';
import { createDemoRuntime, logHandlerFailures, logSessionLifecycle } from './tools.js';

// One client owns this process: its session lives as long as the process, so no idle expiry.
const runtime = createDemoRuntime({ idleTimeoutMs: Number.POSITIVE_INFINITY });
logSessionLifecycle(runtime);
logHandlerFailures(runtime);

const server = serveStdio(runtime);
await server.finished;
await runtime.close();
