/**
 * The table of server-initiated requests (sampling, elicitation, roots) on its own: ids, the
 * messages it sends, and each way a request ends (answer, error, timeout, abort, unreachable
 * client, session stop), each exactly once.
 */
import { describe, expect, it } from 'vitest';
import { ClientRequestError, ManualClock, SessionRuntimeError } from '../../src/index.js';
import type { JsonRpcMessage } from '../../src/protocol/jsonrpc.js';
import { OutboundRequests } from '../../src/runtime/OutboundRequests.js';

const DEFAULT_TIMEOUT_MS = 1_000;

function setUp() {
  const clock = new ManualClock();
  const table = new OutboundRequests(clock, DEFAULT_TIMEOUT_MS);
  const sent: JsonRpcMessage[] = [];
  const sink = (message: JsonRpcMessage) => {
    sent.push(message);
  };
  return { clock, table, sent, sink };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('OutboundRequests', () => {
  it('numbers requests 1, 2, 3 and sends params only when given', async () => {
    const { table, sent, sink } = setUp();
    const requests = [
      table.send(sink, 'roots/list', undefined),
      table.send(sink, 'sampling/createMessage', { maxTokens: 5 }),
      table.send(sink, 'ping', undefined),
    ];
    expect(sent).toStrictEqual([
      { jsonrpc: '2.0', id: 1, method: 'roots/list' },
      { jsonrpc: '2.0', id: 2, method: 'sampling/createMessage', params: { maxTokens: 5 } },
      { jsonrpc: '2.0', id: 3, method: 'ping' },
    ]);
    expect(table.size).toBe(3);
    table.rejectAll(new SessionRuntimeError('session_closed'));
    for (const request of requests) await rejectionOf(request);
  });

  it('resolves with the result, {} for none, and routes an answer once', async () => {
    const { table, sink } = setUp();
    const first = table.send(sink, 'roots/list', undefined);
    const second = table.send(sink, 'ping', undefined);
    expect(table.answer({ kind: 'response', id: 1, result: { roots: [] } })).toBe(true);
    expect(table.answer({ kind: 'response', id: 1, result: { roots: ['again'] } })).toBe(false);
    expect(table.answer({ kind: 'response', id: 2 })).toBe(true);
    expect(table.answer({ kind: 'response', id: 99, result: {} })).toBe(false);
    expect(await first).toEqual({ roots: [] });
    expect(await second).toEqual({});
    expect(table.size).toBe(0);
  });

  it('rejects with the client’s error as a ClientRequestError', async () => {
    const { table, sink } = setUp();
    const pending = table.send(sink, 'elicitation/create', {});
    table.answer({ kind: 'response', id: 1, error: { code: -1, message: 'declined' } });
    const error = await rejectionOf(pending);
    expect(error).toBeInstanceOf(ClientRequestError);
    expect(error).toMatchObject({ code: -1, message: 'declined' });
  });

  it('times out after timeoutMs (or the default), telling the client with notifications/cancelled', async () => {
    const { clock, table, sent, sink } = setUp();
    const custom = table.send(sink, 'roots/list', undefined, { timeoutMs: 10 });
    const byDefault = table.send(sink, 'sampling/createMessage', undefined);
    clock.advance(10);
    const error = await rejectionOf(custom);
    expect(error).toBeInstanceOf(SessionRuntimeError);
    expect(error).toMatchObject({ code: 'request_timeout', message: 'No answer to roots/list in time' });
    expect(table.size).toBe(1);
    clock.advance(DEFAULT_TIMEOUT_MS - 11);
    expect(table.size).toBe(1);
    clock.advance(1);
    expect(await rejectionOf(byDefault)).toMatchObject({ code: 'request_timeout' });
    expect(
      sent.filter((message) => 'method' in message && message.method === 'notifications/cancelled'),
    ).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 1, reason: 'No answer to roots/list in time' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 2, reason: 'No answer to sampling/createMessage in time' },
      },
    ]);
    expect(table.answer({ kind: 'response', id: 1, result: {} })).toBe(false);
  });

  it('refuses at once, sending nothing, when the signal is already aborted', async () => {
    const { table, sent, sink } = setUp();
    const error = await rejectionOf(
      table.send(sink, 'roots/list', undefined, { signal: AbortSignal.abort() }),
    );
    expect(error).toMatchObject({ code: 'request_cancelled' });
    expect(sent).toEqual([]);
    expect(table.size).toBe(0);
  });

  it('cancels on abort with the abort’s SessionRuntimeError, or as request_cancelled', async () => {
    const { table, sent, sink } = setUp();
    const closing = new AbortController();
    const plain = new AbortController();
    const first = table.send(sink, 'roots/list', undefined, { signal: closing.signal });
    const second = table.send(sink, 'roots/list', undefined, { signal: plain.signal });
    closing.abort(new SessionRuntimeError('session_closed'));
    plain.abort();
    expect(await rejectionOf(first)).toMatchObject({ code: 'session_closed' });
    expect(await rejectionOf(second)).toMatchObject({ code: 'request_cancelled' });
    expect(
      sent
        .slice(2)
        .map((message) => (message as unknown as { params: { requestId: number } }).params.requestId),
    ).toEqual([1, 2]);
    expect(table.size).toBe(0);
  });

  it('forgets the abort signal and the timer once answered: a late abort or timeout sends nothing', async () => {
    const { clock, table, sent, sink } = setUp();
    const controller = new AbortController();
    const pending = table.send(sink, 'roots/list', undefined, { signal: controller.signal });
    table.answer({ kind: 'response', id: 1, result: { ok: true } });
    expect(await pending).toEqual({ ok: true });
    controller.abort();
    clock.advance(DEFAULT_TIMEOUT_MS);
    expect(sent).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects client_unreachable when the sink throws, and keeps nothing', async () => {
    const { clock, table } = setUp();
    const error = await rejectionOf(
      table.send(
        () => {
          throw new Error('no stream');
        },
        'roots/list',
        undefined,
      ),
    );
    expect(error).toMatchObject({ code: 'client_unreachable' });
    expect(table.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects every pending request when the session stops, and clears their timers', async () => {
    const { clock, table, sink } = setUp();
    const requests = [table.send(sink, 'a', undefined), table.send(sink, 'b', undefined)];
    const stop = new SessionRuntimeError('session_closed');
    table.rejectAll(stop);
    for (const request of requests) expect(await rejectionOf(request)).toBe(stop);
    expect(table.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
