/**
 * `mcp-session-runtime serve` as a real child process on `examples/cli-server.ts`: over HTTP it
 * answers both eras and its health paths, drains on SIGTERM (a call in flight is answered; `/ready`
 * and a new `initialize` get 503 meanwhile) and exits 0; over stdio it answers on stdout only; a
 * module that does not export a server, and a usage error, end it with 1 and 2.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliProcess } from './cliProcess.js';
import { messageOf, postInitialize, postModern, runCli, startCli } from './cliProcess.js';

const started: CliProcess[] = [];
afterEach(() => {
  for (const cli of started.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
});

function start(args: readonly string[], cwd?: string, env?: NodeJS.ProcessEnv): CliProcess {
  const cli = startCli(args, cwd, env);
  started.push(cli);
  return cli;
}

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mcp-cli-serve-'));
  await writeFile(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(join(work, 'no-default.ts'), 'export const tools: string[] = [];\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('serve --http', () => {
  it('serves both eras and the health paths, drains on SIGTERM and exits 0', async () => {
    const cli = start(['serve', 'examples/cli-server.ts', '--http', '0', '--inspect']);
    const [, url = ''] = await cli.waitForStderr(
      /serving examples\/cli-server\.ts on (http:\/\/127\.0\.0\.1:\d+\/mcp)/,
    );
    const [inspect] = await cli.waitForStderr(/inspect: npx -y @modelcontextprotocol\/inspector@2 --cli .*/);
    expect(inspect).toBe(
      `inspect: npx -y @modelcontextprotocol/inspector@2 --cli ${url} --transport http --method tools/list`,
    );

    const initialized = await postInitialize(url);
    expect(initialized.status).toBe(200);
    expect(initialized.headers.get('mcp-session-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(await messageOf(initialized)).toMatchObject({
      id: 1,
      result: { protocolVersion: '2025-11-25', serverInfo: { name: 'mcp-session-runtime-demo' } },
    });
    const discovered = await messageOf(await postModern(url, 2, 'server/discover'));
    expect(discovered).toMatchObject({
      id: 2,
      result: { supportedVersions: expect.arrayContaining(['2026-07-28', '2025-11-25']) },
    });
    const health = await fetch(new URL('/health', url));
    expect(health.status).toBe(200);
    expect((await fetch(new URL('/elsewhere', url))).status).toBe(404);

    // A call in flight when SIGTERM arrives is answered; meanwhile the server is not ready and
    // refuses new sessions. Its first progress turns the answer into an SSE stream: the headers say
    // the handler is running. Its second step is long, so that the checks below run while it is in
    // flight even on a loaded machine (once it is answered, the server closes its connections).
    const slow = await postModern(url, 3, 'tools/call', {
      name: 'slow',
      arguments: { steps: 2, delayMs: 1_500 },
      _meta: { progressToken: 'p' },
    });
    expect(slow.headers.get('content-type')).toContain('text/event-stream');
    cli.child.kill('SIGTERM');
    await cli.waitForStderr(/SIGTERM: draining/);
    const ready = await fetch(new URL('/ready', url));
    expect(ready.status).toBe(503);
    const refused = await postInitialize(url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await messageOf(refused)).toMatchObject({ error: { code: -32013 } });
    expect(await messageOf(slow)).toMatchObject({
      id: 3,
      result: { content: [{ type: 'text', text: 'done after 2 steps' }] },
    });
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/stopped\n$/);
    expect(cli.stdout()).toBe('');
  });
});

describe('serve --http with the handler options of its flags', () => {
  it('asks for a bearer JWT, checks Origin, answers CORS preflights and serves the RFC 9728 metadata, /metrics and /dashboard', async () => {
    const secret = 'a test secret of at least 32 bytes, never on argv';
    const cli = start(
      [
        'serve',
        'examples/cli-server.ts',
        '--http',
        '0',
        '--allowed-origins',
        'https://app.example.com,https://tool.example.com',
        '--cors',
        'https://app.example.com',
        '--jwt-issuer',
        'https://auth.example.com',
        '--jwt-secret-env',
        'MCP_TEST_JWT_SECRET',
        '--resource',
        'https://mcp.example.com/mcp',
        '--metrics',
        '--dashboard',
      ],
      undefined,
      { MCP_TEST_JWT_SECRET: secret },
    );
    const [, url = ''] = await cli.waitForStderr(
      /on (http:\/\/127\.0\.0\.1:\d+\/mcp) \(GET \/health, \/ready, \/metrics, \/dashboard\)/,
    );
    await cli.waitForStderr(
      /requests need a bearer JWT: issuer https:\/\/auth\.example\.com, audience https:\/\/mcp\.example\.com\/mcp \(HMAC secret from \$MCP_TEST_JWT_SECRET\)/,
    );
    expect(cli.stderr()).not.toContain(secret);

    const anonymous = await postInitialize(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    const metadata = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url));
    expect(await metadata.json()).toMatchObject({
      resource: 'https://mcp.example.com/mcp',
      authorization_servers: ['https://auth.example.com'],
    });

    const sign = (claims: { iss: string; aud: string }) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
    const token = await sign({ iss: 'https://auth.example.com', aud: 'https://mcp.example.com/mcp' });
    const accepted = await postInitialize(url, { authorization: `Bearer ${token}` });
    expect(accepted.status).toBe(200);
    expect(await messageOf(accepted)).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
    const otherAudience = await sign({
      iss: 'https://auth.example.com',
      aud: 'https://elsewhere.example.com',
    });
    const refused = await postInitialize(url, { authorization: `Bearer ${otherAudience}` });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // The Origin check comes before authentication: a page of an origin not listed is refused even with a token.
    const foreign = await postInitialize(url, {
      authorization: `Bearer ${token}`,
      origin: 'https://evil.example.com',
    });
    expect(foreign.status).toBe(403);
    const fromApp = await postInitialize(url, {
      authorization: `Bearer ${token}`,
      origin: 'https://app.example.com',
    });
    expect(fromApp.status).toBe(200);
    expect(fromApp.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    // An allowed origin that is not a CORS origin passes the check but gets no CORS header.
    const fromTool = await postInitialize(url, {
      authorization: `Bearer ${token}`,
      origin: 'https://tool.example.com',
    });
    expect(fromTool.status).toBe(200);
    expect(fromTool.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    expect((await fetch(new URL('/metrics', url))).status).toBe(200);
    const dashboard = await fetch(new URL('/dashboard', url));
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get('content-type')).toContain('text/html');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});

describe('serve --stdio', () => {
  it('answers initialize and tools/list on stdout, logs on stderr, and exits 0 when stdin ends', async () => {
    const cli = start(['serve', 'examples/cli-server.ts', '--stdio']);
    const line = (id: number, method: string, params: Record<string, unknown> = {}) =>
      `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
    cli.child.stdin.write(
      line(1, 'initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'cli-test', version: '1' },
      }),
    );
    cli.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    cli.child.stdin.end(line(2, 'tools/list'));
    expect(await cli.exited).toBe(0);
    const messages = cli
      .stdout()
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { id: number; result: Record<string, unknown> });
    expect(messages.map((message) => message.id)).toEqual([1, 2]);
    expect(messages[0]?.result).toMatchObject({ serverInfo: { name: 'mcp-session-runtime-demo' } });
    expect(((messages[1]?.result.tools ?? []) as { name: string }[]).map((tool) => tool.name)).toEqual([
      'echo',
      'add',
      'slow',
      'counter',
    ]);
    expect(cli.stderr()).toContain('serving examples/cli-server.ts over stdio');
  });
});

describe('failures', () => {
  it('exits 1 with the reason on stderr when the module exports no server', async () => {
    const { code, stdout, stderr } = await runCli(['serve', 'no-default.ts', '--http', '0'], work);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mcp-session-runtime: the module has no default export: /);
    expect(stdout).toBe('');
  });

  it('exits 2 with a one-line reason and the usage on stderr for an unknown option', async () => {
    const { code, stdout, stderr } = await runCli(['serve', 'examples/cli-server.ts', '--htp', '3000']);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe("mcp-session-runtime: unknown option '--htp' (did you mean '--http'?)");
    expect(lines[1]).toMatch(/^Usage: mcp-session-runtime serve <module>/);
    expect(stdout).toBe('');
  });
});
