/**
 * Both protocol eras on one endpoint at the same time. One runtime behind `createNodeHandler` on
 * `node:http` serves, concurrently and several of each:
 *
 * - the official TypeScript client 2.x (`@modelcontextprotocol/client`) pinned to 2026-07-28
 *   (`versionNegotiation: { mode: { pin: '2026-07-28' } }`): sessionless, `_meta` envelope,
 *   elicitation through `input_required` and a retry;
 * - the same client in `'auto'` negotiation: it probes with `server/discover` and must settle on
 *   2026-07-28 against this server;
 * - the same client in its default negotiation (`'legacy'`: a plain 2025 `initialize`);
 * - the 1.x client (`@modelcontextprotocol/sdk`): a 2025 session.
 *
 * Each lists the tools, calls `echo`, calls a tool that reports progress, reads a resource, gets a
 * prompt and calls a tool that elicits the user's name. A recording `fetch` on each client shows
 * what went over the wire: session ids only for the 2025 clients, the envelope on every 2026
 * request, the elicitation as a second `tools/call` carrying `inputResponses` and `requestState`.
 * `runtime.size` counts the 2025 sessions only. Cancellation runs on both eras at once too: the
 * 2026 client closes its request, the 2025 client sends `notifications/cancelled`.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VersionNegotiationMode } from '@modelcontextprotocol/client';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, definePrompt, defineResource, defineTool } from '../../src/index.js';

const MODERN = '2026-07-28';
const ENVELOPE_VERSION = 'io.modelcontextprotocol/protocolVersion';
/** Clients of each kind, all running at once. */
const EACH = 5;

function createRuntime(): SessionRuntime {
  return createSessionRuntime({
    serverInfo: { name: 'both-eras', version: '1.0.0' },
    tools: [
      defineTool({
        name: 'echo',
        description: 'Returns its text',
        inputSchema: z.object({ text: z.string() }),
        handler: ({ text }) => text,
      }),
      defineTool({
        name: 'count_up',
        description: 'Counts to `steps`, reporting progress after each step',
        inputSchema: z.object({ steps: z.number().int().min(1).max(20) }),
        handler: async ({ steps }, ctx) => {
          for (let step = 1; step <= steps; step++) {
            await sleep(2, undefined, { signal: ctx.signal });
            ctx.progress({ progress: step, total: steps, message: `step ${step}` });
          }
          return `counted to ${steps}`;
        },
      }),
      defineTool({
        name: 'until_cancelled',
        description: 'Reports progress every few ms until it is cancelled (gives up after 10 s)',
        inputSchema: z.object({}),
        handler: async (_args, ctx) => {
          for (let step = 1; step <= 1000; step++) {
            await sleep(10, undefined, { signal: ctx.signal });
            ctx.progress({ progress: step });
          }
          return 'never cancelled';
        },
      }),
      defineTool({
        name: 'ask_name',
        description: "Asks the user's name (elicitation) and greets them",
        inputSchema: z.object({}),
        handler: async (_args, ctx) => {
          const answer = await ctx.request(
            'elicitation/create',
            {
              message: 'Your name?',
              requestedSchema: {
                type: 'object',
                properties: { name: { type: 'string' } },
                required: ['name'],
              },
            },
            { key: 'name' },
          );
          if (answer.action !== 'accept') return `no name (${String(answer.action)})`;
          return `Hello, ${(answer.content as { name: string }).name}!`;
        },
      }),
    ],
    prompts: [
      definePrompt({
        name: 'greeting',
        description: 'Asks the model to greet someone',
        arguments: z.object({ name: z.string().describe('Who to greet') }),
        get: ({ name }) => `Please greet ${name}.`,
      }),
    ],
    resources: [
      defineResource({
        uri: 'test://motd',
        name: 'Message of the day',
        mimeType: 'text/plain',
        read: () => 'Both eras welcome.',
      }),
    ],
  });
}

interface Started {
  readonly url: URL;
  readonly runtime: SessionRuntime;
  close(): Promise<void>;
}

async function start(): Promise<Started> {
  const runtime = createRuntime();
  const mcp = createNodeHandler(runtime);
  const server: Server = createServer((req, res) => {
    if (req.url === '/mcp') mcp(req, res);
    else res.writeHead(404).end();
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    runtime,
    async close() {
      await runtime.close({ drainMs: 0 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One JSON-RPC request as a client sent it. */
interface SentRequest {
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  /** The `MCP-Protocol-Version` header it carried. */
  readonly versionHeader: string | null;
}

/** What one client put on the wire and what came back in headers. */
interface Traffic {
  readonly sent: SentRequest[];
  /** HTTP methods of every exchange (GET streams, DELETE included). */
  readonly httpMethods: string[];
  /** Every `Mcp-Session-Id` the server issued or the client sent. */
  readonly sessionIds: Set<string>;
}

/** A `fetch` that records the traffic of one client, then forwards to the real `fetch`. */
function recordingFetch(traffic: Traffic) {
  return async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const method = init?.method ?? 'GET';
    traffic.httpMethods.push(method);
    const sentSession = headers.get('mcp-session-id');
    if (sentSession !== null) traffic.sessionIds.add(sentSession);
    if (method === 'POST' && typeof init?.body === 'string') {
      const messages = [JSON.parse(init.body)].flat() as {
        method?: string;
        params?: Record<string, unknown>;
      }[];
      for (const message of messages) {
        if (message.method !== undefined) {
          traffic.sent.push({
            method: message.method,
            params: message.params,
            versionHeader: headers.get('mcp-protocol-version'),
          });
        }
      }
    }
    const response = await fetch(input, init);
    const issued = response.headers.get('mcp-session-id');
    if (issued !== null) traffic.sessionIds.add(issued);
    return response;
  };
}

const newTraffic = (): Traffic => ({ sent: [], httpMethods: [], sessionIds: new Set() });

type Kind = 'v2-pinned' | 'v2-auto' | 'v2-default' | 'v1';

/** Per-call options both client generations take. */
interface CallOptions {
  onprogress?: (progress: { progress: number; total?: number | undefined }) => void;
  signal?: AbortSignal;
}

/** The uniform face of both client generations that the workload needs. */
interface AnyClient {
  readonly kind: Kind;
  readonly label: string;
  readonly traffic: Traffic;
  /** How many times the client's elicitation handler ran. */
  readonly elicitations: { count: number };
  /** `'modern'`/`'legacy'` from the 2.x client; `'legacy'` for 1.x (it speaks 2025 only). */
  era(): string | undefined;
  /** The version the client settled on. */
  negotiatedVersion(): string | undefined;
  sessionId(): string | undefined;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(
    name: string,
    args: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<{ content: unknown[]; isError?: boolean | undefined }>;
  readResource(uri: string): Promise<{ contents: { uri: string; text?: string }[] }>;
  getPrompt(
    name: string,
    args: Record<string, string>,
  ): Promise<{ messages: { role: string; content: unknown }[] }>;
  terminate(): Promise<void>;
  close(): Promise<void>;
}

const nameAnswer = (label: string) => ({ action: 'accept' as const, content: { name: label } });

async function connectV2(url: URL, kind: Kind, label: string): Promise<AnyClient> {
  const traffic = newTraffic();
  const elicitations = { count: 0 };
  const mode: VersionNegotiationMode | undefined =
    kind === 'v2-pinned' ? { pin: MODERN } : kind === 'v2-auto' ? 'auto' : undefined;
  const client = new ClientV2(
    { name: label, version: '1.0.0' },
    {
      capabilities: { elicitation: {} },
      ...(mode === undefined ? {} : { versionNegotiation: { mode } }),
    },
  );
  client.setRequestHandler('elicitation/create', async () => {
    elicitations.count++;
    return nameAnswer(label);
  });
  const transport = new TransportV2(url, { fetch: recordingFetch(traffic) });
  await client.connect(transport);
  return {
    kind,
    label,
    traffic,
    elicitations,
    era: () => client.getProtocolEra(),
    negotiatedVersion: () => client.getNegotiatedProtocolVersion(),
    sessionId: () => transport.sessionId,
    listTools: () => client.listTools(),
    callTool: (name, args, options) => client.callTool({ name, arguments: args }, options),
    readResource: (uri) =>
      client.readResource({ uri }) as Promise<{ contents: { uri: string; text?: string }[] }>,
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }),
    terminate: () => transport.terminateSession(),
    close: () => client.close(),
  };
}

async function connectV1(url: URL, label: string): Promise<AnyClient> {
  const traffic = newTraffic();
  const elicitations = { count: 0 };
  const client = new ClientV1({ name: label, version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async () => {
    elicitations.count++;
    return nameAnswer(label);
  });
  const transport = new TransportV1(url, { fetch: recordingFetch(traffic) });
  await client.connect(transport);
  return {
    kind: 'v1',
    label,
    traffic,
    elicitations,
    era: () => 'legacy',
    negotiatedVersion: () => transport.protocolVersion,
    sessionId: () => transport.sessionId,
    listTools: () => client.listTools(),
    callTool: (name, args, options) =>
      client.callTool({ name, arguments: args }, undefined, options) as Promise<{
        content: unknown[];
        isError?: boolean | undefined;
      }>,
    readResource: (uri) =>
      client.readResource({ uri }) as Promise<{ contents: { uri: string; text?: string }[] }>,
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }),
    terminate: () => transport.terminateSession(),
    close: () => client.close(),
  };
}

const KINDS: readonly Kind[] = ['v2-pinned', 'v2-auto', 'v2-default', 'v1'];
const isModernKind = (kind: Kind) => kind === 'v2-pinned' || kind === 'v2-auto';

const textOf = (result: { content: unknown[] }) => (result.content[0] as { text?: string }).text;

/** The workload every client runs; resolves with what it observed. */
async function workload(client: AnyClient) {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name)).toEqual(['echo', 'count_up', 'until_cancelled', 'ask_name']);
  expect(textOf(await client.callTool('echo', { text: client.label }))).toBe(client.label);
  const progress: number[] = [];
  const counted = await client.callTool(
    'count_up',
    { steps: 4 },
    { onprogress: ({ progress: value }) => progress.push(value) },
  );
  expect(textOf(counted)).toBe('counted to 4');
  expect(progress).toEqual([1, 2, 3, 4]);
  const read = await client.readResource('test://motd');
  expect(read.contents).toEqual([{ uri: 'test://motd', mimeType: 'text/plain', text: 'Both eras welcome.' }]);
  const prompt = await client.getPrompt('greeting', { name: client.label });
  expect(prompt.messages).toEqual([
    { role: 'user', content: { type: 'text', text: `Please greet ${client.label}.` } },
  ]);
  const greeted = await client.callTool('ask_name', {});
  expect(textOf(greeted)).toBe(`Hello, ${client.label}!`);
  expect(client.elicitations.count).toBe(1);
}

describe('both protocol eras on one endpoint, concurrently, with the official clients', () => {
  let server: Started | undefined;
  const clients: AnyClient[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    await server?.close();
    server = undefined;
  });

  const connectAll = async (url: URL) => {
    const connecting: Promise<AnyClient>[] = [];
    for (let i = 0; i < EACH; i++) {
      for (const kind of KINDS) {
        const label = `${kind}-${i}`;
        connecting.push(kind === 'v1' ? connectV1(url, label) : connectV2(url, kind, label));
      }
    }
    const connected = await Promise.all(connecting);
    clients.push(...connected);
    return connected;
  };

  it('negotiates 2026-07-28 for the pinned and auto 2.x clients and 2025 sessions for the others', async () => {
    server = await start();
    const connected = await connectAll(server.url);
    for (const client of connected) {
      const modern = isModernKind(client.kind);
      expect({ label: client.label, era: client.era() }).toEqual({
        label: client.label,
        era: modern ? 'modern' : 'legacy',
      });
      if (modern) {
        expect(client.negotiatedVersion()).toBe(MODERN);
        // No initialize, no session: the first request is server/discover with the envelope.
        expect(client.traffic.sent[0]?.method).toBe('server/discover');
        expect(client.traffic.sent.map((sent) => sent.method)).not.toContain('initialize');
        expect(client.traffic.sessionIds.size).toBe(0);
        expect(client.sessionId()).toBeUndefined();
      } else {
        expect(client.negotiatedVersion()).toBe('2025-11-25');
        expect(client.traffic.sent[0]?.method).toBe('initialize');
        expect(client.traffic.sessionIds.size).toBe(1);
        expect(client.sessionId()).toMatch(/^[0-9a-f]{32}$/);
      }
    }
    // Only the 2025 clients hold sessions.
    const legacy = connected.filter((client) => !isModernKind(client.kind));
    expect(server.runtime.size).toBe(legacy.length);
    expect(new Set(legacy.map((client) => client.sessionId())).size).toBe(legacy.length);
  });

  it('runs the whole workload on every client at once; the 2026 clients answer elicitation through input_required', async () => {
    server = await start();
    const { runtime } = server;
    const connected = await connectAll(server.url);
    const legacyCount = connected.filter((client) => !isModernKind(client.kind)).length;
    expect(runtime.size).toBe(legacyCount);

    const sessionsSeen: number[] = [];
    const sampler = setInterval(() => sessionsSeen.push(runtime.size), 1);
    try {
      await Promise.all(connected.map((client) => workload(client)));
    } finally {
      clearInterval(sampler);
    }
    // The 2026 traffic never created a session, not even for a moment.
    expect(Math.max(...sessionsSeen, runtime.size)).toBe(legacyCount);

    for (const client of connected) {
      if (isModernKind(client.kind)) {
        expect(client.traffic.sessionIds.size).toBe(0);
        // Every request carried the envelope and the matching header; no GET stream was opened.
        for (const sent of client.traffic.sent) {
          expect({ method: sent.method, version: sent.params?._meta?.[ENVELOPE_VERSION as never] }).toEqual({
            method: sent.method,
            version: MODERN,
          });
          expect(sent.versionHeader).toBe(MODERN);
        }
        expect(client.traffic.httpMethods.every((method) => method === 'POST')).toBe(true);
        // The elicitation: a first tools/call answered input_required, then a retry with the answer.
        const asks = client.traffic.sent.filter(
          (sent) => sent.method === 'tools/call' && sent.params?.name === 'ask_name',
        );
        expect(asks).toHaveLength(2);
        expect(asks[0]?.params).not.toHaveProperty('inputResponses');
        expect(asks[1]?.params).toMatchObject({
          inputResponses: { name: nameAnswer(client.label) },
          requestState: expect.any(String),
        });
      } else {
        expect(client.traffic.sessionIds.size).toBe(1);
        // The 2025 clients got the elicitation as a server→client request: one tools/call.
        const asks = client.traffic.sent.filter(
          (sent) => sent.method === 'tools/call' && sent.params?.name === 'ask_name',
        );
        expect(asks).toHaveLength(1);
        expect(client.traffic.sent.some((sent) => sent.params?._meta?.[ENVELOPE_VERSION as never])).toBe(
          false,
        );
      }
    }

    // Ending the 2025 sessions leaves the runtime empty; the 2026 clients keep working sessionless.
    await Promise.all(
      connected.filter((client) => !isModernKind(client.kind)).map((client) => client.terminate()),
    );
    expect(runtime.size).toBe(0);
    const modern = connected.filter((client) => isModernKind(client.kind));
    const echoed = await Promise.all(modern.map((client) => client.callTool('echo', { text: 'again' })));
    expect(echoed.map(textOf)).toEqual(modern.map(() => 'again'));
    expect(runtime.size).toBe(0);
  });

  it('cancels on both eras at once: a 2026 client closes its request, a 2025 client sends notifications/cancelled', async () => {
    server = await start();
    const { runtime, url } = server;
    const connected = await Promise.all([
      ...Array.from({ length: EACH }, (_, i) => connectV2(url, 'v2-pinned', `v2-pinned-${i}`)),
      ...Array.from({ length: EACH }, (_, i) => connectV1(url, `v1-${i}`)),
    ]);
    clients.push(...connected);
    const cancelled = connected.map(async (client) => {
      const controller = new AbortController();
      let events = 0;
      const call = client.callTool(
        'until_cancelled',
        {},
        {
          signal: controller.signal,
          onprogress: () => {
            if (++events === 2) controller.abort('user gave up');
          },
        },
      );
      await expect(call).rejects.toThrow();
      return events;
    });
    expect(await Promise.all(cancelled)).toEqual(connected.map(() => 2));
    // Every handler stopped (none ran to its end), whichever way the cancellation travelled.
    await vi.waitFor(() =>
      expect(runtime.metrics()).toMatchObject({ cancelled: 2 * EACH, completed: 0, inFlight: 0 }),
    );
    expect(runtime.size).toBe(EACH);
    // Both kinds go on working after a cancellation.
    const echoed = await Promise.all(connected.map((client) => client.callTool('echo', { text: 'after' })));
    expect(echoed.map(textOf)).toEqual(connected.map(() => 'after'));
  });
});
