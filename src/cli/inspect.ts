/**
 * The MCP Inspector command lines `--inspect` prints: for an HTTP server the Inspector connects to
 * its URL; for stdio it launches the server itself, with the command line that started this one.
 */

const INSPECTOR = 'npx @modelcontextprotocol/inspector';

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
 * terminal, and the browser UI already pointed at it.
 *
 * @example
 * ```ts
 * inspectHttp('http://127.0.0.1:3000/mcp');
 * // ['npx @modelcontextprotocol/inspector --cli http://127.0.0.1:3000/mcp --transport http --method tools/list', …]
 * ```
 */
export function inspectHttp(url: string): string[] {
  return [
    `${INSPECTOR} --cli ${shellQuote(url)} --transport http --method tools/list`,
    `${INSPECTOR} --server-url ${shellQuote(url)} --transport http`,
  ];
}

/**
 * For a stdio server: the command line that launches it (`launch`, e.g. node, its flags, this
 * script, `serve <module> --stdio`), and the Inspector command that runs it. The Inspector takes the
 * server's command positionally and the words from its first flag on after `--`, so that it does
 * not read them as its own.
 */
export function inspectStdio(launch: readonly string[]): { launch: string; inspector: string } {
  const firstFlag = launch.findIndex((word) => word.startsWith('-'));
  const command = firstFlag === -1 ? launch : launch.slice(0, firstFlag);
  const rest = firstFlag === -1 ? [] : launch.slice(firstFlag);
  return {
    launch: commandLine(launch),
    inspector: `${INSPECTOR} --cli ${commandLine(command)} --method tools/list${rest.length === 0 ? '' : ` -- ${commandLine(rest)}`}`,
  };
}
