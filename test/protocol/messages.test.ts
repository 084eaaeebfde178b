import { describe, expect, it } from 'vitest';
import { createSessionRuntime } from '../../src/index.js';
import { parseMessage, progressTokenOf } from '../../src/protocol/messages.js';
import { openSession } from '../helpers.js';

describe('parseMessage', () => {
  it('classifies requests, notifications and responses', () => {
    expect(parseMessage({ jsonrpc: '2.0', id: 1, method: 'm', params: { a: 1 } })).toEqual({
      kind: 'request',
      id: 1,
      method: 'm',
      params: { a: 1 },
    });
    expect(parseMessage({ jsonrpc: '2.0', method: 'n' })).toEqual({
      kind: 'notification',
      method: 'n',
      params: {},
    });
    expect(parseMessage({ jsonrpc: '2.0', id: 'x', result: {} })).toEqual({
      kind: 'response',
      id: 'x',
      result: {},
    });
  });

  it.each([
    ['a string', 'hello', null],
    ['null', null, null],
    ['a batch', [{ jsonrpc: '2.0', id: 1, method: 'm' }], null],
    ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 3, method: 'm' }, 3],
    ['a null id', { jsonrpc: '2.0', id: null, method: 'm' }, null],
    ['a non-string method', { jsonrpc: '2.0', id: 4, method: 5 }, 4],
    ['array params', { jsonrpc: '2.0', id: 5, method: 'm', params: [1] }, 5],
    ['an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'm' }, null],
    ['no method and no result', { jsonrpc: '2.0', id: 6 }, 6],
  ])('answers %s with -32600, by id when the id is readable', (_name, value, id) => {
    const parsed = parseMessage(value);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') {
      expect(parsed.response).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32600 } });
    }
  });

  it('reads a progress token only when it is a string or number', () => {
    expect(progressTokenOf({ _meta: { progressToken: 'a' } })).toBe('a');
    expect(progressTokenOf({ _meta: { progressToken: 3 } })).toBe(3);
    expect(progressTokenOf({ _meta: { progressToken: {} } })).toBeUndefined();
    expect(progressTokenOf({})).toBeUndefined();
  });
});

describe('dispatch of malformed messages', () => {
  it('never reaches a handler and leaves the session working', async () => {
    let calls = 0;
    const runtime = createSessionRuntime({ handlers: { work: () => ({ calls: ++calls }) } });
    await openSession(runtime, 's');
    const bad = [
      42,
      'x',
      [],
      { jsonrpc: '2.0', id: 1, method: 'work', params: 'no' },
      { id: 2, method: 'work' },
    ];
    for (const message of bad) {
      expect(await runtime.dispatch('s', message)).toMatchObject({ error: { code: -32600 } });
    }
    expect(calls).toBe(0);
    expect(await runtime.dispatch('s', { jsonrpc: '2.0', id: 3, method: 'work' })).toMatchObject({
      result: { calls: 1 },
    });
  });

  it('answers a refused notification with an id-less error a transport can turn into a status', async () => {
    const runtime = createSessionRuntime();
    expect(
      await runtime.dispatch('nobody', { jsonrpc: '2.0', method: 'notifications/initialized' }),
    ).toMatchObject({
      id: null,
      error: { code: -32001, data: { reason: 'session_not_found' } },
    });
  });
});
