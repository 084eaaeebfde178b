/**
 * The command line in process: what `parseArgs` makes of it, what `runCli` prints for help, the
 * version and usage errors (and with which exit status), and the Inspector command lines.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { httpArgs, OPTIONS, parseArgs } from '../../src/cli/args.js';
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
      transport: {
        kind: 'http',
        port: 3000,
        host: '127.0.0.1',
        path: '/mcp',
        allowedHosts: undefined,
        allowedOrigins: undefined,
        cors: undefined,
        jwt: undefined,
        resource: undefined,
        metrics: false,
        dashboard: false,
      },
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

  it('reads the handler options: allow-lists, CORS, JWT authentication, metrics and dashboard', () => {
    const parsed = parseArgs([
      'serve',
      'server.ts',
      '--allowed-hosts=*',
      '--allowed-origins',
      'https://app.example.com, localhost',
      '--cors',
      'https://app.example.com',
      '--jwt-issuer',
      'https://auth.example.com',
      '--jwt-jwks-url',
      'https://auth.example.com/jwks.json',
      '--jwt-required-scopes',
      'mcp:tools,mcp:read',
      '--resource',
      'https://mcp.example.com/mcp',
      '--metrics',
      '--dashboard',
    ]);
    expect(parsed).toMatchObject({
      transport: {
        allowedHosts: '*',
        allowedOrigins: ['https://app.example.com', 'localhost'],
        cors: ['https://app.example.com'],
        jwt: {
          issuer: 'https://auth.example.com',
          // The audience defaults to the resource: the server's own URL (RFC 8707).
          audience: 'https://mcp.example.com/mcp',
          jwksUrl: 'https://auth.example.com/jwks.json',
          secretEnv: undefined,
          requiredScopes: ['mcp:tools', 'mcp:read'],
        },
        resource: 'https://mcp.example.com/mcp',
        metrics: true,
        dashboard: true,
      },
    });
    expect(
      parseArgs([
        'serve',
        'server.ts',
        '--jwt-issuer=dev-issuer',
        '--jwt-audience=mcp',
        '--jwt-secret-env=MCP_JWT_SECRET',
      ]),
    ).toMatchObject({
      transport: {
        jwt: { issuer: 'dev-issuer', audience: 'mcp', jwksUrl: undefined, secretEnv: 'MCP_JWT_SECRET' },
        resource: undefined,
      },
    });
  });

  it('renders the HTTP options back to a command line that parses to the same request (what dev runs)', () => {
    const argv = [
      'dev',
      'server.ts',
      '--host',
      '::',
      '--path',
      '/rpc',
      '--allowed-hosts',
      'a.example.com,b.example.com',
      '--allowed-origins',
      '*',
      '--cors',
      'https://app.example.com',
      '--jwt-issuer',
      'https://auth.example.com',
      '--jwt-audience',
      'aud',
      '--jwt-secret-env',
      'SECRET',
      '--jwt-required-scopes',
      'x,y',
      '--resource',
      'https://mcp.example.com/mcp',
      '--metrics',
      '--dashboard',
    ];
    const parsed = parseArgs(argv);
    if (parsed.kind !== 'run' || parsed.transport.kind !== 'http') throw new Error('expected an HTTP run');
    const again = parseArgs(['dev', 'server.ts', ...httpArgs(parsed.transport, 4321)]);
    expect(again).toEqual({ ...parsed, transport: { ...parsed.transport, port: 4321 } });
  });

  it('passes values that begin with - to the dev server intact', () => {
    const parsed = parseArgs([
      'dev',
      's.ts',
      '--jwt-issuer=-issuer',
      '--jwt-audience=-audience',
      '--jwt-jwks-url=https://i/k',
    ]);
    if (parsed.kind !== 'run' || parsed.transport.kind !== 'http') throw new Error('expected an HTTP run');
    const again = parseArgs(['dev', 's.ts', ...httpArgs(parsed.transport, 1)]);
    expect(again).toEqual({ ...parsed, transport: { ...parsed.transport, port: 1 } });
  });

  it('reads scopes space-separated as OAuth writes them, or comma-separated', () => {
    for (const scopes of ['mcp:read mcp:write', 'mcp:read,mcp:write', ' mcp:read , mcp:write ']) {
      const parsed = parseArgs([
        'serve',
        's.ts',
        '--jwt-issuer=i',
        '--jwt-audience=a',
        '--jwt-jwks-url=https://i/k',
        '--jwt-required-scopes',
        scopes,
      ]);
      if (parsed.kind !== 'run' || parsed.transport.kind !== 'http') throw new Error('expected an HTTP run');
      expect(parsed.transport.jwt?.requiredScopes).toEqual(['mcp:read', 'mcp:write']);
    }
  });

  it('never repeats a --jwt-secret-env value it refuses (it may be the secret itself)', () => {
    const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==';
    const parsed = parseArgs([
      'serve',
      's.ts',
      '--jwt-issuer=i',
      '--jwt-audience=a',
      '--jwt-secret-env',
      secret,
    ]);
    expect(parsed.kind).toBe('usage-error');
    expect(JSON.stringify(parsed)).not.toContain(secret);
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
    [['serve', 'a.ts', '--stdio', '--metrics'], "'--metrics' applies to '--http' only"],
    [['serve', 'a.ts', '--stdio', '--jwt-issuer', 'x'], "'--jwt-issuer' applies to '--http' only"],
    [
      ['serve', 'a.ts', '--allowed-hosts', ' , '],
      "'--allowed-hosts' takes a comma-separated list, or '*' alone",
    ],
    [
      ['serve', 'a.ts', '--allowed-origins', '*,localhost'],
      "'--allowed-origins' takes a comma-separated list",
    ],
    [
      ['serve', 'a.ts', '--allowed-origins', 'https://'],
      "'--allowed-origins' takes origins such as https://app.example.com or host names, got 'https://'",
    ],
    [['serve', 'a.ts', '--cors', '*'], "'--cors' takes full origins, comma-separated"],
    [
      ['serve', 'a.ts', '--cors', 'app.example.com'],
      "'--cors' takes full origins such as https://app.example.com",
    ],
    [
      ['serve', 'a.ts', '--cors', 'https://app.example.com/page'],
      "(no '*', no path), got 'https://app.example.com/page'",
    ],
    [['serve', 'a.ts', '--jwt-audience', 'a'], "'--jwt-audience' needs '--jwt-issuer'"],
    [['serve', 'a.ts', '--jwt-jwks-url', 'https://a/jwks'], "'--jwt-jwks-url' needs '--jwt-issuer'"],
    [['serve', 'a.ts', '--resource', 'https://a/mcp'], "'--resource' needs '--jwt-issuer'"],
    [['serve', 'a.ts', '--jwt-issuer=', '--jwt-audience', 'a'], "'--jwt-issuer' needs a value"],
    [
      ['serve', 'a.ts', '--jwt-issuer', 'i', '--jwt-audience', 'a'],
      'JWT authentication needs one key source',
    ],
    [
      [
        'serve',
        'a.ts',
        '--jwt-issuer',
        'i',
        '--jwt-audience',
        'a',
        '--jwt-secret-env',
        'S',
        '--jwt-jwks-url',
        'https://i/k',
      ],
      'JWT authentication needs one key source',
    ],
    [
      ['serve', 'a.ts', '--jwt-issuer', 'i', '--jwt-audience', 'a', '--jwt-jwks-url', 'file:///etc/keys'],
      "'--jwt-jwks-url' takes an http(s) URL, got 'file:///etc/keys'",
    ],
    [
      [
        'serve',
        'a.ts',
        '--jwt-issuer',
        'i',
        '--jwt-audience',
        'a',
        '--jwt-secret-env',
        'hunter2-is-my-secret',
      ],
      "'--jwt-secret-env' takes the name of an environment variable",
    ],
    [
      ['serve', 'a.ts', '--jwt-issuer', 'i', '--jwt-secret-env', 'S'],
      "JWT authentication needs '--jwt-audience <uri>'",
    ],
    [
      [
        'serve',
        'a.ts',
        '--jwt-issuer',
        'https://i',
        '--jwt-secret-env',
        'S',
        '--resource',
        'mcp.example.com',
      ],
      "'--resource' takes this server's http(s) URL, got 'mcp.example.com'",
    ],
    [
      ['serve', 'a.ts', '--jwt-issuer', 'dev', '--jwt-secret-env', 'S', '--resource', 'https://m/mcp'],
      "'--resource' names '--jwt-issuer' as the authorization server: it must be an http(s) URL, got 'dev'",
    ],
    [
      ['serve', 'a.ts', '--jwt-secret', 'x'],
      "unknown option '--jwt-secret' (did you mean '--jwt-secret-env'?)",
    ],
    [['serve', 'a.ts', '--metrics=yes'], "'--metrics' takes no value"],
    [['serve', 'a.ts', '--cors', 'https://a', '--cors', 'https://b'], "'--cors' was given twice"],
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
      'npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:3000/mcp --transport http --method tools/list',
      'npx -y @modelcontextprotocol/inspector@2 --server-url http://127.0.0.1:3000/mcp --transport http',
    ]);
    expect(inspectHttp('http://127.0.0.1:3000/mcp', true)).toEqual([
      'npx -y @modelcontextprotocol/inspector@2 --cli http://127.0.0.1:3000/mcp --transport http --header "Authorization: Bearer $TOKEN" --method tools/list',
      'npx -y @modelcontextprotocol/inspector@2 --server-url http://127.0.0.1:3000/mcp --transport http --header "Authorization: Bearer $TOKEN"',
    ]);
  });

  it('launches a stdio server from its folder: its whole command line before --, the Inspector options after, quoted for a shell', () => {
    expect(
      inspectStdio(
        ['node', '--import', 'tsx', '/srv/my app/main.js', 'serve', 'server.ts', '--stdio'],
        '/srv/my app',
      ),
    ).toEqual({
      launch: "node --import tsx '/srv/my app/main.js' serve server.ts --stdio",
      inspector:
        "npx -y @modelcontextprotocol/inspector@2 --cli node --import tsx '/srv/my app/main.js' serve server.ts --stdio -- --cwd '/srv/my app' --method tools/list",
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
