/**
 * `requestState` of multi round-trip requests (MCP 2026-07-28, SEP-2322) is attacker-controlled on
 * the retry: the codec must reject any change to a token, a token of another principal, method or
 * params, an expired token and junk, and must never throw on what a client sends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRequestStateCodec,
  digestParams,
  type RequestStateBinding,
  type RequestStateCodecOptions,
} from '../../src/protocol/requestState.js';

const KEY = 'k'.repeat(32);
const OLD_KEY = new Uint8Array(32).fill(7);
const T0 = 1_800_000_000_000;

const params = {
  name: 'book_flight',
  arguments: { from: 'CDG', to: 'NRT', passengers: [{ name: 'Alice' }] },
};
const binding: RequestStateBinding = {
  principal: 'user-42',
  method: 'tools/call',
  paramsDigest: digestParams(params),
};
const state = {
  step: 2,
  answers: { user_name: { action: 'accept', content: { name: 'Ålice ✈ 日本' } } },
  list: [1, null, true, 'x', { deep: [{ deeper: [] }] }],
};

function codec(overrides: Partial<RequestStateCodecOptions> = {}) {
  let clock = T0;
  const instance = createRequestStateCodec({ keys: [KEY], now: () => clock, ...overrides });
  return {
    codec: instance,
    advance(ms: number) {
      clock += ms;
    },
  };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('createRequestStateCodec: seal and open', () => {
  it('round-trips a nested state', () => {
    const { codec: c } = codec();
    const token = c.seal(state, binding);
    expect(token).toMatch(/^v1\.[0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(c.open(token, binding)).toEqual({ ok: true, state });
  });

  it('round-trips states of every JSON shape (property)', () => {
    const { codec: c } = codec();
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const opened = c.open(c.seal(value, binding), binding);
        expect(opened).toEqual({ ok: true, state: JSON.parse(JSON.stringify(value)) });
      }),
      { numRuns: 200 },
    );
  });

  it('opens in another instance holding the same keys (the retry may reach any instance)', () => {
    const token = codec().codec.seal(state, binding);
    expect(codec().codec.open(token, binding)).toEqual({ ok: true, state });
  });

  it('rejects every single-character change of a token', () => {
    const { codec: c } = codec();
    const token = c.seal({ step: 1, name: 'Alice' }, binding);
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const replacement of `${BASE64URL}.=+/ `) {
        if (replacement === token[i]) continue;
        const changed = token.slice(0, i) + replacement + token.slice(i + 1);
        const opened = c.open(changed, binding);
        if (opened.ok) throw new Error(`opened with ${JSON.stringify(replacement)} at ${i}: ${changed}`);
        tried++;
      }
      // And every deletion.
      expect(c.open(token.slice(0, i) + token.slice(i + 1), binding).ok).toBe(false);
    }
    expect(tried).toBeGreaterThan(token.length * 60);
  });

  it('rejects a token with "-TAMPERED" appended, or anything appended or prepended', () => {
    const { codec: c } = codec();
    const token = c.seal(state, binding);
    expect(c.open(`${token}-TAMPERED`, binding)).toEqual({ ok: false, reason: 'malformed' });
    expect(c.open(`${token}A`, binding).ok).toBe(false);
    expect(c.open(`${token}.`, binding).ok).toBe(false);
    expect(c.open(`${token}\n`, binding).ok).toBe(false);
    expect(c.open(` ${token}`, binding).ok).toBe(false);
  });

  it('reports a changed payload, expiry or binding tag as bad_signature', () => {
    const { codec: c } = codec();
    const token = c.seal({ admin: false }, binding);
    const [version, expiry, tag, , mac] = token.split('.') as [string, string, string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ admin: true })).toString('base64url');
    expect(c.open([version, expiry, tag, forgedPayload, mac].join('.'), binding)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const later = String(Number(expiry) + 3_600_000);
    expect(c.open([version, later, tag, token.split('.')[3], mac].join('.'), binding)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const otherTag = codec()
      .codec.seal({ admin: false }, { ...binding, principal: 'mallory' })
      .split('.')[2];
    expect(c.open([version, expiry, otherTag, token.split('.')[3], mac].join('.'), binding)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('opens up to and including its last millisecond, expires one millisecond later', () => {
    const { codec: c, advance } = codec({ ttlMs: 60_000 });
    const token = c.seal(state, binding);
    advance(60_000);
    expect(c.open(token, binding)).toEqual({ ok: true, state });
    advance(1);
    expect(c.open(token, binding)).toEqual({ ok: false, reason: 'expired' });
  });

  it('expires after ten minutes by default', () => {
    const { codec: c, advance } = codec();
    const token = c.seal(state, binding);
    advance(600_000);
    expect(c.open(token, binding).ok).toBe(true);
    advance(1);
    expect(c.open(token, binding)).toEqual({ ok: false, reason: 'expired' });
  });

  it('treats a clock giving NaN as expired on open and refuses to seal with it', () => {
    let clock = T0;
    const c = createRequestStateCodec({ keys: [KEY], now: () => clock });
    const token = c.seal(state, binding);
    clock = Number.NaN;
    expect(c.open(token, binding)).toEqual({ ok: false, reason: 'expired' });
    expect(() => c.seal(state, binding)).toThrow(TypeError);
  });

  it('rejects another principal, method or params digest as wrong_binding', () => {
    const { codec: c } = codec();
    const token = c.seal(state, binding);
    const others: RequestStateBinding[] = [
      { ...binding, principal: 'user-43' },
      { ...binding, principal: undefined },
      { ...binding, principal: '' },
      { ...binding, method: 'prompts/get' },
      {
        ...binding,
        paramsDigest: digestParams({ ...params, arguments: { ...params.arguments, to: 'LHR' } }),
      },
    ];
    for (const other of others) expect(c.open(token, other)).toEqual({ ok: false, reason: 'wrong_binding' });
  });

  it('keeps an absent principal apart from an empty one', () => {
    const { codec: c } = codec();
    const anonymous = { ...binding, principal: undefined };
    const token = c.seal(state, anonymous);
    expect(c.open(token, anonymous)).toEqual({ ok: true, state });
    expect(c.open(token, { ...binding, principal: '' })).toEqual({ ok: false, reason: 'wrong_binding' });
    expect(c.open(token, { ...binding, principal: 'null' })).toEqual({ ok: false, reason: 'wrong_binding' });
  });

  it('does not let the fields of a binding run into each other', () => {
    const { codec: c } = codec();
    const token = c.seal(state, { principal: 'a', method: 'b|c', paramsDigest: 'd' });
    expect(c.open(token, { principal: 'a|b', method: 'c', paramsDigest: 'd' }).ok).toBe(false);
    expect(c.open(token, { principal: 'a', method: 'b', paramsDigest: 'c|d' }).ok).toBe(false);
  });

  it('does not carry the principal, method or params digest in the token', () => {
    const { codec: c } = codec();
    const token = c.seal({ n: 1 }, binding);
    const decoded = token
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join(' ');
    for (const text of [token, decoded]) {
      expect(text).not.toContain('user-42');
      expect(text).not.toContain('tools/call');
      expect(text).not.toContain(binding.paramsDigest);
    }
  });

  it('is signed, not encrypted: the client can read the state', () => {
    const token = codec().codec.seal({ visible: 'to the client' }, binding);
    const payload = token.split('.')[3] as string;
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).toEqual({
      visible: 'to the client',
    });
  });
});

describe('createRequestStateCodec: key rotation', () => {
  it('opens a state sealed with an old key while that key is listed, not after', () => {
    const old = codec({ keys: [OLD_KEY] }).codec;
    const token = old.seal(state, binding);
    const rotating = codec({ keys: [KEY, OLD_KEY] }).codec;
    expect(rotating.open(token, binding)).toEqual({ ok: true, state });
    expect(rotating.open(token, { ...binding, method: 'resources/read' })).toEqual({
      ok: false,
      reason: 'wrong_binding',
    });
    const rotated = codec({ keys: [KEY] }).codec;
    expect(rotated.open(token, binding)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('seals with the first key only', () => {
    const token = codec({ keys: [KEY, OLD_KEY] }).codec.seal(state, binding);
    expect(codec({ keys: [KEY] }).codec.open(token, binding)).toEqual({ ok: true, state });
    expect(codec({ keys: [OLD_KEY] }).codec.open(token, binding)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('copies the key bytes: zeroing the caller array afterwards changes nothing', () => {
    const bytes = new Uint8Array(32).fill(9);
    const c = createRequestStateCodec({ keys: [bytes], now: () => T0 });
    const token = c.seal(state, binding);
    bytes.fill(0);
    expect(c.open(token, binding)).toEqual({ ok: true, state });
    expect(createRequestStateCodec({ keys: [bytes], now: () => T0 }).open(token, binding)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});

describe('createRequestStateCodec: hostile input never throws', () => {
  it('answers malformed for junk', () => {
    const { codec: c } = codec();
    const token = c.seal(state, binding);
    const junk: unknown[] = [
      '',
      '.',
      '....',
      'v1',
      'v1.....',
      'not base64 at all!',
      '%%%%',
      'v1.123.abc.def.ghi',
      token.replace(/^v1/, 'v2'),
      token.replace(/^v1/, 'V1'),
      token.replace('.', '..'),
      `${token.slice(0, 10)}\u00e9${token.slice(11)}`,
      `${token.slice(0, 10)}\u{1F600}${token.slice(12)}`,
      '\uD800',
      'v1.-1.AAAAAAAAAAAAAAAAAAAAAA.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'A'.repeat(65_537),
      `v1.1.${'A'.repeat(22)}.${'A'.repeat(70_000)}.${'A'.repeat(43)}`,
      undefined,
      null,
      42,
      {},
      [token],
    ];
    for (const value of junk) {
      expect(c.open(value as string, binding)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('answers bad_signature, never throws, for well-shaped forgeries (property)', () => {
    const { codec: c } = codec();
    const segment = (length: number) =>
      fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: length, maxLength: length });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        segment(22),
        fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 200 }),
        segment(43),
        (expiry, tag, payload, mac) => {
          expect(c.open(`v1.${expiry}.${tag}.${payload}.${mac}`, binding)).toEqual({
            ok: false,
            reason: 'bad_signature',
          });
        },
      ),
    );
  });

  it('never throws for any string (property)', () => {
    const { codec: c } = codec();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (value) => {
        expect(c.open(value, binding).ok).toBe(false);
      }),
    );
  });

  it('opens no token with any stretch replaced by any other text (property)', () => {
    const { codec: c } = codec();
    const token = c.seal(state, binding);
    fc.assert(
      fc.property(
        fc.nat(token.length),
        fc.nat(8),
        fc.string({ unit: fc.constantFrom(...`${BASE64URL}.`), maxLength: 8 }),
        (at, removed, inserted) => {
          const changed = token.slice(0, at) + inserted + token.slice(at + removed);
          fc.pre(changed !== token);
          expect(c.open(changed, binding).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads no token over maxTokenLength, and refuses to seal one', () => {
    const big = { text: 'x'.repeat(70_000) };
    const { codec: c } = codec();
    expect(() => c.seal(big, binding)).toThrow(RangeError);
    const { codec: roomy } = codec({ maxTokenLength: 200_000 });
    const token = roomy.seal(big, binding);
    expect(roomy.open(token, binding)).toEqual({ ok: true, state: big });
    expect(c.open(token, binding)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to seal a state without a JSON form', () => {
    const { codec: c } = codec();
    expect(() => c.seal(undefined, binding)).toThrow(TypeError);
    expect(() => c.seal(() => 1, binding)).toThrow(TypeError);
    expect(() => c.seal(1n, binding)).toThrow(TypeError);
  });
});

describe('createRequestStateCodec: options', () => {
  it.each([
    ['no keys', { keys: [] }],
    ['keys not an array', { keys: KEY }],
    ['a 31-byte string key', { keys: ['k'.repeat(31)] }],
    ['a 31-byte Uint8Array key', { keys: [new Uint8Array(31)] }],
    ['a short second key', { keys: [KEY, 'short'] }],
    ['a key of another type', { keys: [42] }],
    ['ttlMs 0', { keys: [KEY], ttlMs: 0 }],
    ['ttlMs negative', { keys: [KEY], ttlMs: -1 }],
    ['ttlMs fractional', { keys: [KEY], ttlMs: 1.5 }],
    ['ttlMs NaN', { keys: [KEY], ttlMs: Number.NaN }],
    ['ttlMs Infinity', { keys: [KEY], ttlMs: Number.POSITIVE_INFINITY }],
    ['ttlMs over 2^31 - 1', { keys: [KEY], ttlMs: 2_147_483_648 }],
    ['ttlMs a string', { keys: [KEY], ttlMs: '600000' }],
    ['maxTokenLength under 256', { keys: [KEY], maxTokenLength: 255 }],
    ['now not a function', { keys: [KEY], now: 5 }],
    ['an unknown option', { keys: [KEY], ttl: 1000 }],
    ['no options', undefined],
  ])('throws a TypeError for %s', (_, options) => {
    expect(() => createRequestStateCodec(options as unknown as RequestStateCodecOptions)).toThrow(TypeError);
  });

  it('accepts a multi-byte string key by its UTF-8 length', () => {
    expect(() => createRequestStateCodec({ keys: ['é'.repeat(16)] })).not.toThrow();
    expect(() => createRequestStateCodec({ keys: ['é'.repeat(15)] })).toThrow(TypeError);
  });
});

describe('digestParams', () => {
  it('is a 43-character base64url SHA-256', () => {
    expect(digestParams(params)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The SHA-256 of `{}`.
    expect(digestParams({})).toBe('RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o');
  });

  it('does not depend on key order, at any depth', () => {
    const a = { name: 'x', arguments: { b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } } };
    const b = { arguments: { a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }, name: 'x' };
    expect(digestParams(a)).toBe(digestParams(b));
  });

  it('does not depend on key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(digestParams(reversed)).toBe(digestParams(record));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves out _meta, inputResponses and requestState at the top level only', () => {
    const retry = {
      ...params,
      _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', progressToken: 7 },
      inputResponses: { user_name: { action: 'accept', content: { name: 'Alice' } } },
      requestState: 'v1.whatever',
    };
    expect(digestParams(retry)).toBe(digestParams(params));
    const nested = { ...params, arguments: { ...params.arguments, _meta: 1, requestState: 'x' } };
    expect(digestParams(nested)).not.toBe(digestParams(params));
  });

  it('tells apart params that differ in any value, in order, or in type', () => {
    const digests = [
      { a: [1, 2] },
      { a: [2, 1] },
      { a: '1,2' },
      { a: [1, 2], b: null },
      { a: ['1', 2] },
      { a: { 0: 1, 1: 2 } },
      { name: 'x' },
      { name: 'X' },
      {},
    ].map(digestParams);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('writes values as JSON.stringify does', () => {
    const withHoles = { a: undefined, b: [undefined, () => 1, Number.NaN, -0], c: 'é\u2028\uD800' };
    const expected = { b: [null, null, null, 0], c: 'é\u2028\uD800' };
    expect(digestParams(withHoles)).toBe(digestParams(expected));
    expect(digestParams(undefined)).toBe(digestParams({}));
  });

  it('takes params nested deeper than the call stack', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    expect(digestParams({ deep })).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('throws a TypeError for a cycle or a bigint, and allows a shared (acyclic) object', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => digestParams(cyclic)).toThrow(TypeError);
    expect(() => digestParams({ n: 1n })).toThrow(TypeError);
    const shared = { x: 1 };
    expect(digestParams({ a: shared, b: [shared, shared] })).toBe(
      digestParams({ a: { x: 1 }, b: [{ x: 1 }, { x: 1 }] }),
    );
  });
});
