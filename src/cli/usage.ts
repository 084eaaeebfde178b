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

Options:
  --http [port]           Streamable HTTP (the default), on port 3000 unless given (0: any free port)
  --host <address>        address to bind (default 127.0.0.1: this machine only)
  --path <path>           the MCP endpoint (default /mcp); GET /health and /ready are served too
  --allowed-hosts <list>  Host header values to accept, comma-separated (default: localhost names;
                          '*' behind a proxy that checks Host)
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
