/**
 * The hand-written fast path must never accept what the official schemas reject, and must read
 * exactly what they read.
 */
import { JSONRPCNotificationSchema, JSONRPCRequestSchema } from '@modelcontextprotocol/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCommonMessage } from '../../src/protocol/fastPath.js';

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 1, -0, Number.NaN),
  fc.string(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  fc.constant(Object.create(null)),
  fc.constant(new Date(0)),
);

const params = fc.oneof(
  anyValue,
  fc.dictionary(fc.constantFrom('a', 'name', '_meta', '__proto__', 'arguments'), anyValue, { maxKeys: 3 }),
  fc.record({ _meta: fc.oneof(anyValue, fc.record({ progressToken: anyValue })) }),
);

const messageLike = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), anyValue),
    id: fc.oneof(fc.integer(), fc.string(), anyValue),
    method: fc.oneof(fc.string(), anyValue),
    params,
    extra: anyValue,
    __proto__: anyValue,
  },
  { requiredKeys: [] },
);

describe('fast path', () => {
  it('accepts only messages the official schemas accept, and reads the same id, method and params', () => {
    fc.assert(
      fc.property(messageLike, (message) => {
        const fast = readCommonMessage(message);
        if (fast === undefined) return;
        const schema = fast.kind === 'request' ? JSONRPCRequestSchema : JSONRPCNotificationSchema;
        const parsed = schema.safeParse(message);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        expect(fast.method).toBe(parsed.data.method);
        expect(fast.params).toEqual(parsed.data.params ?? {});
        if (fast.kind === 'request') expect(fast.id).toBe((parsed.data as unknown as { id: unknown }).id);
      }),
      { numRuns: Number(process.env.FAST_PATH_RUNS ?? 5_000) },
    );
  });

  it('takes the common messages, so the optimisation is not dead code', () => {
    expect(readCommonMessage({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } })).toEqual(
      {
        kind: 'request',
        id: 1,
        method: 'tools/call',
        params: { name: 'x' },
      },
    );
    const withProgress = { name: 'x', _meta: { progressToken: 'p1' } };
    expect(readCommonMessage({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: withProgress })).toEqual({
      kind: 'request',
      id: 2,
      method: 'tools/call',
      params: withProgress,
    });
    expect(readCommonMessage({ jsonrpc: '2.0', method: 'notifications/initialized' })).toEqual({
      kind: 'notification',
      method: 'notifications/initialized',
      params: {},
    });
  });

  it('leaves doubtful messages to the schemas', () => {
    for (const message of [
      { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { progressToken: 1.5 } } },
      { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: { progressToken: 1, other: true } } },
      { jsonrpc: '2.0', id: 1, method: 'm', params: { _meta: JSON.parse('{"__proto__":1}') } },
      { jsonrpc: '2.0', id: 1.5, method: 'm' },
      { jsonrpc: '2.0', id: 1, method: 'm', extra: true },
      { jsonrpc: '2.0', id: null, method: 'm' },
      { jsonrpc: '2.0', id: 1, method: 'm', params: [1] },
    ]) {
      expect(readCommonMessage(message)).toBeUndefined();
    }
  });
});
