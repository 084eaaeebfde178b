/**
 * Each message is classified once, at the edge: the transports read it with `parseMessage` and hand
 * the runtime the verdict (`deliver`), never the raw value (`dispatch`, which parses again). One
 * `deliver` per message, one per batch member that reaches the session.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import { createFetchHandler } from '../../src/http/index.js';
import type { IncomingMessage, SessionRuntime } from '../../src/index.js';
import { serveStdio } from '../../src/stdio/index.js';
import { initializedNotification, initializeRequest, request } from '../helpers.js';

const runtimes: SessionRuntime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close({ drainMs: 0 });
  vi.restoreAllMocks();
});

function watched(): { runtime: SessionRuntime; delivered: IncomingMessage[]; dispatched: () => number } {
  const runtime = createDemoRuntime();
  runtimes.push(runtime);
  const delivered: IncomingMessage[] = [];
  const deliver = runtime.deliver.bind(runtime);
  vi.spyOn(runtime, 'deliver').mockImplementation((sessionId, message, options) => {
    delivered.push(message);
    return deliver(sessionId, message, options);
  });
  const dispatch = vi.spyOn(runtime, 'dispatch');
  return { runtime, delivered, dispatched: () => dispatch.mock.calls.length };
}

describe('over Streamable HTTP', () => {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  it('answers an invalid message with its own error whatever its headers, a malformed initialize included', async () => {
    const { runtime } = watched();
    const mcp = createFetchHandler(runtime);
    const send = (body: unknown, extra: Record<string, string> = {}) =>
      mcp(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: { ...headers, ...extra },
          body: JSON.stringify(body),
        }),
      );
    const cases: { body: unknown; headers?: Record<string, string>; code: number }[] = [
      // initialize whose params break the envelope's schema (`_meta` must be an object), no session id yet
      { body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { _meta: 'x' } }, code: -32602 },
      // initialize whose params are not an object
      { body: { jsonrpc: '2.0', id: 5, method: 'initialize', params: 'x' }, code: -32600 },
      // initialize with a broken envelope
      { body: { jsonrpc: '1.0', id: 2, method: 'initialize', params: {} }, code: -32600 },
      // a request without a session id whose method is not a string
      { body: { jsonrpc: '2.0', id: 3, method: 7 }, code: -32600 },
      // the same under an id no session has
      { body: { jsonrpc: '2.0', id: 4, method: 7 }, headers: { 'mcp-session-id': 'nobody' }, code: -32600 },
    ];
    for (const { body, headers: extra, code } of cases) {
      const response = await send(body, extra);
      // -32600 is refused with 400; -32602 is a JSON-RPC error on an accepted request (200).
      expect(response.status).toBe(code === -32600 ? 400 : 200);
      expect(response.headers.get('mcp-session-id')).toBeNull();
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(code);
    }
    expect(runtime.size).toBe(0);
    const rejected = Object.values(runtime.metrics().rejected).reduce((sum, count) => sum + count, 0);
    expect(rejected).toBe(cases.length);
  });

  it('delivers the classified message of every POST and never dispatches a raw one', async () => {
    const { runtime, delivered, dispatched } = watched();
    const mcp = createFetchHandler(runtime);
    const send = (body: unknown, extra: Record<string, string> = {}) =>
      mcp(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: { ...headers, ...extra },
          body: JSON.stringify(body),
        }),
      );
    const opened = await send(initializeRequest(0, '2025-03-26'));
    const session = { 'mcp-session-id': opened.headers.get('mcp-session-id') ?? '' };
    expect((await send(initializedNotification, session)).status).toBe(202);
    expect((await send(request(1, 'ping'), session)).status).toBe(200);
    const invalid = await send({ jsonrpc: '2.0', id: 2, method: 7 }, session);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const batch = await send([request(3, 'ping'), initializedNotification, { hello: 'world' }], session);
    expect(batch.status).toBe(200);
    expect(delivered.map((message) => message.kind)).toEqual([
      'request',
      'notification',
      'request',
      'invalid',
      'request',
      'notification',
      'invalid',
    ]);
    expect(delivered[0]).toMatchObject({ kind: 'request', method: 'initialize', id: 0 });
    expect(dispatched()).toBe(0);
  });
});

describe('over stdio', () => {
  it('delivers the classified message of every line and batch member, and answers an invalid one', async () => {
    const { runtime, delivered, dispatched } = watched();
    const input = new PassThrough();
    const output = new PassThrough();
    const lines: unknown[] = [];
    let buffered = '';
    output.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) lines.push(JSON.parse(part));
    });
    const server = serveStdio(runtime, { input, output, log: () => {} });
    const write = (message: unknown) => input.write(`${JSON.stringify(message)}\n`);
    write(initializeRequest(0, '2025-03-26'));
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    write(initializedNotification);
    write(request(1, 'ping'));
    // Not a valid notification (its method is not a string): JSON-RPC 2.0 §5 answers it -32600, id null.
    write({ jsonrpc: '2.0', method: 7 });
    write([request(2, 'ping'), initializedNotification]);
    await vi.waitFor(() => expect(lines).toHaveLength(4));
    expect(lines.slice(1)).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
      [{ jsonrpc: '2.0', id: 2, result: {} }],
    ]);
    expect(delivered.map((message) => message.kind)).toEqual([
      'request',
      'notification',
      'request',
      'invalid',
      'request',
      'notification',
    ]);
    expect(dispatched()).toBe(0);
    input.end();
    await server.finished;
  });
});

describe('the demo counter on the sessionless path', () => {
  it('refuses to share one counter between 2026-07-28 clients, which have no session', async () => {
    const { runtime } = watched();
    const mcp = createFetchHandler(runtime);
    const call = () =>
      mcp(
        new Request('http://localhost/mcp', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2026-07-28',
            'mcp-method': 'tools/call',
            'mcp-name': 'counter',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: {
              name: 'counter',
              arguments: {},
              _meta: {
                'io.modelcontextprotocol/protocolVersion': '2026-07-28',
                'io.modelcontextprotocol/clientCapabilities': {},
              },
            },
          }),
        }),
      );
    for (let attempt = 0; attempt < 2; attempt++) {
      const { result } = (await (await call()).json()) as {
        result: { isError?: boolean; content: { text: string }[] };
      };
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(/no session/);
    }
  });
});
