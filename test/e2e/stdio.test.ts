/**
 * `examples/stdio-server.ts` as a child process, driven by the official SDK client's stdio
 * transport: the way desktop clients run local MCP servers. Spawning costs about a second (tsx
 * compiles the example), so one server serves the protocol tests and one more the shutdown test.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface SpawnedServer {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  /** Errors the client saw: a stray non-JSON line on stdout would land here. */
  readonly errors: unknown[];
  stderr(): string;
}

async function spawnServer(): Promise<SpawnedServer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'examples/stdio-server.ts'],
    cwd: root,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const errors: unknown[] = [];
  transport.onerror = (error) => errors.push(error);
  const client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
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
