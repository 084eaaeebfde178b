/**
 * State handles over Streamable HTTP: the id argument declared with `x-mcp-header` travels in
 * `Mcp-Param-{Name}` on the 2026-07-28 path and the transport holds it against the body (SEP-2243);
 * a 2025 session reaches the same handle with the id in the body alone; a principal's handle is
 * unknown to another principal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AuthenticationRequest, FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineHandle, defineTool } from '../../src/index.js';

const url = 'http://localhost:3000/mcp';
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

let runtime: SessionRuntime | undefined;

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

function server(authenticate = false): FetchRequestHandler {
  const counter = defineHandle({ name: 'counter', header: 'CounterId', create: () => ({ value: 0 }) });
  runtime = createSessionRuntime({
    tools: [
      defineTool({ name: 'counter_new', opens: counter, handler: () => 'A new counter at 0' }),
      defineTool({
        name: 'counter_add',
        handle: counter,
        inputSchema: { counterId: counter.idSchema, by: z.number().int() },
        handler: ({ by }, ctx) => {
          ctx.handle.state.value += by;
          return { content: [{ type: 'text', text: String(ctx.handle.state.value) }] };
        },
      }),
    ],
  });
  return createFetchHandler(runtime, {
    ...(authenticate
      ? {
          authenticate: (request: AuthenticationRequest) => {
            const user = request.header('x-test-user');
            return user === undefined ? undefined : { id: user };
          },
        }
      : {}),
  });
}

let nextId = 1;

/** A 2026-07-28 `tools/call` with the standard headers; `headers` adds or (undefined) drops some. */
async function callModern(
  handler: FetchRequestHandler,
  name: string,
  args: Record<string, unknown>,
  headers: Record<string, string | undefined> = {},
): Promise<{ status: number; body: Json }> {
  const h = new Headers({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': name,
  });
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) h.delete(key);
    else h.set(key, value);
  }
  const response = await handler(
    new Request(url, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: nextId++,
        method: 'tools/call',
        params: {
          name,
          arguments: args,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    }),
  );
  const text = await response.text();
  const body = text.includes('data:')
    ? (JSON.parse(
        text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .pop()
          ?.slice(5) ?? '{}',
      ) as Json)
    : (JSON.parse(text) as Json);
  return { status: response.status, body };
}

describe('state handles over HTTP', () => {
  it('routes by Mcp-Param-CounterId and refuses a header that is missing or unlike the body', async () => {
    const handler = server();
    const opened = await callModern(handler, 'counter_new', {});
    expect(opened.status).toBe(200);
    const id = opened.body.result.structuredContent.counterId as string;
    const ok = await callModern(
      handler,
      'counter_add',
      { counterId: id, by: 2 },
      { 'mcp-param-counterid': id },
    );
    expect(ok.body.result.content[0].text).toBe('2');
    const missing = await callModern(handler, 'counter_add', { counterId: id, by: 1 });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe(-32020);
    expect(missing.body.error.data).toMatchObject({ header: 'Mcp-Param-CounterId', problem: 'missing' });
    const other = await callModern(
      handler,
      'counter_add',
      { counterId: id, by: 1 },
      { 'mcp-param-counterid': 'counter_somethingelse' },
    );
    expect(other.status).toBe(400);
    expect(other.body.error.data).toMatchObject({ header: 'Mcp-Param-CounterId', problem: 'mismatch' });
    // Neither refused call reached the handle.
    const after = await callModern(
      handler,
      'counter_add',
      { counterId: id, by: 0 },
      { 'mcp-param-counterid': id },
    );
    expect(after.body.result.content[0].text).toBe('2');
  });

  it('keeps a principal’s handle from every other principal', async () => {
    const handler = server(true);
    const opened = await callModern(handler, 'counter_new', {}, { 'x-test-user': 'alice' });
    const id = opened.body.result.structuredContent.counterId as string;
    const bob = await callModern(
      handler,
      'counter_add',
      { counterId: id, by: 5 },
      { 'x-test-user': 'bob', 'mcp-param-counterid': id },
    );
    expect(bob.status).toBe(200);
    expect(bob.body.result.isError).toBe(true);
    expect(bob.body.result.content[0].text).toMatch(/^Unknown or expired `counter` handle/);
    const alice = await callModern(
      handler,
      'counter_add',
      { counterId: id, by: 5 },
      { 'x-test-user': 'alice', 'mcp-param-counterid': id },
    );
    expect(alice.body.result.content[0].text).toBe('5');
  });
});
