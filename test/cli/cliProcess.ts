/**
 * The `mcp-session-runtime` command as a child process, run from its sources under tsx (as the
 * examples are): its stderr read line by line so a test awaits a readiness line instead of
 * sleeping, and small HTTP helpers for both eras.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader by its URL, so that it is found from any working directory. */
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves with the first match of `pattern` in stderr (already written, or to come). */
  waitForStderr(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts `mcp-session-runtime …args` in `cwd` (the repository by default), with `env` added. */
export function startCli(args: readonly string[], cwd = root, env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', tsx, main, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  const waiters = new Set<() => void>();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    waitForStderr(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = stderr.match(pattern);
          if (match === null) return false;
          waiters.delete(onData);
          resolve(match);
          return true;
        };
        const onData = (): void => void check();
        if (check()) return;
        waiters.add(onData);
        void exited.then(() => {
          if (!check()) reject(new Error(`exited before printing ${pattern}; stderr:\n${stderr}`));
        });
      });
    },
  };
}

/** Runs `mcp-session-runtime …args` to its end. */
export async function runCli(
  args: readonly string[],
  cwd = root,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, cwd);
  cli.child.stdin.end();
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The `_meta` envelope of a 2026-07-28 request. */
export const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'cli-test', version: '1.0.0' },
};

/** POSTs a 2026-07-28 request (no session) with the headers it needs; `params._meta` joins the envelope. */
export function postModern(url: string, id: number, method: string, params: Record<string, unknown> = {}) {
  const name = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: { ...params, _meta: { ...envelope, ...(params._meta as object | undefined) } },
    }),
  });
}

/** POSTs a 2025-era `initialize`, which opens a session; `headers` are added (`authorization`, `origin`). */
export function postInitialize(url: string, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'cli-test', version: '1' },
      },
    }),
  });
}

/** The JSON-RPC message of a response, whether sent as JSON or as an SSE stream (its last message). */
export async function messageOf(response: Response): Promise<{
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text);
  const data = text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5).trim()) as { id?: unknown });
  return data.filter((message) => message.id !== undefined).at(-1) ?? {};
}
