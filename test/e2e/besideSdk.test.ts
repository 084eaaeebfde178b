/**
 * examples/beside-the-sdk.ts with real clients: one endpoint split by the SDK's `isLegacyRequest`.
 * The official 1.x client (2025) gets sessions of this runtime whose tools are the SDK `McpServer`'s
 * own (one instance per session, so its per-instance state is per session); the 2.x client pinned to
 * 2026-07-28 is served by the SDK's `createMcpHandler` (a fresh instance per request). The runtime's
 * session limit and idle expiry apply to the 2025 half.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BesideTheSdk } from '../../examples/beside-the-sdk.js';
import { createBesideTheSdk, serveOnNode } from '../../examples/beside-the-sdk.js';
import type { SessionRuntimeOptions } from '../../src/index.js';

let endpoint: BesideTheSdk | undefined;
let server: Server | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
  await endpoint?.runtime.close({ drainMs: 0 });
  await endpoint?.modern.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  endpoint = undefined;
  server = undefined;
});

async function start(runtime: SessionRuntimeOptions = {}): Promise<URL> {
  endpoint = await createBesideTheSdk({ runtime });
  server = serveOnNode(endpoint).listen(0, '127.0.0.1');
  await new Promise((resolve) => server?.once('listening', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

async function legacyClient(url: URL) {
  const client = new ClientV1({ name: 'legacy', version: '1.0.0' });
  const transport = new TransportV1(url);
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, transport };
}

async function modernClient(url: URL) {
  const client = new ClientV2(
    { name: 'modern', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const transport = new TransportV2(url);
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, transport };
}

const textOf = (result: unknown) =>
  ((result as { content: { text?: string }[] }).content[0] as { text?: string }).text;

describe('beside the SDK: one endpoint, split by isLegacyRequest', () => {
  it('serves the McpServer tools to 2025 clients in sessions of the runtime, and to 2026-07-28 clients through createMcpHandler', async () => {
    const url = await start();
    const first = await legacyClient(url);
    const second = await legacyClient(url);
    const modern = await modernClient(url);

    // The same tools, advertised as the SDK server writes them, on both halves.
    const legacyTools = (await first.client.listTools()).tools;
    const modernTools = (await modern.client.listTools()).tools;
    expect(legacyTools.map((tool) => tool.name)).toEqual(['greet', 'visits']);
    expect(modernTools.map((tool) => tool.name)).toEqual(['greet', 'visits']);
    expect(legacyTools[0]?.inputSchema).toEqual(modernTools[0]?.inputSchema);
    expect(legacyTools[0]?.inputSchema).toMatchObject({ type: 'object', required: ['name'] });

    expect(textOf(await first.client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toBe(
      'Hello, Ada!',
    );
    expect(textOf(await modern.client.callTool({ name: 'greet', arguments: { name: 'Bob' } }))).toBe(
      'Hello, Bob!',
    );

    // 2025: one McpServer per session, so its state lasts the session and is the session's own.
    expect(first.transport.sessionId).toMatch(/^[0-9a-f]{32}$/u);
    expect(textOf(await first.client.callTool({ name: 'visits', arguments: {} }))).toBe('1');
    expect(textOf(await first.client.callTool({ name: 'visits', arguments: {} }))).toBe('2');
    expect(textOf(await second.client.callTool({ name: 'visits', arguments: {} }))).toBe('1');
    // 2026-07-28: the SDK builds an instance per request, and no session exists; none of these
    // requests reached the runtime.
    const accepted = endpoint?.runtime.metrics().accepted;
    expect(textOf(await modern.client.callTool({ name: 'visits', arguments: {} }))).toBe('1');
    expect(textOf(await modern.client.callTool({ name: 'visits', arguments: {} }))).toBe('1');
    expect(modern.client.getProtocolEra()).toBe('modern');
    expect(endpoint?.runtime.metrics().accepted).toBe(accepted);
    expect(endpoint?.runtime.size).toBe(2);

    // The SDK server still validates the arguments: its own error reaches the 2025 client.
    const invalid = (await first.client.callTool({ name: 'greet', arguments: {} })) as { isError?: boolean };
    expect(invalid.isError).toBe(true);
  });

  it('applies the runtime’s session limit and idle expiry to the 2025 half only', async () => {
    const url = await start({ maxSessions: 2, idleTimeoutMs: 300 });
    const stopped: string[] = [];
    endpoint?.runtime.events.on('sessionStopped', ({ reason }) => stopped.push(reason));
    const first = await legacyClient(url);
    await legacyClient(url);
    // A third session is refused (503 `overloaded`, past `maxSessions`); 2026-07-28 requests hold no
    // session slot.
    await expect(legacyClient(url)).rejects.toThrow(/Server overloaded.*"limit":2/u);
    const modern = await modernClient(url);
    expect(textOf(await modern.client.callTool({ name: 'greet', arguments: { name: 'Cy' } }))).toBe(
      'Hello, Cy!',
    );

    // Idle past 300 ms: the runtime stops both sessions (and closes their McpServer instances).
    for (let waited = 0; stopped.length < 2 && waited < 3_000; waited += 50) await sleep(50);
    expect(stopped).toEqual(['idle', 'idle']);
    expect(endpoint?.runtime.size).toBe(0);
    await expect(first.client.callTool({ name: 'visits', arguments: {} })).rejects.toThrow(
      /404|[Ss]ession not found/u,
    );
    // A new session starts from a fresh instance.
    const again = await legacyClient(url);
    expect(textOf(await again.client.callTool({ name: 'visits', arguments: {} }))).toBe('1');
  });
});
