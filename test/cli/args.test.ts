/**
 * The command line in process: what `parseArgs` makes of it, what `runCli` prints for help, the
 * version and usage errors (and with which exit status), and the Inspector command lines.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS, parseArgs } from '../../src/cli/args.js';
import { commandLine, inspectHttp, inspectStdio, shellQuote } from '../../src/cli/inspect.js';
import { runCli } from '../../src/cli/run.js';
import { HELP } from '../../src/cli/usage.js';

async function run(argv: readonly string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err };
}

describe('parseArgs', () => {
  it('serves over HTTP on 127.0.0.1:3000/mcp unless told otherwise', () => {
    expect(parseArgs(['serve', './server.ts'])).toEqual({
      kind: 'run',
      command: 'serve',
      module: './server.ts',
      transport: { kind: 'http', port: 3000, host: '127.0.0.1', path: '/mcp', allowedHosts: undefined },
      drainMs: 5_000,
      inspect: false,
      watch: [],
    });
  });

  it('reads every option, in either spelling', () => {
    expect(
      parseArgs([
        'serve',
        '--http=8080',
        'server.js',
        '--host',
        '0.0.0.0',
        '--path=/rpc',
        '--allowed-hosts',
        'mcp.example.com, api.example.com',
        '--drain-ms',
        '250',
        '--inspect',
      ]),
    ).toMatchObject({
      module: 'server.js',
      transport: {
        kind: 'http',
        port: 8080,
        host: '0.0.0.0',
        path: '/rpc',
        allowedHosts: ['mcp.example.com', 'api.example.com'],
      },
      drainMs: 250,
      inspect: true,
    });
    expect(parseArgs(['serve', 'server.ts', '--http', '0'])).toMatchObject({ transport: { port: 0 } });
    expect(parseArgs(['serve', 'server.ts', '--stdio'])).toMatchObject({ transport: { kind: 'stdio' } });
    expect(parseArgs(['dev', 'server.ts', '--watch', 'src', '--watch', 'lib'])).toMatchObject({
      command: 'dev',
      drainMs: 1_000,
      watch: ['src', 'lib'],
    });
    // A bare `--http` before the module leaves the module to be the positional argument.
    expect(parseArgs(['serve', '--http', 'server.ts'])).toMatchObject({
      module: 'server.ts',
      transport: { port: 3000 },
    });
  });

  it('lets --help and --version win over anything else on the line', () => {
    expect(parseArgs(['serve', '--nonsense', '-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['--version', 'dev'])).toEqual({ kind: 'version' });
  });

  it.each([
    [[], 'missing command: serve or dev'],
    [['server.ts'], "unknown command 'server.ts'"],
    [['sevre', 'server.ts'], "unknown command 'sevre' (did you mean 'serve'?)"],
    [['serve'], 'missing module: serve <module>, e.g. ./server.ts'],
    [['serve', 'a.ts', 'b.ts'], "unexpected argument 'b.ts'"],
    [['serve', 'a.ts', '--stdoi'], "unknown option '--stdoi' (did you mean '--stdio'?)"],
    [['serve', 'a.ts', '-x'], "unknown option '-x'"],
    [['serve', 'a.ts', '--http', '--stdio'], "choose one transport: '--http' or '--stdio'"],
    [['serve', 'a.ts', '--http', '70000'], "'--http' takes a port from 0 to 65535, got '70000'"],
    [['serve', 'a.ts', '--http=x'], "'--http' takes a port from 0 to 65535, got 'x'"],
    [['serve', 'a.ts', '--host'], "'--host' needs a value"],
    [['serve', 'a.ts', '--path', 'mcp'], "'--path' must start with '/', got 'mcp'"],
    [['serve', 'a.ts', '--drain-ms', '-1'], "'--drain-ms' needs a value"],
    [
      ['serve', 'a.ts', '--drain-ms', '1.5'],
      "'--drain-ms' must be a whole number of milliseconds, got '1.5'",
    ],
    [['serve', 'a.ts', '--stdio', '--host', '0.0.0.0'], "'--host' applies to '--http' only"],
    [['serve', 'a.ts', '--watch', 'src'], "'--watch' applies to 'dev' only"],
    [['serve', 'a.ts', '--inspect=yes'], "'--inspect' takes no value"],
    [['dev', 'a.ts', '--stdio'], "'dev' serves over HTTP only"],
  ])('refuses %j: %s', (argv, message) => {
    const parsed = parseArgs(argv);
    expect(parsed.kind).toBe('usage-error');
    expect(parsed.kind === 'usage-error' && parsed.message).toContain(message);
  });
});

describe('runCli', () => {
  it('prints the help on stdout and exits 0', async () => {
    const { code, out, err } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: mcp-session-runtime serve <module>/);
    expect(out).toContain('--inspect');
    expect(err).toEqual([]);
  });

  it("prints the package's version on stdout and exits 0", async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await run(['-v'])).toEqual({ code: 0, out: manifest.version, err: [] });
  });

  it('prints a usage error as one line, then the usage, on stderr, and exits 2', async () => {
    const { code, out, err } = await run(['serve']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err[0]).toBe('mcp-session-runtime: missing module: serve <module>, e.g. ./server.ts');
    expect(err.slice(1).join('\n')).toMatch(
      /^Usage: .*\n.*\nRun 'mcp-session-runtime --help' for the options\.$/,
    );
  });
});

describe('the Inspector commands', () => {
  it('connects to an HTTP endpoint, in the terminal and in the browser', () => {
    expect(inspectHttp('http://127.0.0.1:3000/mcp')).toEqual([
      'npx @modelcontextprotocol/inspector --cli http://127.0.0.1:3000/mcp --transport http --method tools/list',
      'npx @modelcontextprotocol/inspector --server-url http://127.0.0.1:3000/mcp --transport http',
    ]);
  });

  it('launches a stdio server with its flags after --, quoted for a shell', () => {
    expect(inspectStdio(['node', '/srv/my app/main.js', 'serve', 'server.ts', '--stdio'])).toEqual({
      launch: "node '/srv/my app/main.js' serve server.ts --stdio",
      inspector:
        "npx @modelcontextprotocol/inspector --cli node '/srv/my app/main.js' serve server.ts --method tools/list -- --stdio",
    });
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(commandLine(['a', 'b c', ''])).toBe("a 'b c' ''");
  });
});

describe('the documentation of the options', () => {
  it('names every option the parser takes in --help and in docs/cli.md, and no other', () => {
    const page = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    const inHelp = [...HELP.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((match) => match[1]);
    expect(inHelp.sort()).toEqual([...OPTIONS].sort());
    const inPage = new Set([...page.matchAll(/`(--[a-z-]+)/g)].map((match) => match[1]));
    expect([...inPage].sort()).toEqual([...OPTIONS].sort());
  });
});
