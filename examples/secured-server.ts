/**
 * The demo MCP server of `npm start`, secured for the open network: every request must carry an
 * OAuth bearer JWT for this server's audience, sessions belong to the user who opened them, each
 * user has a session cap and a request rate, and slow or oversized requests are cut off.
 *
 *   MCP_JWT_SECRET=<32+ random bytes, base64url> npx tsx examples/secured-server.ts
 *   MCP_JWT_SECRET=... npx tsx examples/mint-token.ts alice     # a token for user alice
 *
 * With an authorization server, set MCP_ISSUER and MCP_JWKS_URI instead of MCP_JWT_SECRET. The
 * server answers 401 with `WWW-Authenticate: Bearer resource_metadata=…` and serves that metadata
 * (RFC 9728) at /.well-known/oauth-protected-resource/mcp, which is how MCP clients find where to
 * log in. Logs name users and a short hash of session ids, never a token or a whole session id.
 */
import { createServer } from 'node:http';
import { z } from 'zod';
import { createJwtAuthenticator } from '../src/auth/index.js';
import { closeGracefully, createNodeHandler, hardenedServerOptions } from '../src/http/index.js';
import { defineTool } from '../src/index.js';
import {
  exampleDrainMs,
  exampleResource,
  exitOnSignals,
  explainListenErrors,
  exampleHost as host,
  examplePort as port,
} from './listen.js';
import { demoIssuer, demoSecret } from './mint-token.js';
import { createDemoRuntime, logHandlerFailures, logSessionLifecycle } from './tools.js';

/** This endpoint's canonical URL: the audience its tokens must name. */
const resource = exampleResource();
const issuer = process.env.MCP_ISSUER ?? demoIssuer;

const whoami = defineTool({
  name: 'whoami',
  description: 'Says which user the server authenticated for this request',
  inputSchema: z.object({}),
  handler: (_args, ctx) => ({ content: [{ type: 'text', text: ctx.auth?.id ?? 'anonymous' }] }),
});

const runtime = createDemoRuntime({ tools: [whoami], maxSessionsPerPrincipal: 10 });
logSessionLifecycle(runtime);
logHandlerFailures(runtime);

const jwksUri = process.env.MCP_JWKS_URI;
const authenticate = createJwtAuthenticator(
  jwksUri === undefined
    ? { issuer, audience: resource, key: demoSecret(), algorithms: ['HS256'] }
    : { issuer, audience: resource, jwksUri },
);

const mcp = createNodeHandler(runtime, {
  authenticate,
  protectedResource: { resource, authorizationServers: [issuer], resourceName: 'mcp-session-runtime demo' },
  rateLimit: { requestsPerSecond: 20, burst: 40 },
  maxStreamsPerSession: 4,
  onError: (error) => process.stderr.write(`internal error: ${String(error)}\n`),
});

const server = createServer(hardenedServerOptions(), (req, res) => {
  const path = req.url?.split('?')[0] ?? '';
  if (path === '/mcp' || path.startsWith('/.well-known/oauth-protected-resource')) {
    // One line per refused request: method, path and status; never headers (they hold the token).
    res.once('finish', () => {
      if (res.statusCode >= 400) process.stderr.write(`${req.method} ${path} ${res.statusCode}\n`);
    });
    mcp(req, res);
  } else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the MCP endpoint is /mcp\n');
});

explainListenErrors(server);
server.listen(port, host, () => {
  process.stderr.write(`secured MCP server listening on ${resource} (issuer ${issuer})\n`);
});

// SIGTERM or Ctrl-C: refuse new sessions (503), let running calls finish (DRAIN_MS, default 5 s),
// end every stream, close the listener, exit 0.
exitOnSignals(() => closeGracefully(server, runtime, { drainMs: exampleDrainMs }));
