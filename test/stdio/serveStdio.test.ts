/**
 * The stdio transport on in-memory streams: what goes on the wire, line by line.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createDemoRuntime } from '../../examples/tools.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { defineResource, defineTool, ManualClock, SessionRuntimeError } from '../../src/index.js';
import type { StdioServer, StdioServerOptions } from '../../src/stdio/index.js';
import { serveStdio } from '../../src/stdio/index.js';
import { deferred, flush } from '../helpers.js';

const initializeAt = (protocolVersion: string, capabilities: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion, capabilities, clientInfo: { name: 'test', version: '1' } },
});
const initialize = initializeAt('2025-11-25');
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const call = (id: number | string, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** Handlers the tests hold open and release; one gate per `key`. */
const gates = new Map<string, ReturnType<typeof deferred<void>>>();
const gateOf = (key: string) => {
  let gate = gates.get(key);
  if (gate === undefined) {
    gate = deferred<void>();
    gates.set(key, gate);
  }
  return gate;
};

/** What a failed `ctx.request` rejected with, as the tool reports it. */
const failureOf = (error: unknown) =>
  `failed: ${error instanceof SessionRuntimeError ? error.code : String(error)}`;

const testTools = [
  defineTool({
    name: 'gate',
    description: 'Returns its key once the test opens the gate of that key',
    inputSchema: z.object({ key: z.string() }),
    handler: async ({ key }) => {
      await gateOf(key).promise;
      return key;
    },
  }),
  defineTool({
    name: 'forever',
    description: 'Never settles, and ignores its abort signal',
    inputSchema: z.object({}),
    handler: () => new Promise<never>(() => {}),
  }),
  defineTool({
    name: 'ask',
    description: 'Asks the client for a name (elicitation), after the gate `key` if given',
    inputSchema: z.object({ key: z.string().optional(), timeoutMs: z.number().optional() }),
    handler: async ({ key, timeoutMs }, ctx) => {
      if (key !== undefined) await gateOf(key).promise;
      try {
        const answer = await ctx.request(
          'elicitation/create',
          {
            message: 'Your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
          },
          timeoutMs === undefined ? {} : { timeoutMs },
        );
        return `hello ${(answer.content as { name: string }).name}`;
      } catch (error) {
        return failureOf(error);
      }
    },
  }),
];

interface Harness {
  readonly runtime: SessionRuntime;
  readonly server: StdioServer;
  readonly input: PassThrough;
  readonly output: PassThrough;
  readonly logs: string[];
  /** Every line written to output so far, parsed. */
  readonly lines: unknown[];
  send(message: unknown): void;
  /** Waits until `count` lines have been written. */
  waitForLines(count: number): Promise<unknown[]>;
}

let harness: Harness | undefined;

function start(
  runtimeOptions: SessionRuntimeOptions = {},
  stdioOptions: Omit<StdioServerOptions, 'input' | 'output' | 'log' | 'sessionId'> = {},
): Harness {
  const runtime = createDemoRuntime({
    idleTimeoutMs: Number.POSITIVE_INFINITY,
    restAfterMs: Number.POSITIVE_INFINITY,
    tools: testTools,
    ...runtimeOptions,
  });
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
    ...stdioOptions,
  });
  harness = {
    runtime,
    server,
    input,
    output,
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
  for (const gate of gates.values()) gate.resolve();
  gates.clear();
  await harness?.runtime.close({ drainMs: 0 });
  await harness?.server.close();
  harness = undefined;
});

describe('serveStdio', () => {
  it('answers each request on one line, notifications of a request before its response', async () => {
    const { send, waitForLines } = start();
    send(initialize);
    send(initialized);
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

  it('answers a result that is not JSON with -32603 for its id, tells the operator, and goes on', async () => {
    const { send, waitForLines, lines, logs } = start({ handlers: { 'test/bigint': () => ({ value: 1n }) } });
    send(initialize);
    send({ jsonrpc: '2.0', id: 7, method: 'test/bigint' });
    send({ jsonrpc: '2.0', id: 8, method: 'ping' });
    await waitForLines(3);
    // `ping` is answered out of band, so the two answers may come in either order.
    expect(lines).toHaveLength(3);
    expect(lines.slice(1)).toEqual(
      expect.arrayContaining([
        { jsonrpc: '2.0', id: 8, result: {} },
        expect.objectContaining({ id: 7, error: expect.objectContaining({ code: -32603 }) }),
      ]),
    );
    expect(logs).toEqual([expect.stringMatching(/could not be serialized/)]);
  });

  it('rejects bad options and a runtime that is not one, naming what was wrong', () => {
    const runtime = createDemoRuntime();
    const streams = { input: new PassThrough(), output: new PassThrough() };
    for (const drainTimeoutMs of [-1, Number.NaN, '5000', 2 ** 31]) {
      expect(() => serveStdio(runtime, { ...streams, drainTimeoutMs } as never)).toThrow(
        /^Expected `drainTimeoutMs` to be valid/,
      );
    }
    expect(() => serveStdio(runtime, { ...streams, sessionId: '' })).toThrow(
      /^Expected `sessionId` to be valid/,
    );
    expect(() => serveStdio(runtime, { ...streams, clock: {} } as never)).toThrow(
      /^Expected `clock` to be valid \(Expected a clock with now, setTimeout and clearTimeout\)/,
    );
    expect(() => serveStdio(runtime, { input: 'stdin' } as never)).toThrow(
      /^Expected `input` to be valid \(Expected a readable stream\), got `"stdin"`/,
    );
    for (const notARuntime of [undefined, null, {}, 'runtime']) {
      expect(() => serveStdio(notARuntime as never, streams)).toThrow(
        /^Expected the first argument of serveStdio to be a SessionRuntime \(from `createSessionRuntime`\), got /,
      );
    }
    // Infinity is a deadline that never comes, and is accepted.
    expect(serveStdio(runtime, { ...streams, drainTimeoutMs: Number.POSITIVE_INFINITY }).sessionId).toEqual(
      expect.any(String),
    );
  });
});

describe('serveStdio at end of input', () => {
  it('answers the running request and every queued one, in order, then removes the session', async () => {
    const { send, waitForLines, lines, runtime, input, server } = start();
    send(initialize);
    send(call(1, 'gate', { key: 'first' }));
    for (let id = 2; id <= 6; id++) send(call(id, 'echo', { text: `text ${id}` }));
    await waitForLines(1);
    await vi.waitFor(() => expect(runtime.info('stdio-1')).toMatchObject({ inFlight: 1, queued: 5 }));
    input.end();
    await flush();
    // Input has ended; the session still serves what it accepted.
    expect(runtime.info('stdio-1')).toMatchObject({ inFlight: 1, queued: 5 });
    gateOf('first').resolve();
    await server.finished;
    expect(lines.slice(1)).toEqual([
      { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'first' }] } },
      ...[2, 3, 4, 5, 6].map((id) => ({
        jsonrpc: '2.0',
        id,
        result: { content: [{ type: 'text', text: `text ${id}` }] },
      })),
    ]);
    expect(runtime.info('stdio-1')).toBeUndefined();
    expect(runtime.metrics()).toMatchObject({ completed: 6, failed: 0, cancelled: 0 });
  });

  it('answers requests of several concurrent handlers, each once', async () => {
    const { send, lines, input, server } = start({ maxConcurrentRequests: 3 });
    send(initialize);
    const keys = ['a', 'b', 'c', 'd'];
    for (const [index, key] of keys.entries()) send(call(index + 1, 'gate', { key }));
    input.end();
    for (const key of [...keys].reverse()) gateOf(key).resolve();
    await server.finished;
    const answered = lines.slice(1).map((line) => (line as { id: number }).id);
    expect([...answered].sort()).toEqual([1, 2, 3, 4]);
  });

  it('keeps writing a draining request’s progress, then its response', async () => {
    const { send, waitForLines, lines, input, server } = start();
    send(initialize);
    await waitForLines(1);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow', arguments: { steps: 3, delayMs: 0 }, _meta: { progressToken: 'drain' } },
    });
    input.end();
    await server.finished;
    expect(
      lines
        .slice(1)
        .map(
          (line) =>
            (line as { params?: { progress: number } }).params?.progress ?? (line as { id: number }).id,
        ),
    ).toEqual([1, 2, 3, 1]);
  });

  it('treats a failed input like its end: logs it, answers what was read, and finishes', async () => {
    const { send, lines, input, server, logs, runtime } = start();
    send(initialize);
    send(call(1, 'gate', { key: 'e' }));
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
    input.destroy(new Error('read failed'));
    await vi.waitFor(() => expect(logs).toEqual(['stdio: input failed: read failed']));
    gateOf('e').resolve();
    await server.finished;
    expect(lines[1]).toMatchObject({ id: 1, result: { content: [{ text: 'e' }] } });
  });

  it('ends the session at the drain deadline: what still runs or waits is answered session_closed', async () => {
    const clock = new ManualClock();
    const { send, waitForLines, lines, runtime, input, server, logs } = start(
      { clock },
      { clock, drainTimeoutMs: 1_000 },
    );
    send(initialize);
    send(call(1, 'forever'));
    send(call(2, 'echo', { text: 'queued' }));
    await waitForLines(1);
    await vi.waitFor(() => expect(runtime.info('stdio-1')).toMatchObject({ inFlight: 1, queued: 1 }));
    let settled = false;
    void server.finished.then(() => {
      settled = true;
    });
    // The session holds its own timer (idle, rest and request deadlines share one).
    const sessionTimers = clock.pendingTimers;
    input.end();
    // The deadline is armed once the end of input has been read.
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(sessionTimers + 1));
    clock.advance(999);
    await flush();
    expect(settled).toBe(false);
    expect(lines).toHaveLength(1);
    clock.advance(1);
    await server.finished;
    expect(lines.slice(1)).toEqual([
      expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32010 }) }),
      expect.objectContaining({ id: 2, error: expect.objectContaining({ code: -32010 }) }),
    ]);
    expect(logs).toEqual([expect.stringMatching(/input ended 1000 ms ago and 2 message\(s\)/)]);
    expect(runtime.info('stdio-1')).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('with drainTimeoutMs 0, ends the session at once: running calls are aborted and answered', async () => {
    const { send, waitForLines, lines, runtime, input, server } = start({}, { drainTimeoutMs: 0 });
    send(initialize);
    send(call(1, 'slow', { delayMs: 60_000 }));
    await waitForLines(1);
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
    input.end();
    await server.finished;
    expect(runtime.info('stdio-1')).toBeUndefined();
    expect(lines[1]).toMatchObject({ id: 1, error: { data: { reason: 'session_closed' } } });
    // The aborted handler returns a moment later and gives its slot back.
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(0));
  });

  it('close() drains like the end of input, and finished resolves with no session at all', async () => {
    const { send, lines, server, runtime } = start();
    send(initialize);
    send(call(1, 'gate', { key: 'k' }));
    await vi.waitFor(() => expect(runtime.metrics().inFlight).toBe(1));
    const closed = server.close();
    gateOf('k').resolve();
    await closed;
    expect(lines[1]).toMatchObject({ id: 1, result: { content: [{ text: 'k' }] } });
    // A server whose client never initialized finishes as soon as input ends.
    const idle = serveStdio(runtime, { input: new PassThrough(), output: new PassThrough() });
    await idle.close();
  });

  it('refuses a handler’s request to the client once input has ended (the answer could never come)', async () => {
    const { send, lines, input, server } = start();
    send(initializeAt('2025-11-25', { elicitation: {} }));
    send(call(1, 'ask', { key: 'later' }));
    const ended = once(input, 'end');
    input.end();
    await ended;
    gateOf('later').resolve();
    await server.finished;
    expect(lines.slice(1)).toEqual([
      { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'failed: client_unreachable' }] } },
    ]);
  });
});

describe('serveStdio: messages the server starts', () => {
  it('sends a handler’s elicitation request on stdout and routes the client’s answer from stdin', async () => {
    const { send, waitForLines, lines } = start();
    send(initializeAt('2025-11-25', { elicitation: {} }));
    await waitForLines(1);
    send(call(1, 'ask'));
    const [, request] = await waitForLines(2);
    expect(request).toMatchObject({
      jsonrpc: '2.0',
      method: 'elicitation/create',
      params: { message: 'Your name?' },
    });
    const id = (request as { id: number }).id;
    send({ jsonrpc: '2.0', id, result: { action: 'accept', content: { name: 'Ada' } } });
    await waitForLines(3);
    expect(lines[2]).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'hello Ada' }] },
    });
  });

  it('tells the client with notifications/cancelled when a request of ours times out, and ignores a late answer', async () => {
    const clock = new ManualClock();
    const { send, waitForLines, lines } = start({ clock });
    send(initializeAt('2025-11-25', { elicitation: {} }));
    await waitForLines(1);
    send(call(1, 'ask', { timeoutMs: 500 }));
    const [, request] = await waitForLines(2);
    const id = (request as { id: number }).id;
    clock.advance(500);
    await waitForLines(4);
    expect(lines[2]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: id, reason: expect.any(String) },
    });
    expect(lines[3]).toMatchObject({ id: 1, result: { content: [{ text: 'failed: request_timeout' }] } });
    send({ jsonrpc: '2.0', id, result: { action: 'accept', content: { name: 'late' } } });
    send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    await waitForLines(5);
    expect(lines.slice(4)).toEqual([{ jsonrpc: '2.0', id: 2, result: {} }]);
  });

  it('answers client_capability_missing when the client did not declare elicitation', async () => {
    const { send, waitForLines } = start();
    send(initialize);
    send(call(1, 'ask'));
    const lines = await waitForLines(2);
    expect(lines[1]).toMatchObject({
      id: 1,
      result: { content: [{ text: 'failed: client_capability_missing' }] },
    });
  });

  it('writes runtime.notify and resources/updated to stdout, and reports none once the session ended', async () => {
    const { send, waitForLines, lines, runtime, server } = start({
      resources: [defineResource({ uri: 'test://watched', name: 'Watched', read: () => 'v1' })],
    });
    // No session yet: nobody to tell.
    expect(runtime.notify('stdio-1', { method: 'notifications/tools/list_changed' })).toBe(false);
    send(initialize);
    send(initialized);
    send({ jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: 'test://watched' } });
    await waitForLines(2);
    expect(runtime.notify('stdio-1', { method: 'notifications/tools/list_changed' })).toBe(true);
    expect(runtime.notifyResourceUpdated('test://watched')).toBe(1);
    await waitForLines(4);
    expect(lines.slice(2)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
      { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://watched' } },
    ]);
    await server.close();
    expect(runtime.notify('stdio-1', { method: 'notifications/tools/list_changed' })).toBe(false);
  });

  it('detaches from the session when stdout closes, so runtime.notify reports that nobody heard it', async () => {
    const { send, waitForLines, runtime, output } = start();
    send(initialize);
    await waitForLines(1);
    expect(runtime.notify('stdio-1', { method: 'notifications/tools/list_changed' })).toBe(true);
    const closed = new Promise((resolve) => output.once('close', resolve));
    output.destroy();
    await closed;
    expect(runtime.notify('stdio-1', { method: 'notifications/tools/list_changed' })).toBe(false);
  });

  it('attaches again when the session is created anew under the same id', async () => {
    const { send, waitForLines, runtime } = start();
    send(initialize);
    await waitForLines(1);
    runtime.remove('stdio-1');
    await vi.waitFor(() => expect(runtime.has('stdio-1')).toBe(false));
    send({ ...initialize, id: 'again' });
    await waitForLines(2);
    expect(runtime.notify('stdio-1', { method: 'notifications/prompts/list_changed' })).toBe(true);
    const lines = await waitForLines(3);
    expect(lines[2]).toEqual({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' });
  });
});

describe('serveStdio: JSON-RPC batches (revisions 2025-03-26 and 2024-11-05)', () => {
  const ping = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'ping' });

  async function startAt(protocolVersion: string) {
    const started = start();
    started.send(initializeAt(protocolVersion));
    started.send(initialized);
    const [answer] = await started.waitForLines(1);
    expect(answer).toMatchObject({ result: { protocolVersion } });
    return started;
  }

  it('dispatches each member in order and answers with one array, notifications left out', async () => {
    const { send, waitForLines, lines } = await startAt('2025-03-26');
    send([
      ping('a'),
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      call('b', 'echo', { text: 'x' }),
      ping(3),
    ]);
    await waitForLines(2);
    expect(lines[1]).toEqual([
      { jsonrpc: '2.0', id: 'a', result: {} },
      { jsonrpc: '2.0', id: 'b', result: { content: [{ type: 'text', text: 'x' }] } },
      { jsonrpc: '2.0', id: 3, result: {} },
    ]);
  });

  it('keeps the session’s FIFO inside a batch: a member waits for the one before it', async () => {
    const { send, waitForLines, lines, runtime } = await startAt('2025-03-26');
    send([call(1, 'gate', { key: 'g' }), call(2, 'echo', { text: 'after' })]);
    await vi.waitFor(() => expect(runtime.info('stdio-1')).toMatchObject({ inFlight: 1, queued: 1 }));
    gateOf('g').resolve();
    await waitForLines(2);
    expect((lines[1] as { id: number }[]).map((response) => response.id)).toEqual([1, 2]);
  });

  it('writes progress of a member before the batch answer', async () => {
    const { send, waitForLines, lines } = await startAt('2025-03-26');
    send([
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'slow', arguments: { steps: 2, delayMs: 0 }, _meta: { progressToken: 'p' } },
      },
    ]);
    await waitForLines(4);
    expect(lines.slice(1, 3)).toEqual([
      expect.objectContaining({
        method: 'notifications/progress',
        params: expect.objectContaining({ progress: 1 }),
      }),
      expect.objectContaining({
        method: 'notifications/progress',
        params: expect.objectContaining({ progress: 2 }),
      }),
    ]);
    expect(lines[3]).toEqual([expect.objectContaining({ id: 1, result: expect.any(Object) })]);
  });

  it('writes nothing for a batch of notifications and responses only', async () => {
    const { send, waitForLines, lines } = await startAt('2025-03-26');
    send([
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { jsonrpc: '2.0', id: 99, result: {} },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 42 } },
    ]);
    send(ping('next'));
    await waitForLines(2);
    await flush();
    expect(lines.slice(1)).toEqual([{ jsonrpc: '2.0', id: 'next', result: {} }]);
  });

  it('answers an empty batch with one -32600, not an array', async () => {
    const { send, waitForLines, lines } = await startAt('2025-03-26');
    send('[]\n');
    await waitForLines(2);
    expect(lines[1]).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringMatching(/empty JSON-RPC batch/) },
    });
  });

  it('answers invalid members and initialize inside a batch with -32600 each, and serves the rest', async () => {
    const { send, waitForLines, lines } = await startAt('2025-03-26');
    send([
      1,
      { jsonrpc: '2.0', id: 5, method: 'initialize', params: initialize.params },
      ping(6),
      { foo: 'bar' },
    ]);
    await waitForLines(2);
    expect(lines[1]).toEqual([
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
      expect.objectContaining({
        id: 5,
        error: expect.objectContaining({
          code: -32600,
          message: expect.stringMatching(/initialize must not be part of a JSON-RPC batch/),
        }),
      }),
      { jsonrpc: '2.0', id: 6, result: {} },
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
    ]);
  });

  it.each(['2025-11-25', '2025-06-18'])(
    'refuses a batch from a session that negotiated %s with -32600 naming the revision',
    async (protocolVersion) => {
      const { send, waitForLines, lines } = await startAt(protocolVersion);
      send([ping(1)]);
      await waitForLines(2);
      expect(lines[1]).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: expect.stringMatching(
            new RegExp(`JSON-RPC batches are not supported at protocol revision ${protocolVersion}`),
          ),
          data: {
            reason: 'invalid_request',
            protocolVersion,
            batchProtocolVersions: ['2025-03-26', '2024-11-05'],
          },
        },
      });
    },
  );

  it('serves a batch from a session that negotiated 2024-11-05 (JSON-RPC 2.0 batches, as over HTTP)', async () => {
    const { send, waitForLines, lines } = await startAt('2024-11-05');
    send([ping(1), ping(2)]);
    await waitForLines(2);
    expect(lines[1]).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 2, result: {} },
    ]);
  });

  it('refuses a batch before initialize, an initialize batch included', async () => {
    const { send, waitForLines, lines, runtime } = start();
    send([initializeAt('2025-03-26')]);
    await waitForLines(1);
    expect(lines[0]).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringMatching(/only in a session that negotiated/) },
    });
    expect(runtime.has('stdio-1')).toBe(false);
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
