/**
 * The hand-written fast path must never accept what the official schemas reject, and must read
 * exactly what they read: the envelope (`readCommonMessage`) and each method's params
 * (`hasCommonParams`).
 */
import { JSONRPCNotificationSchema, JSONRPCRequestSchema } from '@modelcontextprotocol/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { hasCommonParams, readCommonMessage } from '../../src/protocol/fastPath.js';
import { REQUEST_SCHEMAS } from '../../src/protocol/params.js';

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

/** The 2026-07-28 envelope keys beside a progress token, any of them present, any values. */
const envelopeMeta = fc.record(
  {
    'io.modelcontextprotocol/protocolVersion': anyValue,
    'io.modelcontextprotocol/clientCapabilities': anyValue,
    'io.modelcontextprotocol/clientInfo': anyValue,
    'io.modelcontextprotocol/logLevel': anyValue,
    'io.modelcontextprotocol/related-task': anyValue,
    progressToken: fc.oneof(fc.string(), fc.integer(), anyValue),
  },
  { requiredKeys: [] },
);

const params = fc.oneof(
  anyValue,
  fc.dictionary(fc.constantFrom('a', 'name', '_meta', '__proto__', 'arguments'), anyValue, { maxKeys: 3 }),
  fc.record({ _meta: fc.oneof(anyValue, fc.record({ progressToken: anyValue }), envelopeMeta) }),
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

describe('fast path of method params', () => {
  const methods = [...REQUEST_SCHEMAS.keys()];
  const text = fc.oneof(fc.string(), fc.constantFrom('echo', 'test://static', 'greet', ''));
  const meta = fc.oneof(
    fc.record({ progressToken: fc.oneof(fc.string(), fc.integer(), anyValue) }),
    fc.record({ progressToken: fc.integer(), other: anyValue }),
    envelopeMeta,
    anyValue,
  );
  const fieldValue = fc.oneof(
    { arbitrary: text, weight: 4 },
    { arbitrary: fc.dictionary(fc.string(), fc.oneof(fc.string(), anyValue), { maxKeys: 3 }), weight: 3 },
    { arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'a'), fc.string(), { maxKeys: 2 }), weight: 1 },
    { arbitrary: fc.constant(JSON.parse('{"__proto__":"x"}')), weight: 1 },
    { arbitrary: anyValue, weight: 2 },
  );
  /** The params keys each method's common shape may have (what the fast path looks at). */
  const keysOf = (method: string): string[] => {
    if (method.endsWith('/list')) return ['cursor', '_meta'];
    if (method === 'tools/call' || method === 'prompts/get') return ['name', 'arguments', '_meta'];
    if (method.startsWith('resources/')) return ['uri', '_meta'];
    return ['_meta', 'level', 'ref', 'argument'];
  };
  const valueFor = (key: string) => (key === '_meta' ? meta : fieldValue);
  /** A method, and params near its common shape (so the fast path often says yes) or far from it. */
  const methodAndParams = fc.constantFrom(...methods).chain((method) => {
    const near = Object.fromEntries(keysOf(method).map((key) => [key, valueFor(key)]));
    return fc.tuple(
      fc.constant(method),
      fc.oneof(
        { arbitrary: fc.record(near, { requiredKeys: [] }), weight: 6 },
        {
          arbitrary: fc.record({ ...near, task: anyValue, __proto__: anyValue }, { requiredKeys: [] }),
          weight: 2,
        },
        {
          arbitrary: fc.dictionary(
            fc.constantFrom('name', 'uri', 'cursor', 'arguments', '_meta', '__proto__'),
            fieldValue,
            {
              maxKeys: 4,
            },
          ),
          weight: 2,
        },
        { arbitrary: fc.constant(Object.create(null)), weight: 1 },
        { arbitrary: anyValue, weight: 1 },
      ),
    );
  });

  it('says "common" only for params the method’s official schema accepts', () => {
    fc.assert(
      fc.property(methodAndParams, ([method, params]) => {
        if (!hasCommonParams(method, params)) return;
        const schema = REQUEST_SCHEMAS.get(method) as z.ZodType;
        const parsed = schema.safeParse({ method, params });
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      }),
      { numRuns: Number(process.env.FAST_PATH_RUNS ?? 5_000) },
    );
  });

  it('takes the common params of each method, so the optimisation is not dead code', () => {
    const progress = { _meta: { progressToken: 'p' } };
    const common: [string, Record<string, unknown>][] = [
      ['ping', {}],
      ['ping', progress],
      ['tools/list', {}],
      ['tools/list', { cursor: 'c' }],
      ['resources/list', {}],
      ['resources/templates/list', {}],
      ['prompts/list', {}],
      ['tools/call', { name: 'echo' }],
      ['tools/call', { name: 'echo', arguments: { text: 'hi', nested: { a: [1] } }, ...progress }],
      ['prompts/get', { name: 'greet', arguments: { name: 'Ada' } }],
      ['resources/read', { uri: 'test://static', ...progress }],
      ['resources/subscribe', { uri: 'test://static' }],
      ['resources/unsubscribe', { uri: 'test://static' }],
    ];
    for (const [method, params] of common) expect(hasCommonParams(method, params), method).toBe(true);
  });

  it('leaves doubtful params to the schema', () => {
    const doubtful: [string, unknown][] = [
      ['tools/call', {}],
      ['tools/call', { name: 'x', arguments: [] }],
      ['tools/call', { name: 'x', task: {} }],
      ['prompts/get', { name: 'x', arguments: { a: 1 } }],
      ['tools/list', { cursor: 5 }],
      ['ping', { _meta: { progressToken: null } }],
      ['ping', [1]],
      ['logging/setLevel', { level: 'debug' }],
      ['custom', {}],
    ];
    for (const [method, params] of doubtful) {
      expect(hasCommonParams(method, params as Record<string, unknown>), method).toBe(false);
    }
  });
});
