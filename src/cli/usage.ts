/** The help text of `mcp-session-runtime`, and its version. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The name the command is installed under (`bin` in package.json). */
export const COMMAND_NAME = 'mcp-session-runtime';

/** The lines printed under a usage error (on stderr) and at the top of `--help`. */
export const SYNOPSIS = `Usage: ${COMMAND_NAME} serve <module> [--http [port] | --stdio] [options]
       ${COMMAND_NAME} dev <module> [--http [port]] [options]`;

/** The full `--help` text. */
export const HELP = `${SYNOPSIS}

Serves the MCP server that <module> (.js, or .ts with tsx installed or a Node that strips types)
exports as its default export: the options of createSessionRuntime, a SessionRuntime, or a function
returning either (defineServer types it).

Commands:
  serve <module>          serve it until SIGINT or SIGTERM, then drain and exit 0
  dev <module>            serve it over HTTP, restarting it when a .ts, .js or .json file changes

HTTP options:
  --http [port]           Streamable HTTP (the default), on port 3000 unless given (0: any free port)
  --host <address>        address to bind (default 127.0.0.1: this machine only)
  --path <path>           the MCP endpoint (default /mcp); GET /health and /ready are served too
  --allowed-hosts <list>  Host header values to accept, comma-separated (default: localhost names;
                          '*' behind a proxy that checks Host)
  --allowed-origins <list>
                          Origin header values to accept from browsers, comma-separated: origins
                          (https://app.example.com) or host names (default: localhost names; '*': any)
  --cors <origins>        answer CORS preflights from these full origins, comma-separated (default: off)
  --metrics               GET /metrics in the Prometheus format, to loopback peers (needs
                          @opentelemetry/exporter-prometheus and @opentelemetry/sdk-metrics)
  --dashboard             GET /dashboard, a live view of the sessions, to loopback peers

Authentication (HTTP; default: none, every request is anonymous):
  --jwt-issuer <iss>      require 'Authorization: Bearer <JWT>' from this issuer; a request without
                          one gets 401 with WWW-Authenticate
  --jwt-audience <aud>    the audience tokens must name (default: --resource)
  --jwt-jwks-url <url>    verify with the issuer's published keys (RS256, ES256, EdDSA…)
  --jwt-secret-env <NAME> or with an HMAC secret (HS256/384/512, 32 bytes or more) read from the
                          environment variable NAME: never put a secret on the command line
  --jwt-required-scopes <list>
                          scopes every token must carry, comma-separated (403 without them)
  --resource <url>        this server's public URL: RFC 9728 metadata naming --jwt-issuer is served
                          at /.well-known/oauth-protected-resource and named in every 401

Other options:
  --stdio                 stdio: one session on stdin/stdout, logs on stderr (serve only)
  --drain-ms <ms>         how long running requests may finish on SIGINT/SIGTERM (default 5000;
                          dev: 1000, before each restart)
  --watch <dir>           dev: a folder to watch, repeatable (default: the module's folder)
  --inspect               print the MCP Inspector command for the server
  -h, --help              print this help
  -v, --version           print the version

Exit status: 0 after a clean shutdown, 1 when the module cannot be loaded or served, 2 on a usage
error. Everything the command prints goes to stderr (stdout carries MCP messages under --stdio).

Examples:
  ${COMMAND_NAME} serve ./server.ts --http 8080
  ${COMMAND_NAME} serve ./dist/server.js --stdio
  ${COMMAND_NAME} serve ./server.ts --host 0.0.0.0 --allowed-hosts mcp.example.com \\
      --jwt-issuer https://auth.example.com --jwt-jwks-url https://auth.example.com/jwks.json \\
      --resource https://mcp.example.com/mcp
  ${COMMAND_NAME} dev ./server.ts --inspect`;

/** This package's version, read from its package.json (the nearest one above this file). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === COMMAND_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json here: keep climbing.
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
