/**
 * A handler's result is whatever it returned, so it may not be JSON (a BigInt, a cycle, a `toJSON`
 * that throws). Over HTTP that must never end the process or leave a request unanswered: the
 * response becomes -32603 for its id, wherever it is written (a JSON body, an SSE event, a batch
 * array, a stream opened by the keep-alive timer), and `onError` hears why. Also: a client that does
 * not accept JSON gets a batch's answer as SSE even past the stream budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFetchHandler, type StreamableHttpOptions } from '../../src/http/index.js';
import { createSessionRuntime, defineTool, type SessionRuntime } from '../../src/index.js';
import { initializedNotification, initializeRequest, request } from '../helpers.js';

const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

type Wire = { id?: unknown; result?: Record<string, unknown>; error?: { code: number } };

const runtimes: SessionRuntime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close({ drainMs: 0 });
});

function start(http: StreamableHttpOptions = {}) {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const runtime = createSessionRuntime({
    handlers: {
      'x/bigint': () => ({ n: 1n }),
      'x/cycle': () => cycle,
      'x/throwingToJson': () => ({
        toJSON() {
          throw new Error('no JSON for you');
        },
      }),
    },
    tools: [
      defineTool({
        name: 'wait',
        inputSchema: z.object({ ms: z.number() }),
        handler: ({ ms }) => new Promise<string>((resolve) => setTimeout(() => resolve(`waited ${ms}`), ms)),
      }),
    ],
  });
  runtimes.push(runtime);
  const errors: unknown[] = [];
  const mcp = createFetchHandler(runtime, { onError: (error) => errors.push(error), ...http });
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    mcp(
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: { ...postHeaders, ...headers },
        body: JSON.stringify(body),
      }),
    );
  return { send, errors, mcp };
}

async function open(send: ReturnType<typeof start>['send'], protocolVersion = '2025-11-25') {
  const response = await send(initializeRequest(0, protocolVersion));
  const sessionId = response.headers.get('mcp-session-id') ?? '';
  const headers: Record<string, string> = { 'mcp-session-id': sessionId };
  if (protocolVersion >= '2025-06-18') headers['mcp-protocol-version'] = protocolVersion;
  expect((await send(initializedNotification, headers)).status).toBe(202);
  return headers;
}

function eventsOf(text: string): Wire[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line.length > 6)
    .map((line) => JSON.parse(line.slice(6)) as Wire);
}

describe('results that are not JSON, over HTTP', () => {
  it.each(['x/bigint', 'x/cycle', 'x/throwingToJson'])(
    'answers %s with -32603 for its id as JSON, and tells onError',
    async (method) => {
      const { send, errors } = start();
      const headers = await open(send);
      const response = await send(request(7, method), headers);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: 7, error: { code: -32603 } });
      expect(errors).toHaveLength(1);
    },
  );

  it('answers it as an SSE event for a client that does not accept JSON, and tells onError', async () => {
    const { send, errors } = start();
    const accept = { accept: 'text/event-stream' };
    const opened = await send(initializeRequest(0), accept);
    const headers = { ...accept, 'mcp-session-id': opened.headers.get('mcp-session-id') ?? '' };
    await send(initializedNotification, { ...headers, 'mcp-protocol-version': '2025-11-25' });
    const response = await send(request(3, 'x/bigint'), { ...headers, 'mcp-protocol-version': '2025-11-25' });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(eventsOf(await response.text())).toMatchObject([{ id: 3, error: { code: -32603 } }]);
    expect(errors).toHaveLength(1);
  });

  it('survives a batch whose stream the keep-alive timer opens after an unserializable member answered', async () => {
    const { send, errors } = start({ keepAliveMs: 20 });
    const headers = await open(send, '2025-03-26');
    const response = await send(
      [request(1, 'x/bigint'), request(2, 'tools/call', { name: 'wait', arguments: { ms: 120 } })],
      headers,
    );
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(eventsOf(await response.text())).toMatchObject([
      { id: 1, error: { code: -32603 } },
      { id: 2, result: { content: [{ type: 'text', text: 'waited 120' }] } },
    ]);
    expect(errors).toHaveLength(1);
  });

  it('answers a batch as SSE to a client that does not accept JSON, even past the stream budget', async () => {
    const { send, mcp } = start({ maxStreamsPerSession: 1, keepAliveMs: 0 });
    const headers = await open(send, '2025-03-26');
    // The one stream slot is taken by a standalone GET, which a request stream may not end.
    const get = await mcp(
      new Request('http://localhost/mcp', {
        method: 'GET',
        headers: { accept: 'text/event-stream', ...headers },
      }),
    );
    expect(get.status).toBe(200);
    const response = await send([request(1, 'ping'), request(2, 'ping')], {
      ...headers,
      accept: 'text/event-stream',
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(eventsOf(await response.text())).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 2, result: {} },
    ]);
    await get.body?.cancel();
  });
});
