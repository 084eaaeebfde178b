/**
 * The demo server (`echo`, `add`, `slow`, `counter`) as a module for the `mcp-session-runtime`
 * command, which serves its default export. In a project that installed the package:
 *
 *   npx mcp-session-runtime serve ./server.ts              # http://127.0.0.1:3000/mcp
 *   npx mcp-session-runtime serve ./server.ts --stdio
 *   npx mcp-session-runtime dev ./server.ts
 *
 * From this checkout: `npm run serve:cli` (add `-- --http 8080` or `-- --inspect`), and `npm run dev`
 * (restarts on changes under examples/ and src/). As the command an MCP client starts for stdio,
 * `node --import tsx src/cli/main.ts serve examples/cli-server.ts --stdio` (`npm run` would print a
 * banner on stdout). The default export is a function, so it can tell the transports apart: over
 * stdio the one session lives as long as the process, so it never idles out.
 */
import { defineServer } from '../src/index.js';
import { createDemoRuntime, logSessionLifecycle } from './tools.js';

export default defineServer(({ transport }) => {
  const runtime = createDemoRuntime(transport === 'stdio' ? { idleTimeoutMs: Number.POSITIVE_INFINITY } : {});
  logSessionLifecycle(runtime);
  return runtime;
});
