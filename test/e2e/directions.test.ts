/**
 * Every message direction over every transport, with the official SDK client on the other side:
 * a response, progress, a log message, the server's requests to the client (elicitation, sampling,
 * roots, ping) and their answers, list_changed, resources/updated, and cancellation each way. Each cell
 * observes the message where it arrives (a client handler or a server handler), never only that it
 * was sent.
 *
 * The stdio column runs `serveStdio` on an in-process pair of streams, framed by the SDK's own
 * stdio `ReadBuffer`/`serializeMessage`; test/e2e/stdio.test.ts spawns the real process.
 */
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoRuntime } from '../../examples/tools.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { defineResource, defineTool, SessionRuntimeError } from '../../src/index.js';
import { serveStdio } from '../../src/stdio/index.js';
import { deferred } from '../helpers.js';
import { startServer } from './servers.js';

/** What the server's tools and the test share: each side resolves what the other awaits. */
function createProbe() {
  return {
    /** The client saw the tool's progress; the tool finishes only then. */
    progressSeen: deferred<void>(),
    /** The client saw the tool's log message. */
    logSeen: deferred<void>(),
    /** `wait_for_cancel` is running. */
    started: deferred<void>(),
    /** The reason the server handler's signal aborted with. */
    serverSawCancel: deferred<unknown>(),
    /** Aborts the request `abandon` sent the client. */
    serverAbort: new AbortController(),
  };
}
type Probe = ReturnType<typeof createProbe>;

/** What a tool reports of a rejected `ctx.request`. */
const codeOf = (error: unknown) => (error instanceof SessionRuntimeError ? error.code : String(error));

function directionsRuntimeOptions(probe: Probe): SessionRuntimeOptions {
  const noInput = z.object({});
  return {
    idleTimeoutMs: Number.POSITIVE_INFINITY,
    resources: [defineResource({ uri: 'test://watched', name: 'Watched', read: () => 'v1' })],
    tools: [
      defineTool({
        name: 'report_progress',
        inputSchema: noInput,
        handler: async (_params, ctx) => {
          ctx.progress({ progress: 1, total: 2, message: 'half way' });
          await probe.progressSeen.promise;
          return 'progressed';
        },
      }),
      defineTool({
        name: 'log_message',
        inputSchema: noInput,
        handler: async (_params, ctx) => {
          ctx.log('info', { text: 'from the tool' }, 'directions');
          await probe.logSeen.promise;
          return 'logged';
        },
      }),
      defineTool({
        name: 'elicit',
        inputSchema: noInput,
        handler: async (_params, ctx) => {
          const answer = await ctx.request('elicitation/create', {
            message: 'Your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          });
          return `${answer.action}: ${(answer.content as { name: string }).name}`;
        },
      }),
      defineTool({
        name: 'sample',
        inputSchema: noInput,
        handler: async (_params, ctx) => {
          const answer = await ctx.request('sampling/createMessage', {
            messages: [{ role: 'user', content: { type: 'text', text: 'say hi' } }],
            maxTokens: 5,
          });
          return `model said: ${(answer.content as { text: string }).text}`;
        },
      }),
      defineTool({
        name: 'list_roots',
        inputSchema: noInput,
        handler: async (_params, ctx) => {
          const answer = await ctx.request('roots/list');
          return (answer.roots as { uri: string }[]).map((root) => root.uri).join(',');
        },
      }),
      defineTool({
        name: 'ping_client',
        inputSchema: noInput,
        handler: async (_params, ctx) => `client answered ${JSON.stringify(await ctx.request('ping'))}`,
      }),
      defineTool({
        name: 'wait_for_cancel',
        inputSchema: noInput,
        handler: (_params, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener('abort', () => {
              probe.serverSawCancel.resolve(ctx.signal.reason);
              reject(ctx.signal.reason);
            });
            probe.started.resolve();
          }),
      }),
      defineTool({
        name: 'abandon',
        inputSchema: noInput,
        handler: async (_params, ctx) => {
          try {
            await ctx.request(
              'elicitation/create',
              { message: 'abandoned', requestedSchema: { type: 'object', properties: {} } },
              { signal: probe.serverAbort.signal },
            );
            return 'answered';
          } catch (error) {
            return `gave up: ${codeOf(error)}`;
          }
        },
      }),
    ],
  };
}

/** The client's side: its capabilities, handlers, and what it saw. */
function createClient() {
  const client = new Client(
    { name: 'directions', version: '1.0.0' },
    { capabilities: { elicitation: {}, sampling: {}, roots: { listChanged: true } } },
  );
  const seen = {
    abandonedRequest: deferred<void>(),
    /** The reason the client's handler signal aborted with (the server's notifications/cancelled). */
    clientSawCancel: deferred<unknown>(),
  };
  client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
    if (request.params.message === 'abandoned') {
      seen.abandonedRequest.resolve();
      await new Promise<void>((resolve) => {
        extra.signal.addEventListener('abort', () => {
          seen.clientSawCancel.resolve(extra.signal.reason);
          resolve();
        });
      });
      return { action: 'decline' };
    }
    return { action: 'accept', content: { name: 'Ada' } };
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
    role: 'assistant',
    content: {
      type: 'text',
      text: `hi (asked: ${(request.params.messages[0]?.content as { text?: string } | undefined)?.text})`,
    },
    model: 'test-model',
  }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: 'file:///work/a', name: 'a' }, { uri: 'file:///work/b' }],
  }));
  return { client, seen };
}

/**
 * The client end of an in-process stdio pipe: newline-delimited JSON-RPC framed exactly as the
 * SDK's `StdioClientTransport` frames it, without a child process.
 */
class InProcessStdioClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly buffer = new ReadBuffer();

  constructor(
    private readonly toServer: PassThrough,
    private readonly fromServer: PassThrough,
  ) {}

  async start(): Promise<void> {
    this.fromServer.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage()) {
        this.onmessage?.(message);
      }
    });
    this.fromServer.on('error', (error) => this.onerror?.(error));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.toServer.write(serializeMessage(message));
  }

  async close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
  }
}

interface Connection {
  readonly client: Client;
  readonly seen: ReturnType<typeof createClient>['seen'];
  readonly runtime: SessionRuntime;
  readonly sessionId: string;
  close(): Promise<void>;
}

async function connectHttp(kind: 'node' | 'hono', probe: Probe): Promise<Connection> {
  const server = await startServer(kind, { runtime: directionsRuntimeOptions(probe) });
  const { client, seen } = createClient();
  const transport = new StreamableHTTPClientTransport(server.url);
  await client.connect(transport);
  return {
    client,
    seen,
    runtime: server.runtime,
    sessionId: transport.sessionId as string,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

async function connectStdio(probe: Probe): Promise<Connection> {
  const runtime = createDemoRuntime(directionsRuntimeOptions(probe));
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const server = serveStdio(runtime, { input: toServer, output: fromServer, log: () => {} });
  const { client, seen } = createClient();
  await client.connect(new InProcessStdioClientTransport(toServer, fromServer));
  return {
    client,
    seen,
    runtime,
    sessionId: server.sessionId,
    async close() {
      await runtime.close({ drainMs: 0 });
      await client.close();
      await server.finished;
    },
  };
}

const transports = [
  { transport: 'node:http (createNodeHandler)', connect: (probe: Probe) => connectHttp('node', probe) },
  { transport: 'fetch (createFetchHandler)', connect: (probe: Probe) => connectHttp('hono', probe) },
  { transport: 'stdio (serveStdio)', connect: connectStdio },
];

describe.each(transports)('message directions over $transport', ({ connect }) => {
  let probe: Probe;
  let connection: Connection;
  beforeEach(async () => {
    probe = createProbe();
    connection = await connect(probe);
  });
  afterEach(async () => {
    probe.progressSeen.resolve();
    probe.logSeen.resolve();
    await connection.close();
  });

  const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]?.text;

  it('server → client: the response to a request', async () => {
    const result = await connection.client.callTool({ name: 'echo', arguments: { text: 'round trip' } });
    expect(textOf(result)).toBe('round trip');
  });

  it('server → client: progress of a running request', async () => {
    const progress: unknown[] = [];
    const result = await connection.client.callTool({ name: 'report_progress', arguments: {} }, undefined, {
      onprogress: (update) => {
        progress.push(update);
        probe.progressSeen.resolve();
      },
    });
    expect(progress).toEqual([{ progress: 1, total: 2, message: 'half way' }]);
    expect(textOf(result)).toBe('progressed');
  });

  it('server → client: a log message (notifications/message)', async () => {
    const logged: unknown[] = [];
    connection.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logged.push(notification.params);
      probe.logSeen.resolve();
    });
    const result = await connection.client.callTool({ name: 'log_message', arguments: {} });
    expect(logged).toEqual([{ level: 'info', logger: 'directions', data: { text: 'from the tool' } }]);
    expect(textOf(result)).toBe('logged');
  });

  it('server → client → server: elicitation/create and its answer', async () => {
    const result = await connection.client.callTool({ name: 'elicit', arguments: {} });
    expect(textOf(result)).toBe('accept: Ada');
  });

  it('server → client → server: sampling/createMessage and its answer', async () => {
    const result = await connection.client.callTool({ name: 'sample', arguments: {} });
    expect(textOf(result)).toBe('model said: hi (asked: say hi)');
  });

  it('server → client → server: roots/list and its answer', async () => {
    const result = await connection.client.callTool({ name: 'list_roots', arguments: {} });
    expect(textOf(result)).toBe('file:///work/a,file:///work/b');
  });

  it('server → client → server: ping and its answer', async () => {
    const result = await connection.client.callTool({ name: 'ping_client', arguments: {} });
    expect(textOf(result)).toBe('client answered {}');
  });

  it('server → client: notifications/tools/list_changed from runtime.notify', async () => {
    const { client, runtime, sessionId } = connection;
    const arrived = deferred<void>();
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => arrived.resolve());
    // Over HTTP the SDK opens its standalone GET stream in the background after connecting.
    await expect
      .poll(() => runtime.notify(sessionId, { method: 'notifications/tools/list_changed' }), {
        timeout: 5_000,
      })
      .toBe(true);
    await arrived.promise;
  });

  it('server → client: notifications/resources/updated to a subscriber', async () => {
    const { client, runtime } = connection;
    const updated = deferred<string>();
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) =>
      updated.resolve(notification.params.uri),
    );
    await client.subscribeResource({ uri: 'test://watched' });
    await expect.poll(() => runtime.notifyResourceUpdated('test://watched'), { timeout: 5_000 }).toBe(1);
    expect(await updated.promise).toBe('test://watched');
  });

  it('client → server: notifications/cancelled aborts the running handler', async () => {
    const controller = new AbortController();
    const call = connection.client.callTool({ name: 'wait_for_cancel', arguments: {} }, undefined, {
      signal: controller.signal,
    });
    await probe.started.promise;
    controller.abort('user pressed stop');
    await expect(call).rejects.toThrow();
    const reason = await probe.serverSawCancel.promise;
    expect(reason).toBeInstanceOf(SessionRuntimeError);
    expect((reason as SessionRuntimeError).code).toBe('request_cancelled');
    // The session goes on serving.
    expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'after' } }))).toBe(
      'after',
    );
  });

  it('server → client: notifications/cancelled for a request of ours the handler gave up', async () => {
    const call = connection.client.callTool({ name: 'abandon', arguments: {} });
    await connection.seen.abandonedRequest.promise;
    probe.serverAbort.abort();
    // The client's handler for our request is aborted by the SDK on our notifications/cancelled.
    await connection.seen.clientSawCancel.promise;
    expect(textOf(await call)).toBe('gave up: request_cancelled');
  });
});
