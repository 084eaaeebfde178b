/**
 * Bad input over HTTP (fetch handler, in process): random methods, headers, session ids, protocol
 * versions, origins and bodies (invalid UTF-8, truncated JSON, oversized, valid messages). Every
 * answer is a documented status with a JSON-RPC error body whose reason maps to that status, the
 * handler never throws or answers 500, and a session nobody attacks keeps working.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import type { FetchRequestHandler } from '../../src/http/index.js';
import { createFetchHandler } from '../../src/http/index.js';
import { httpReasonOf, httpStatusTable } from '../../src/http/statuses.js';
import type { SessionRuntime } from '../../src/index.js';

const endpoint = 'http://127.0.0.1:3000/mcp';
const runs = Number(process.env.FUZZ_RUNS ?? 300);
const documentedStatuses = new Set([200, 202, 400, 403, 404, 405, 406, 413, 415, 429, 503]);
const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
};

let runtime: SessionRuntime;
let handler: FetchRequestHandler;
let target: string;
let bystander: string;

async function open(): Promise<string> {
  const response = await handler(
    new Request(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(initialize),
    }),
  );
  const sessionId = response.headers.get('mcp-session-id');
  if (sessionId === null) throw new Error(`initialize failed: ${response.status}`);
  return sessionId;
}

beforeAll(async () => {
  runtime = createDemoRuntime({ maxSessions: 100_000 });
  handler = createFetchHandler(runtime, { maxBodyBytes: 64 * 1024 });
  target = await open();
  bystander = await open();
});

afterAll(() => runtime.close({ drainMs: 0 }));

const validMessages = [
  initialize,
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 5, method: 'tools/list' },
  { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } },
  { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'add', arguments: { a: 'no' } } },
  { jsonrpc: '2.0', id: 8, result: {} },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 6 } },
];

const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(...validMessages).map((message) => JSON.stringify(message)),
  fc
    .tuple(fc.constantFrom(...validMessages), fc.nat())
    .map(([message, cut]) => JSON.stringify(message).slice(0, cut % 40)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.constant(new Uint8Array([0x7b, 0xff, 0xfe, 0x22, 0xc3, 0x28, 0x7d])),
  fc.constant('x'.repeat(70 * 1024)),
);

const headerInputs = fc.record(
  {
    accept: fc.constantFrom(
      'application/json, text/event-stream',
      'application/json',
      'text/event-stream',
      '*/*',
      '',
    ),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
    session: fc.constantFrom('target', 'random', 'garbage'),
    'mcp-protocol-version': fc.constantFrom('2025-11-25', '2024-11-05', '1999-01-01', ''),
    origin: fc.constantFrom('http://localhost:3000', 'https://evil.example', ''),
  },
  { requiredKeys: [] },
);

const requestInput = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
  headers: headerInputs,
  body,
});

type RequestInput = typeof requestInput extends fc.Arbitrary<infer T> ? T : never;

function toRequest(input: RequestInput): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(input.headers)) {
    if (name === 'session') {
      const id =
        value === 'target' ? target : value === 'random' ? crypto.randomUUID() : '\u00e9 not visible';
      try {
        headers.set('mcp-session-id', id);
      } catch {
        // fetch refuses non-Latin-1 header values itself; nothing reaches the server
      }
    } else if (value !== '') headers.set(name, value as string);
  }
  const withBody = input.method !== 'GET';
  return new Request(endpoint, {
    method: input.method,
    headers,
    ...(withBody && input.body ? { body: input.body } : {}),
  });
}

const seenStatuses = new Set<number>();

async function expectDocumented(response: Response): Promise<void> {
  seenStatuses.add(response.status);
  expect(documentedStatuses.has(response.status), `status ${response.status}`).toBe(true);
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) {
    await response.body?.cancel();
    return;
  }
  const text = await response.text();
  if (response.status >= 400) {
    const parsed = JSON.parse(text) as { jsonrpc: string; error: { code: number; message: string } };
    expect(parsed.jsonrpc).toBe('2.0');
    expect(Number.isInteger(parsed.error.code)).toBe(true);
    const reason = httpReasonOf(parsed.error);
    expect(reason, text).toBeDefined();
    if (reason !== undefined) expect(httpStatusTable[reason]).toBe(response.status);
  }
}

describe('HTTP fuzz', () => {
  it('answers every request with a documented status and body, never 500, and spares other sessions', async () => {
    await fc.assert(
      fc.asyncProperty(requestInput, async (input) => {
        await expectDocumented(await handler(toRequest(input)));
        if (!runtime.has(target)) target = await open();
        const check = await handler(
          new Request(endpoint, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              'mcp-session-id': bystander,
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
          }),
        );
        expect(check.status).toBe(200);
        expect(await check.json()).toMatchObject({ id: 99, result: { tools: expect.any(Array) } });
      }),
      { numRuns: runs, seed: Number(process.env.FUZZ_SEED ?? 20261124) },
    );
    // The inputs reach far into the table, not just the first refusal.
    expect([...seenStatuses].sort(), [...seenStatuses].join(',')).toEqual(
      expect.arrayContaining([200, 400, 403, 404, 405, 406, 413, 415]),
    );
  }, 60_000);
});
