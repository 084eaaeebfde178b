/**
 * `examples/stdio-server.ts` (and `stdioFixtureServer.ts`) as child processes, driven by the
 * official SDK client's stdio transport, the way desktop clients run local MCP servers, or by a raw
 * pipe that writes requests and closes stdin at once. Spawning costs about a second (tsx compiles
 * the script), so one server serves the protocol tests and each lifecycle test spawns its own.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface SpawnedServer {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  /** Errors the client saw: a stray non-JSON line on stdout would land here. */
  readonly errors: unknown[];
  stderr(): string;
}

async function spawnServer(
  script = 'examples/stdio-server.ts',
  capabilities: ClientCapabilities = {},
): Promise<SpawnedServer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', script],
    cwd: root,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const errors: unknown[] = [];
  transport.onerror = (error) => errors.push(error);
  const client = new Client({ name: 'stdio-e2e', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return { client, transport, errors, stderr: () => stderr };
}

describe('stdio example with the official SDK client', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    await server.client.close();
  });

  it('lists and calls the tools; per-session state carries across calls', async () => {
    const { client, errors } = server;
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'add', 'slow', 'counter']);
    expect(await client.callTool({ name: 'counter', arguments: {} })).toMatchObject({
      structuredContent: { count: 1 },
    });
    expect(await client.callTool({ name: 'counter', arguments: {} })).toMatchObject({
      structuredContent: { count: 2 },
    });
    expect(await client.callTool({ name: 'add', arguments: { a: 'x', b: 1 } })).toMatchObject({
      isError: true,
    });
    expect(errors).toEqual([]);
  });

  it('delivers progress in order (the SDK client may drop updates that share a read with the response: typescript-sdk#2580)', async () => {
    const progress: number[] = [];
    const result = await server.client.callTool(
      { name: 'slow', arguments: { steps: 5, delayMs: 20 } },
      undefined,
      {
        onprogress: ({ progress: value }) => progress.push(value),
      },
    );
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'done after 5 steps' }] });
    // The server writes all five before the response (test/stdio checks the wire). The SDK client
    // handles notifications a microtask late, so any that share a read with the response are lost;
    // how many depends on the scheduler, so only delivery and order are asserted here.
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress).toEqual([1, 2, 3, 4, 5].slice(0, progress.length));
  });

  it('cancels a running call on notifications/cancelled and keeps serving', async () => {
    const { client } = server;
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { steps: 100, delayMs: 20 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    });
    await expect(call).rejects.toThrow();
    expect(await client.callTool({ name: 'echo', arguments: { text: 'after' } })).toMatchObject({
      content: [{ type: 'text', text: 'after' }],
    });
  });
});

describe('stdio example lifecycle', () => {
  it('logs to stderr only, and exits by itself when the client closes stdin', async () => {
    const { client, transport, errors, stderr } = await spawnServer();
    await client.ping();
    // The log names the session by a short hash, never by its id (a bearer of the session).
    expect(stderr()).toMatch(/^session started: #[0-9a-f]{8}$/m);
    const pid = transport.pid as number;
    const closing = Date.now();
    await client.close();
    // The SDK sends SIGTERM only after 2 s; exiting sooner means the server left on its own.
    expect(Date.now() - closing).toBeLessThan(1_500);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(stderr()).toMatch(/^session stopped: #[0-9a-f]{8} \(removed\)$/m);
    expect(errors).toEqual([]);
  });
});

describe('stdio server-initiated messages with the official SDK client', () => {
  it('carries a handler’s elicitation request and the client’s answer, and runtime.notify, over a real pipe', async () => {
    const { client, errors } = await spawnServer('test/e2e/stdioFixtureServer.ts', { elicitation: {} });
    try {
      client.setRequestHandler(ElicitRequestSchema, async () => ({
        action: 'accept',
        content: { name: 'Ada' },
      }));
      const listChanged = new Promise<void>((resolve) => {
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve());
      });
      expect(await client.callTool({ name: 'elicit', arguments: {} })).toMatchObject({
        content: [{ type: 'text', text: 'hello Ada' }],
      });
      expect(await client.callTool({ name: 'announce', arguments: {} })).toMatchObject({
        content: [{ type: 'text', text: 'true' }],
      });
      await listChanged;
      expect(errors).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

interface RawRun {
  /** Every stdout line, parsed. */
  readonly lines: { id?: number; method?: string; result?: unknown; error?: { code: number } }[];
  readonly stderr: string;
  readonly exitCode: number | null;
  /** Milliseconds from closing stdin to the process exit. */
  readonly exitAfterMs: number;
}

/**
 * Spawns `script`, writes `messages` to its stdin at once, closes stdin, and collects what the
 * process wrote until it exited: the client that pipes requests and hangs up.
 */
function runRaw(script: string, messages: unknown[], env: Record<string, string> = {}): Promise<RawRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const closedAt = Date.now();
  child.stdin.end(messages.map((message) => `${JSON.stringify(message)}\n`).join(''));
  return new Promise((resolve) => {
    child.once('close', (exitCode) => {
      const lines = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line));
      resolve({ lines, stderr, exitCode, exitAfterMs: Date.now() - closedAt });
    });
  });
}

const handshake = [
  {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
];

describe('stdio example when the client closes stdin right after writing', () => {
  it('answers every request it read, in order, then exits 0', async () => {
    const calls = [1, 2, 3, 4, 5].map((id) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 2, delayMs: 20 } },
    }));
    const run = await runRaw('examples/stdio-server.ts', [...handshake, ...calls]);
    expect(run.exitCode).toBe(0);
    const responses = run.lines.filter((line) => line.method === undefined);
    expect(responses.map((response) => response.id)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const response of responses.slice(1)) {
      expect(response.result).toEqual({ content: [{ type: 'text', text: 'done after 2 steps' }] });
    }
  });

  it('answers a handler that never ends with -32010 at the drain deadline, then exits 0', async () => {
    const run = await runRaw(
      'test/e2e/stdioFixtureServer.ts',
      [
        ...handshake,
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'forever', arguments: {} } },
        { jsonrpc: '2.0', id: 2, method: 'ping' },
      ],
      { DRAIN_TIMEOUT_MS: '300' },
    );
    expect(run.exitCode).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({ id: 0, result: expect.any(Object) }),
      { jsonrpc: '2.0', id: 2, result: {} },
      expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32010 }) }),
    ]);
    expect(run.stderr).toMatch(/input ended 300 ms ago and 1 message\(s\) are still being served/);
    expect(run.exitAfterMs).toBeGreaterThanOrEqual(300);
  });
});
