/**
 * docs/http.md shows curl commands and what the server answers. These tests run those blocks
 * verbatim against the example servers and compare what they print with what the page says, so the
 * page cannot drift from the server (a missing priming event, a changed header, a script that does
 * not wait for its server). Only values that differ on every run are normalised: session ids, event
 * ids, and the headers curl prints that carry dates and connection details.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const page = readFileSync(new URL('../../docs/http.md', import.meta.url), 'utf8');

interface Step {
  readonly script: string;
  readonly expected: string;
}

/** Every ```sh block followed at once by a ```text block: a command and what it prints. */
function steps(markdown: string): Step[] {
  const pairs = [...markdown.matchAll(/```sh\n([\s\S]*?)```\n```text\n([\s\S]*?)```/g)];
  return pairs.map((match) => ({ script: match[1] ?? '', expected: match[2] ?? '' }));
}

const varyingHeaders = /^(date|connection|keep-alive|content-length|transfer-encoding):/i;

function normalise(text: string): string {
  return text
    .replace(/\r/g, '')
    .split('\n')
    .filter((line) => !varyingHeaders.test(line))
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\b[0-9a-f]{32}\b/g, '<session-id>')
    .replace(/^id: .+$/gm, 'id: <event-id>')
    .trimEnd();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/** Runs `script` in bash (its own process group), resolving with stdout once bash exits. */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; code: number | null }> {
  const child = spawn('bash', ['-c', script], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.resume();
  return new Promise((resolve) => child.once('close', (code) => resolve({ stdout, code })));
}

/** Starts an example server on `port` and resolves once it says it listens. */
async function startExample(file: string, port: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`example exited with ${code}: ${stderr}`)));
  });
}

const assignment = /^[A-Z]+=.*$/gm;

describe('docs/http.md', () => {
  const all = steps(page);

  it('has the walkthrough and the secured script as command/output pairs', () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
  });

  it('prints, step by step, what the demo server answers', async () => {
    const port = await freePort();
    await startExample('examples/http-server.ts', port);
    const walkthrough = all.filter((step) => !step.script.includes('secured-server'));
    let sessionId = '';
    let variables = '';
    for (const step of walkthrough) {
      // The page asks the reader to copy the session id they got; the test copies it the same way.
      const script = step.script.replace(/^SID=\S+/m, `SID=${sessionId}`);
      const { stdout } = await bash(`set -e\n${variables}\n${script}`, {
        ...process.env,
        PORT: String(port),
      });
      sessionId = /mcp-session-id: ([0-9a-f]{32})/i.exec(stdout)?.[1] ?? sessionId;
      expect(normalise(stdout), script).toBe(normalise(step.expected));
      variables += `${(script.match(assignment) ?? []).join('\n')}\n`;
    }
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
  }, 60_000);

  it('names in its start-up banner every route the demo server serves, and each answers', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/http-server.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port) },
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const banner = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      // The banner is one write: a first line without the second is not waited on for long.
      const timer = setTimeout(() => reject(new Error(`no second banner line in: ${stderr}`)), 10_000);
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (/^Also serving .*\n/m.test(stderr)) {
          clearTimeout(timer);
          resolve(stderr);
        }
      });
      child.once('exit', (code) => reject(new Error(`example exited with ${code}: ${stderr}`)));
    });
    const [first, second] = banner.split('\n');
    expect(first).toBe(`MCP server listening on http://127.0.0.1:${port}/mcp`);
    const urls = second?.match(/http:\/\/\S+?(?=[,\s])/g) ?? [];
    expect(urls.map((url) => new URL(url).pathname)).toEqual(['/health', '/ready', '/metrics', '/dashboard']);
    for (const url of urls) expect((await fetch(url)).status, url).toBe(200);
  }, 30_000);

  it('runs the "securing it" script as pasted: it waits for its server and its token is accepted', async () => {
    const secured = all.find((step) => step.script.includes('secured-server'));
    expect(secured).toBeDefined();
    const port = await freePort();
    const { stdout, code } = await bash(secured?.script ?? '', { ...process.env, PORT: String(port) });
    expect(normalise(stdout)).toBe(normalise(secured?.expected ?? ''));
    expect(code).toBe(0);
  }, 90_000);
});
