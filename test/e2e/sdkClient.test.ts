/**
 * The official SDK client (`@modelcontextprotocol/sdk` 1.32) against the demo server on `node:http`:
 * what a real MCP client sees.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/index.js';
import type { TestServer, TestServerOptions } from './servers.js';
import { connectClient, initialize, jsonOf, post, startServer } from './servers.js';

describe('Streamable HTTP with the official SDK client', () => {
  let server: TestServer | undefined;
  const clients: Client[] = [];
  const start = async (options: TestServerOptions = {}) => {
    server = await startServer('node', options);
    return server;
  };
  const connect = async (url: URL) => {
    const connected = await connectClient(url);
    clients.push(connected.client);
    return connected;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server?.close();
    server = undefined;
  });

  const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text;

  it('connects, lists the tools and calls them', async () => {
    const { url } = await start();
    const { client, transport } = await connect(url);
    expect(transport.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.getServerVersion()).toMatchObject({ name: 'mcp-session-runtime-demo' });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'add', 'slow', 'counter']);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).toMatchObject({
      structuredContent: { sum: 42 },
    });
  });

  it('answers a call whose arguments fail the zod schema with an isError result the model can read (SEP-1303)', async () => {
    const { url } = await start();
    const { client } = await connect(url);
    const result = await client.callTool({ name: 'add', arguments: { a: 'two', b: 2 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'Invalid arguments for tool `add`:\na: Invalid input: expected number, received string',
    );
  });

  it('still rejects an unknown tool with -32602 (a protocol error)', async () => {
    const { url } = await start();
    const { client } = await connect(url);
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 });
  });

  it('delivers progress notifications in order, then the result', async () => {
    const { url } = await start();
    const { client } = await connect(url);
    const progress: number[] = [];
    const result = await client.callTool({ name: 'slow', arguments: { steps: 5, delayMs: 1 } }, undefined, {
      onprogress: ({ progress: value }) => progress.push(value),
    });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(textOf(result)).toBe('done after 5 steps');
  });

  it('cancels a running call: the handler sees its signal aborted and the stream ends; no handlerError', async () => {
    const { url, runtime } = await start();
    const failures: unknown[] = [];
    runtime.events.on('handlerError', (event) => failures.push(event));
    const { client } = await connect(url);
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: { steps: 100, delayMs: 20 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort('user gave up'),
    });
    await expect(call).rejects.toThrow();
    await vi.waitFor(() =>
      expect(runtime.metrics()).toMatchObject({ cancelled: 1, inFlight: 0, completed: 0 }),
    );
    // The session is fine after a cancellation.
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe(
      'still here',
    );
    // The slow tool rejected with an AbortError: a cancellation, not a fault.
    expect(failures).toEqual([]);
  });

  it('keeps a call running when its client disconnects (disconnection is not cancellation)', async () => {
    const { url, runtime } = await start();
    const { transport } = await connect(url);
    const controller = new AbortController();
    const call = {
      jsonrpc: '2.0',
      id: 99,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 3, delayMs: 10 }, _meta: { progressToken: 1 } },
    };
    const headers = { 'mcp-session-id': transport.sessionId as string };
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(call),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    controller.abort();
    await vi.waitFor(() =>
      expect(runtime.metrics()).toMatchObject({ completed: 1, cancelled: 0, inFlight: 0 }),
    );
  });

  it('serves 50 concurrent clients with distinct session ids and isolated counters', async () => {
    const { url, runtime } = await start();
    const runs = Array.from({ length: 50 }, async (_, index) => {
      const { client, transport } = await connect(url);
      const counts: string[] = [];
      for (let call = 0; call < (index % 3) + 1; call++) {
        counts.push(textOf(await client.callTool({ name: 'counter', arguments: {} })) as string);
      }
      return { sessionId: transport.sessionId, counts, expected: ['1', '2', '3'].slice(0, (index % 3) + 1) };
    });
    const results = await Promise.all(runs);
    expect(new Set(results.map((result) => result.sessionId)).size).toBe(50);
    for (const result of results) expect(result.counts).toEqual(result.expected);
    expect(runtime.size).toBe(50);
  });

  it('terminates a session with DELETE; the id then gets 404', async () => {
    const { url, runtime } = await start();
    const { client, transport } = await connect(url);
    const sessionId = transport.sessionId as string;
    await client.callTool({ name: 'counter', arguments: {} });
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
    expect(runtime.info(sessionId)).toBeUndefined();
    const response = await post(
      url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { 'mcp-session-id': sessionId },
    );
    expect(response.status).toBe(404);
    expect((await jsonOf(response)).error?.code).toBe(-32001);
  });

  it('DELETE during a call cancels it: the handler is aborted and the call fails at once', async () => {
    const { url, runtime } = await start();
    const { client, transport } = await connect(url);
    const sessionId = transport.sessionId as string;
    let deleted: Promise<Response> | undefined;
    const call = client.callTool({ name: 'slow', arguments: { steps: 100, delayMs: 20 } }, undefined, {
      onprogress: () => {
        deleted ??= fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
      },
    });
    // The error response travels on the call's SSE stream, which then ends.
    await expect(call).rejects.toMatchObject({ code: -32010 });
    expect((await deleted)?.status).toBe(200);
    expect(runtime.metrics()).toMatchObject({ inFlight: 0, failed: 1, completed: 0 });
  });

  it('stops an idle session: its id gets 404, and a fresh initialize works', async () => {
    const clock = new ManualClock();
    const { url, runtime } = await start({ runtime: { clock, idleTimeoutMs: 60_000 } });
    const first = await connect(url);
    const oldSessionId = first.transport.sessionId as string;
    await first.client.callTool({ name: 'counter', arguments: { by: 5 } });
    clock.advance(60_000);
    expect(runtime.size).toBe(0);
    expect(runtime.metrics().sessionsStopped.idle).toBe(1);
    const stale = await post(
      url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { 'mcp-session-id': oldSessionId },
    );
    expect(stale.status).toBe(404);
    const second = await connect(url);
    expect(second.transport.sessionId).not.toBe(oldSessionId);
    // A new session starts from zero: the old one's state was dropped with it.
    expect(textOf(await second.client.callTool({ name: 'counter', arguments: {} }))).toBe('1');
  });

  it('opens the standalone GET stream for the client after notifications/initialized', async () => {
    const { url, runtime } = await start();
    const { client, transport } = await connect(url);
    const received: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, (notification) => {
      received.push(notification.method);
    });
    // A message that belongs to no request reaches the client only on its own GET stream.
    await vi.waitFor(() =>
      expect(
        runtime.notify(transport.sessionId as string, { method: 'notifications/tools/list_changed' }),
      ).toBe(true),
    );
    await vi.waitFor(() => expect(received).toEqual(['notifications/tools/list_changed']));
  });

  it('ends a standalone GET stream when its session stops', async () => {
    const { url, runtime } = await start();
    const sessionId = await initialize(url);
    const stream = await fetch(url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
    });
    expect(stream.status).toBe(200);
    runtime.remove(sessionId);
    // The body completes instead of hanging: the client learns the session is gone.
    expect(await stream.text()).toBe('');
  });
});
