/**
 * The MCP Inspector command lines `--inspect` prints: for an HTTP server the Inspector connects to
 * its URL; for stdio it launches the server itself, with the command line that started this one.
 */

/**
 * `npx -y`: no "Ok to proceed?" prompt on first use. `@2`: the major version whose command line
 * these are (2.x and 1.x read a stdio server's command line differently, see {@link inspectStdio}).
 */
const INSPECTOR = 'npx -y @modelcontextprotocol/inspector@2';

/** `value` quoted for a POSIX shell when it holds anything but safe characters. */
export function shellQuote(value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/**
 * The two Inspector commands for a Streamable HTTP endpoint: one that lists its tools in the
 * terminal, and the browser UI already pointed at it. With `bearer` (the server asks for a JWT) the
 * two send `Authorization: Bearer $TOKEN`, the token taken from the shell's `TOKEN` variable so
 * that it never appears in what the command prints.
 *
 * @example
 * ```ts
 * inspectHttp('http://127.0.0.1:3000/mcp');
 * // ['npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:3000/mcp --transport http --method tools/list', …]
 * ```
 */
export function inspectHttp(url: string, bearer = false): string[] {
  const header = bearer ? ' --header "Authorization: Bearer $TOKEN"' : '';
  return [
    `${INSPECTOR} --cli ${shellQuote(url)} --transport http${header} --method tools/list`,
    `${INSPECTOR} --server-url ${shellQuote(url)} --transport http${header}`,
  ];
}

/**
 * For a stdio server: the command line that launches it (`launch`, e.g. node, its flags, this
 * script, `serve <module> --stdio`), and the Inspector command that runs it from `cwd` (the folder
 * this server was started in, so that relative words such as `--import tsx` resolve as they did).
 * Inspector 2.x reads everything before `--` as the server's command line, flags included, and its
 * own options after `--` (its 1.x read the server's flags after `--` instead).
 *
 * @example
 * ```ts
 * inspectStdio(['node', 'main.js', 'serve', 'server.ts', '--stdio'], '/srv/app').inspector;
 * // 'npx -y @modelcontextprotocol/inspector@2 --cli node main.js serve server.ts --stdio -- --cwd /srv/app --method tools/list'
 * ```
 */
export function inspectStdio(launch: readonly string[], cwd: string): { launch: string; inspector: string } {
  const command = commandLine(launch);
  return {
    launch: command,
    inspector: `${INSPECTOR} --cli ${command} -- --cwd ${shellQuote(cwd)} --method tools/list`,
  };
}
