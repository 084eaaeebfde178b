/**
 * The Web-standard form in process: `Request` in, `Response` out, no server. What is particular to
 * it (streamed bodies, `Host` from the URL, cancelled streams) is tested here; the statuses, shared
 * with the Node form, in test/e2e/statuses.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';

const url = 'http://localhost:3000/mcp';
const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fetch', version: '1' } },
});

let runtime: SessionRuntime | undefined;

function setUp(options: Parameters<typeof createFetchHandler>[1] = {}): {
  runtime: SessionRuntime;
  handler: FetchRequestHandler;
} {
  runtime = createDemoRuntime();
  return { runtime, handler: createFetchHandler(runtime, options) };
}

async function initialize(handler: FetchRequestHandler): Promise<string> {
  const response = await handler(
    new Request(url, { method: 'POST', headers: postHeaders, body: initializeBody }),
  );
  return response.headers.get('mcp-session-id') as string;
}

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

describe('createFetchHandler', () => {
  it('reads Host from the URL when the runtime keeps it out of the headers', async () => {
    const { handler } = setUp();
    const local = await handler(
      new Request(url, { method: 'POST', headers: postHeaders, body: initializeBody }),
    );
    const remote = await handler(
      new Request('http://evil.example/mcp', { method: 'POST', headers: postHeaders, body: initializeBody }),
    );
    expect([local.status, remote.status]).toEqual([200, 403]);
  });

  it('answers 500 and tells onError when the Request body was read before the handler', async () => {
    const errors: unknown[] = [];
    const { handler } = setUp({ onError: (error) => errors.push(error) });
    const request = new Request(url, { method: 'POST', headers: postHeaders, body: initializeBody });
    await request.json();
    const response = await handler(request);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'read before the MCP handler',
    );
    expect(errors).toEqual([expect.any(TypeError)]);
  });

  it('stops reading a streamed body without Content-Length at the cap (413)', async () => {
    const { handler } = setUp({ maxBodyBytes: 1_000 });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode(' '.repeat(400)));
      },
    });
    const response = await handler(
      new Request(url, { method: 'POST', headers: postHeaders, body, duplex: 'half' } as RequestInit),
    );
    expect(response.status).toBe(413);
    // An endless body: reading stopped just past the cap.
    expect(pulled).toBeLessThan(6);
  });

  it('streams: the response starts at the first notification, while the handler still runs', async () => {
    const { handler, runtime } = setUp();
    const sessionId = await initialize(handler);
    const call = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 2, delayMs: 30 }, _meta: { progressToken: 1 } },
    });
    const response = await handler(
      new Request(url, {
        method: 'POST',
        headers: { ...postHeaders, 'mcp-session-id': sessionId },
        body: call,
      }),
    );
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let first = '';
    while (!first.includes('"progress":1')) first += new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(
      /^id: (\S+)_0\nretry: \d+\ndata: \n\nid: \1_1\nevent: message\ndata: \{.*"progress":1.*\}\n\n$/,
    );
    expect(runtime.metrics().inFlight).toBe(1);
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toMatch(/"progress":2[\s\S]*"id":1,"result"/);
  });

  it('frees the standalone stream slot when the client cancels its GET', async () => {
    const { handler } = setUp({ maxStreams: 1 });
    const [first, second] = [await initialize(handler), await initialize(handler)];
    const get = (sessionId: string) =>
      handler(new Request(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId } }));
    const held = await get(first);
    expect(held.status).toBe(200);
    expect((await get(second)).status).toBe(503);
    await held.body?.cancel();
    const again = await get(second);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });
});
