/**
 * The official SDK client against the Web-standard handler mounted in Hono (as `examples/hono.ts`
 * does): the streaming paths, which differ most between the two forms, work end to end.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestServer } from './servers.js';
import { connectClient, startServer } from './servers.js';

describe('Streamable HTTP in Hono with the official SDK client', () => {
  let server: TestServer | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  it('connects, calls a tool, and streams its progress in order', async () => {
    server = await startServer('hono');
    ({ client } = await connectClient(server.url));
    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow', arguments: { steps: 3, delayMs: 1 } }, undefined, {
      onprogress: ({ progress: value }) => progress.push(value),
    });
    expect(progress).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ content: [{ type: 'text', text: 'done after 3 steps' }] });
  });

  it('cancels a running call through notifications/cancelled', async () => {
    server = await startServer('hono');
    const { runtime } = server;
    ({ client } = await connectClient(server.url));
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { steps: 100, delayMs: 20 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    });
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(runtime.metrics()).toMatchObject({ cancelled: 1, inFlight: 0 }));
  });

  it('isolates the counters of two sessions', async () => {
    server = await startServer('hono');
    ({ client } = await connectClient(server.url));
    const other = await connectClient(server.url);
    try {
      await client.callTool({ name: 'counter', arguments: { by: 10 } });
      const mine = await client.callTool({ name: 'counter', arguments: { by: 1 } });
      const theirs = await other.client.callTool({ name: 'counter', arguments: { by: 1 } });
      expect(mine.structuredContent).toEqual({ count: 11 });
      expect(theirs.structuredContent).toEqual({ count: 1 });
    } finally {
      await other.client.close();
    }
  });
});
