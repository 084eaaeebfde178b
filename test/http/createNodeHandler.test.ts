/**
 * The `node:http` form: what is particular to it (bodies read by a middleware first, chunked bodies
 * over the cap). The statuses, shared with the Web-standard form, are in test/e2e/statuses.test.ts.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';

const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initializeBody = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'node', version: '1' } },
};

let server: Server | undefined;
let runtime: SessionRuntime | undefined;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(makeListener: (runtime: SessionRuntime) => Listener): Promise<URL> {
  runtime = createDemoRuntime();
  server = createServer(makeListener(runtime)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server?.once('listening', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

/** Reads a request body the way `express.json()` does, before the MCP handler runs. */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(JSON.parse(text)));
  });
}

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  runtime = undefined;
});

describe('createNodeHandler', () => {
  it('serves a body a middleware already parsed, passed as the third argument', async () => {
    const url = await listen((runtime) => {
      const mcp = createNodeHandler(runtime);
      return async (req, res) => mcp(req, res, await readJson(req));
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: postHeaders,
      body: JSON.stringify(initializeBody),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('answers 500 and tells onError, instead of hanging, when a middleware consumed the body and kept it nowhere', async () => {
    const errors: unknown[] = [];
    const url = await listen((runtime) => {
      const mcp = createNodeHandler(runtime, { onError: (error) => errors.push(error) });
      return async (req, res) => {
        await readJson(req);
        mcp(req, res);
      };
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: postHeaders,
      body: JSON.stringify(initializeBody),
    });
    expect(response.status).toBe(500);
    const answer = (await response.json()) as { error: { code: number; message: string } };
    expect(answer.error.code).toBe(-32603);
    expect(answer.error.message).toContain('read before the MCP handler');
    expect(errors).toEqual([expect.any(TypeError)]);
    expect(String(errors[0])).toContain('mcp(req, res, body)');
  });

  /** A middleware that reads the body and keeps `value(text)` on `req.body`, as `express.json()` does. */
  const keepingBody =
    (value: (text: string) => unknown, options: StreamableHttpOptions = {}) =>
    (runtime: SessionRuntime): Listener => {
      const mcp = createNodeHandler(runtime, options);
      return (req, res) => {
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => {
          text += chunk;
        });
        req.on('end', () => {
          (req as IncomingMessage & { body?: unknown }).body = value(text);
          mcp(req, res);
        });
      };
    };

  it.each([
    ['parsed JSON (express.json())', (text: string) => JSON.parse(text)],
    ['text (express.text())', (text: string) => text],
    ['bytes (express.raw())', (text: string) => Buffer.from(text)],
  ])('finds a body a middleware kept on req.body as %s', async (_name, value) => {
    const url = await listen(keepingBody(value));
    const response = await fetch(url, {
      method: 'POST',
      headers: postHeaders,
      body: JSON.stringify(initializeBody),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('parses a body kept as text under the same rules as one it reads: bad JSON is -32700', async () => {
    const url = await listen(keepingBody((text) => text));
    const response = await fetch(url, { method: 'POST', headers: postHeaders, body: '{"jsonrpc":' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it.each([
    ['parsed JSON, by its Content-Length', (text: string) => JSON.parse(text)],
    ['text, by its length', (text: string) => text],
    ['bytes, by their length', (text: string) => Buffer.from(text)],
  ])('keeps maxBodyBytes for a body a middleware read as %s', async (_name, value) => {
    const url = await listen(keepingBody(value, { maxBodyBytes: 256 }));
    const big = { ...initializeBody, params: { ...initializeBody.params, padding: 'x'.repeat(1_024) } };
    const response = await fetch(url, { method: 'POST', headers: postHeaders, body: JSON.stringify(big) });
    expect(response.status).toBe(413);
  });

  it('takes the third argument over req.body', async () => {
    const url = await listen((runtime) => {
      const mcp = createNodeHandler(runtime);
      return async (req, res) => {
        const body = await readJson(req);
        (req as IncomingMessage & { body?: unknown }).body = { not: 'this' };
        mcp(req, res, body);
      };
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: postHeaders,
      body: JSON.stringify(initializeBody),
    });
    expect(response.status).toBe(200);
  });

  it('answers 413 to a chunked body over the cap, without waiting for its end', async () => {
    const options: StreamableHttpOptions = { maxBodyBytes: 1_024 };
    const url = await listen((runtime) => createNodeHandler(runtime, options));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: postHeaders }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      // Chunked (no Content-Length), and never ended: the answer must come from the cap alone.
      req.write('x'.repeat(800));
      req.write('x'.repeat(800));
    });
    expect(status).toBe(413);
  });

  it('sends Content-Length on complete answers', async () => {
    const url = await listen((runtime) => createNodeHandler(runtime));
    const response = await fetch(url, {
      method: 'POST',
      headers: postHeaders,
      body: JSON.stringify(initializeBody),
    });
    const body = await response.text();
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
  });
});
