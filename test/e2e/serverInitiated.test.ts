/**
 * Server-initiated traffic over Streamable HTTP with the official SDK client: a tool's sampling
 * request on the call's own stream, and resources/updated on the standalone GET stream to a
 * subscribed client only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createNodeHandler } from '../../src/http/index.js';
import { createSessionRuntime, defineResource, defineTool } from '../../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function start() {
  const runtime = createSessionRuntime({
    tools: [
      defineTool({
        name: 'ask_model',
        inputSchema: z.object({ prompt: z.string() }),
        handler: async ({ prompt }, ctx) => {
          const answer = await ctx.request('sampling/createMessage', {
            messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
            maxTokens: 10,
          });
          return `model said: ${(answer.content as { text: string }).text}`;
        },
      }),
    ],
    resources: [defineResource({ uri: 'test://watched', name: 'Watched', read: () => 'v1' })],
  });
  const mcp = createNodeHandler(runtime);
  const server = createServer((req, res) => mcp(req, res)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  closers.push(async () => {
    await runtime.close({ drainMs: 0 });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { runtime, url };
}

async function connect(url: URL, capabilities: Record<string, unknown> = {}) {
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(url));
  closers.push(() => client.close());
  return client;
}

describe('server-initiated requests over HTTP', () => {
  it('sends a tool’s sampling request on the call’s stream and uses the client’s answer', async () => {
    const { url } = await start();
    const client = await connect(url, { sampling: {} });
    const seen: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      seen.push(request.params.messages);
      return { role: 'assistant', content: { type: 'text', text: 'hello back' }, model: 'test' };
    });
    const result = await client.callTool({ name: 'ask_model', arguments: { prompt: 'hello' } });
    expect(result.content).toEqual([{ type: 'text', text: 'model said: hello back' }]);
    expect(seen).toEqual([[{ role: 'user', content: { type: 'text', text: 'hello' } }]]);
  });

  it('answers with an error when the client has no sampling capability', async () => {
    const { url } = await start();
    const client = await connect(url);
    // The tool's own request failed: a tool execution error whose text says why (SEP-1303).
    const result = await client.callTool({ name: 'ask_model', arguments: { prompt: 'x' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/could not ask the client: .*sampling capability/);
  });
});

describe('resource subscriptions over HTTP', () => {
  it('delivers resources/updated on the standalone stream to the subscribed client only', async () => {
    const { runtime, url } = await start();
    const subscriber = await connect(url);
    const bystander = await connect(url);
    const received: Record<string, string[]> = { subscriber: [], bystander: [] };
    const arrived = new Promise<void>((resolve) => {
      subscriber.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        received.subscriber?.push(notification.params.uri);
        resolve();
      });
    });
    bystander.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      received.bystander?.push(notification.params.uri);
    });
    await subscriber.subscribeResource({ uri: 'test://watched' });
    // The SDK opens its GET stream in the background after connecting; wait until both are attached.
    await expect.poll(() => runtime.notifyResourceUpdated('test://watched'), { timeout: 5_000 }).toBe(1);
    await arrived;
    expect(received.subscriber?.[0]).toBe('test://watched');
    expect(received.bystander).toEqual([]);
  });
});
