#!/usr/bin/env node
/**
 * The `mcp-session-runtime` command (package.json `bin`). Everything it prints goes to stderr but
 * `--help` and `--version` (stdout); exit status 0 after a clean shutdown, 1 when the module cannot
 * be loaded or served, 2 on a usage error.
 */
import { runCli } from './run.js';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: log,
});
// Exit now: timers or sockets the module left open must not keep a stopped server alive.
process.exit(code);
