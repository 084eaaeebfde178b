/**
 * The stdio transport on in-memory streams: what goes on the wire, line by line.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import type { SessionRuntime } from '../../src/index.js';
import type { StdioServer } from '../../src/stdio/index.js';
import { serveStdio } from '../../src/stdio/index.js';

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
};

interface Harness {
  readonly runtime: SessionRuntime;
  readonly server: StdioServer;
  readonly input: PassThrough;
  readonly logs: string[];
  /** Every line written to output so far, parsed. */
  readonly lines: unknown[];
  send(message: unknown): void;
  /** Waits until `count` lines have been written. */
  waitForLines(count: number): Promise<unknown[]>;
}

let harness: Harness | undefined;

function start(): Harness {
  const runtime = createDemoRuntime({ idleTimeoutMs: Number.POSITIVE_INFINITY });
  const input = new PassThrough();
  const output = new PassThrough();
  const logs: string[] = [];
  const lines: unknown[] = [];
  let pending = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() as string;
    for (const part of parts) lines.push(JSON.parse(part));
  });
  const server = serveStdio(runtime, {
    input,
    output,
    log: (message) => logs.push(message),
    sessionId: 'stdio-1',
  });
  harness = {
    runtime,
    server,
    input,
    logs,
    lines,
    send: (message) => input.write(typeof message === 'string' ? message : `${JSON.stringify(message)}\n`),
    async waitForLines(count) {
      await vi.waitFor(() => expect(lines.length).toBeGreaterThanOrEqual(count), { interval: 2 });
      return lines;
    },
  };
  return harness;
}

afterEach(async () => {
  await harness?.server.close();
  await harness?.runtime.close({ drainMs: 0 });
  harness = undefined;
});

describe('serveStdio', () => {
  it('answers each request on one line, notifications of a request before its response', async () => {
    const { send, waitForLines } = start();
    send(initialize);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 3, delayMs: 0 }, _meta: { progressToken: 't' } },
    });
    const lines = await waitForLines(5);
    expect(lines[0]).toMatchObject({ id: 0, result: { protocolVersion: '2025-11-25' } });
    expect(
      lines
        .slice(1)
        .map((line) => (line as { params?: { progress: number } }).params?.progress ?? 'response'),
    ).toEqual([1, 2, 3, 'response']);
    expect(lines[4]).toMatchObject({ id: 1, result: { content: [{ text: 'done after 3 steps' }] } });
  });

  it('answers a line that is not JSON with -32700 and logs it, then goes on', async () => {
    const { send, waitForLines, logs } = start();
    send('{"jsonrpc": "2.0", "id": \n');
    send(initialize);
    const lines = await waitForLines(2);
    expect(lines[0]).toMatchObject({ id: null, error: { code: -32700 } });
    expect(lines[1]).toMatchObject({ id: 0, result: {} });
    expect(logs).toEqual([expect.stringMatching(/not valid JSON/)]);
  });

  it('skips blank lines and reads CRLF line ends', async () => {
    const { send, waitForLines } = start();
    send(`\n   \r\n${JSON.stringify(initialize)}\r\n`);
    expect(await waitForLines(1)).toEqual([expect.objectContaining({ id: 0 })]);
  });

  it('never answers a notification, even one the runtime refuses', async () => {
    const { send, waitForLines, lines } = start();
    // Before initialize there is no session: the runtime refuses it, and still nothing is written.
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ hello: 'world' });
    await waitForLines(1);
    expect(lines).toEqual([
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
    ]);
  });

  it('reads a cancellation while the request it cancels runs, and sends no response for it', async () => {
    const { send, waitForLines, lines, runtime } = start();
    send(initialize);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow', arguments: { delayMs: 60_000 } },
    });
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
    send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    await waitForLines(2);
    await vi.waitFor(() => expect(runtime.metrics()).toMatchObject({ cancelled: 1, inFlight: 0 }));
    expect(lines).toEqual([expect.objectContaining({ id: 0 }), { jsonrpc: '2.0', id: 2, result: {} }]);
  });

  it('ends the session when input ends: running calls are aborted and answered, then finished resolves', async () => {
    const { send, waitForLines, lines, runtime, input, server } = start();
    send(initialize);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow', arguments: { delayMs: 60_000 } },
    });
    await waitForLines(1);
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
    input.end();
    await server.finished;
    expect(runtime.info('stdio-1')).toBeUndefined();
    expect(lines[1]).toMatchObject({ id: 1, error: { data: { reason: 'session_closed' } } });
    // The aborted handler returns a moment later and gives its slot back.
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(0));
  });
});

describe('serveStdio arguments', () => {
  it.each([
    [{ sesionId: 'x' }, 'Unknown option `sesionId`; did you mean `sessionId`?'],
    [
      { stdin: new PassThrough() },
      'Unknown option `stdin`; expected one of `input`, `output`, `log`, `sessionId`',
    ],
    [{ logger: () => {} }, 'Unknown option `logger`; did you mean `log`?'],
    [{ ouput: new PassThrough() }, 'Unknown option `ouput`; did you mean `output`?'],
  ])('rejects a misspelt option before reading anything (%j)', (options, message) => {
    const runtime = createDemoRuntime();
    expect(() => serveStdio(runtime, options as never)).toThrow(TypeError);
    expect(() => serveStdio(runtime, options as never)).toThrow(message);
  });

  it.each([
    [{ input: 'stdin' }, /`input`/],
    [{ output: {} }, /`output`/],
    [{ sessionId: '' }, /`sessionId`/],
    [{ log: 'stderr' }, /`log`/],
  ])('rejects an option of the wrong type (%j)', (options, message) => {
    expect(() => serveStdio(createDemoRuntime(), options as never)).toThrow(message);
  });

  it.each([
    ['a number', 42, 'got `42`'],
    ['undefined', undefined, 'got `undefined`'],
    ['an empty object', {}, 'got an object without the method `dispatch`'],
  ])('rejects %s as the runtime', (_, runtime, got) => {
    expect(() => serveStdio(runtime as never)).toThrow(
      `Expected the first argument of serveStdio to be a SessionRuntime (from \`createSessionRuntime\`), ${got}`,
    );
  });
});
