/**
 * What the HTTP transport hands a request's telemetry: `network.transport`, `network.protocol.*`
 * and the peer (`client.address`, `client.port`) on the SERVER span, the `network.*` ones on
 * `mcp.server.operation.duration`, for the Node form (per connection) and the `fetch` form; and a
 * transport's `attributes`, read once per observed request.
 */
import type { Server } from 'node:http';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { openSession, request } from '../helpers.js';
import type { TestSdk } from './sdk.js';
import { collect, pointsOf, registerSdk, unregisterSdk } from './sdk.js';

let sdk: TestSdk;
let runtime: SessionRuntime | undefined;
let server: Server | undefined;

const echo = defineTool({ name: 'echo', inputSchema: { text: z.string() }, handler: ({ text }) => text });
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
};

beforeAll(() => {
  sdk = registerSdk();
});

afterAll(async () => {
  await unregisterSdk(sdk);
});

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  runtime = undefined;
  sdk.spans.reset();
});

/** Initializes a session through `post`, then calls `echo` `calls` times in it, `between` each. */
async function echoCalls(
  post: (body: unknown, sessionId?: string) => Promise<Response>,
  calls: number,
  between: () => void = () => undefined,
) {
  const opened = await post(initialize);
  const sessionId = opened.headers.get('mcp-session-id') ?? '';
  await opened.text();
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId)).text();
  for (let id = 1; id <= calls; id++) {
    if (id > 1) between();
    const answer = await post(
      request(id, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }),
      sessionId,
    );
    expect(await answer.json()).toMatchObject({ result: { content: [{ text: 'hi' }] } });
  }
}

/** A POST through `agent` (node:http, so that the test decides which connection carries it). */
function nodePost(port: number, agent: Agent, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        agent,
        headers: init.headers as Record<string, string>,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === 'string') answerHeaders.set(name, value);
          const body = res.statusCode === 202 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status: res.statusCode ?? 0, headers: answerHeaders }));
        });
      },
    );
    sent.on('error', reject);
    sent.end(init.body as string);
  });
}

function postTo(send: (init: RequestInit) => Promise<Response>) {
  return (body: unknown, sessionId?: string) =>
    send({
      method: 'POST',
      headers:
        sessionId === undefined
          ? headers
          : { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify(body),
    });
}

function echoSpans(): ReadableSpan[] {
  return sdk.spans.getFinishedSpans().filter((span) => span.name === 'tools/call echo');
}

async function echoMetricAttributes(): Promise<Record<string, unknown>[]> {
  return pointsOf(await collect(sdk), 'mcp.server.operation.duration')
    .filter((point) => point.attributes['gen_ai.tool.name'] === 'echo')
    .map((point) => point.attributes);
}

describe('the HTTP transport in telemetry', () => {
  it('gives the Node form network.*, and client.address and client.port of the connection that carried the call', async () => {
    runtime = createSessionRuntime({ tools: [echo] });
    const mcp = createNodeHandler(runtime);
    const peers: (number | undefined)[] = [];
    server = createServer((req, res) => {
      peers.push(req.socket.remotePort);
      mcp(req, res);
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    // Two calls on the handshake's keep-alive connection, the third on a connection of its own.
    const first = new Agent({ keepAlive: true, maxSockets: 1 });
    const second = new Agent({ keepAlive: true, maxSockets: 1 });
    let agent = first;
    let calls = 0;
    await echoCalls(
      postTo((init) => nodePost(port, agent, init)),
      3,
      () => {
        calls++;
        if (calls === 2) agent = second;
      },
    );
    first.destroy();
    second.destroy();
    const spans = echoSpans();
    expect(spans).toHaveLength(3);
    // initialize, notifications/initialized and calls 1 and 2 on one connection; call 3 on another.
    expect(new Set(peers.slice(0, 4)).size).toBe(1);
    expect(peers[4]).not.toBe(peers[3]);
    for (const [index, span] of spans.entries()) {
      expect(span.attributes).toMatchObject({
        'network.transport': 'tcp',
        'network.protocol.name': 'http',
        'network.protocol.version': '1.1',
        'client.address': '127.0.0.1',
        // The port of the connection that carried this very call.
        'client.port': peers[index + 2],
      });
    }
    expect(await echoMetricAttributes()).toEqual([
      {
        'mcp.method.name': 'tools/call',
        'mcp.protocol.version': '2025-11-25',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'echo',
        'network.transport': 'tcp',
        'network.protocol.name': 'http',
        'network.protocol.version': '1.1',
      },
    ]);
  });

  it('gives the fetch form network.transport and network.protocol.name only', async () => {
    runtime = createSessionRuntime({ tools: [echo] });
    const mcp = createFetchHandler(runtime);
    await echoCalls(
      postTo((init) => mcp(new Request('http://localhost/mcp', init))),
      1,
    );
    const [span] = echoSpans();
    expect(span?.attributes['network.transport']).toBe('tcp');
    expect(span?.attributes['network.protocol.name']).toBe('http');
    for (const absent of ['network.protocol.version', 'client.address', 'client.port'])
      expect(span?.attributes[absent]).toBeUndefined();
  });

  it("reads a transport's attributes once per observed request, and only then", async () => {
    runtime = createSessionRuntime({ tools: [echo] });
    await openSession(runtime, 's1');
    let reads = 0;
    const telemetry = {
      get attributes() {
        reads++;
        return { 'network.transport': 'pipe' };
      },
    };
    await runtime.dispatch('s1', request(2, 'tools/call', { name: 'echo', arguments: { text: 'a' } }), {
      telemetry,
    });
    // A notification is not observed.
    await runtime.dispatch('s1', { jsonrpc: '2.0', method: 'notifications/initialized' }, { telemetry });
    expect(reads).toBe(1);
    expect(echoSpans()[0]?.attributes['network.transport']).toBe('pipe');
  });
});
