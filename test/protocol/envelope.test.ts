/**
 * MCP 2026-07-28 body-first era classification (SEP-2575): which messages stay 2025 session
 * messages, which carry a valid `_meta` envelope, and which are refused while deciding (every kind
 * of missing or malformed envelope key -32602, version header unlike the claim -32020), with the
 * request id kept on every refusal.
 */
import { describe, expect, it } from 'vitest';
import {
  CACHEABLE_METHODS,
  classifyEra,
  discoverResult,
  isModernVersion,
  META_KEYS,
  MODERN_PROTOCOL_VERSION,
  MODERN_PROTOCOL_VERSIONS,
  REMOVED_METHODS,
  readEnvelope,
  stampResult,
} from '../../src/protocol/envelope.js';
import type { IncomingNotification, IncomingRequest } from '../../src/protocol/incoming.js';

/** Both eras' versions, newest first: what discover and -32022 list. */
const ALL = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

const V = MODERN_PROTOCOL_VERSION;

function meta(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    [META_KEYS.protocolVersion]: V,
    [META_KEYS.clientCapabilities]: {},
    [META_KEYS.clientInfo]: { name: 'envelope-test', version: '1.0.0' },
    ...overrides,
  };
}

/** `meta()` without `key`. */
function metaWithout(key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = meta();
  return rest;
}

const req = (
  method: string,
  params: Record<string, unknown> = {},
  id: string | number = 7,
): IncomingRequest => ({
  kind: 'request',
  id,
  method,
  params,
});

const note = (method: string, params: Record<string, unknown> = {}): IncomingNotification => ({
  kind: 'notification',
  method,
  params,
});

describe('isModernVersion', () => {
  it.each([
    ['2026-07-28', true],
    ['2027-01-01', true],
    ['v999.0.0', true],
    ['2025-11-25', false],
    ['2025-06-18', false],
    ['2024-11-05', false],
    ['', false],
  ])('%s → %s', (version, modern) => {
    expect(isModernVersion(version)).toBe(modern);
  });
});

describe('classifyEra: legacy (2025 session messages)', () => {
  it.each<[string, IncomingRequest | IncomingNotification, string | undefined]>([
    ['a request without _meta, no header', req('tools/list'), undefined],
    ['a request without _meta, a 2025 header', req('tools/list'), '2025-11-25'],
    [
      'a request whose _meta lacks the version key',
      req('tools/call', { _meta: { progressToken: 1 } }),
      undefined,
    ],
    [
      'a request whose _meta has only clientCapabilities',
      req('tools/list', { _meta: { [META_KEYS.clientCapabilities]: {} } }),
      '2025-06-18',
    ],
    ['a request whose _meta is not an object', req('tools/list', { _meta: 'x' }), undefined],
    [
      'a request whose _meta is an array',
      req('tools/list', { _meta: [META_KEYS.protocolVersion] }),
      undefined,
    ],
    [
      'a request whose _meta is null',
      req('tools/list', { _meta: null as unknown as Record<string, unknown> }),
      undefined,
    ],
    [
      'initialize without a claim, no header',
      req('initialize', { protocolVersion: '2025-11-25' }),
      undefined,
    ],
    [
      'initialize without a claim, a 2025 header',
      req('initialize', { protocolVersion: '2025-11-25' }),
      '2025-11-25',
    ],
    ['a notification without claim or header', note('notifications/initialized'), undefined],
    [
      'a notification without claim, a 2025 header',
      note('notifications/cancelled', { requestId: 1 }),
      '2025-11-25',
    ],
  ])('%s', (_name, message, header) => {
    expect(classifyEra(message, header)).toEqual({ era: 'legacy' });
  });
});

describe('classifyEra: modern', () => {
  it('reads every key of a full envelope', () => {
    const verdict = classifyEra(
      req('tools/list', {
        _meta: meta({ [META_KEYS.logLevel]: 'debug', [META_KEYS.clientCapabilities]: { sampling: {} } }),
      }),
      V,
    );
    expect(verdict).toEqual({
      era: 'modern',
      envelope: {
        protocolVersion: V,
        clientCapabilities: { sampling: {} },
        clientInfo: { name: 'envelope-test', version: '1.0.0' },
        logLevel: 'debug',
      },
    });
  });

  it('takes clientInfo and logLevel as optional', () => {
    const { [META_KEYS.clientInfo]: _info, ...bare } = meta();
    const verdict = classifyEra(req('server/discover', { _meta: bare }), V);
    expect(verdict).toEqual({
      era: 'modern',
      envelope: { protocolVersion: V, clientCapabilities: {}, clientInfo: undefined, logLevel: undefined },
    });
  });

  it('decides on the body when the version header is absent (the header is checked by the transport)', () => {
    expect(classifyEra(req('tools/list', { _meta: meta() }), undefined)).toMatchObject({ era: 'modern' });
  });

  it('keeps other _meta keys (progressToken, trace context) out of the way', () => {
    const verdict = classifyEra(
      req('tools/call', { name: 'x', _meta: meta({ progressToken: 'p', traceparent: '00-abc-def-01' }) }),
      V,
    );
    expect(verdict).toMatchObject({ era: 'modern', envelope: { protocolVersion: V } });
  });

  it('puts initialize with a valid claim in the modern era (where it is a removed method)', () => {
    expect(classifyEra(req('initialize', { _meta: meta() }), V)).toMatchObject({ era: 'modern' });
  });

  it('counts v999.0.0 (claim and header alike) as modern: it is refused later as unsupported', () => {
    const verdict = classifyEra(
      req('server/discover', { _meta: meta({ [META_KEYS.protocolVersion]: 'v999.0.0' }) }),
      'v999.0.0',
    );
    expect(verdict).toMatchObject({ era: 'modern', envelope: { protocolVersion: 'v999.0.0' } });
  });

  it('takes a claim of any version as modern, whatever it names (the version gate decides)', () => {
    const verdict = classifyEra(
      req('tools/list', { _meta: meta({ [META_KEYS.protocolVersion]: '2025-11-25' }) }),
      '2025-11-25',
    );
    expect(verdict).toMatchObject({ era: 'modern', envelope: { protocolVersion: '2025-11-25' } });
  });

  it('takes a notification with a claim as modern', () => {
    expect(classifyEra(note('notifications/cancelled', { requestId: 1, _meta: meta() }), V)).toMatchObject({
      era: 'modern',
    });
  });

  it('takes a notification with a modern header and no claim as modern, with nothing to check', () => {
    expect(classifyEra(note('notifications/cancelled', { requestId: 1 }), V)).toEqual({
      era: 'modern',
      envelope: { protocolVersion: V, clientCapabilities: {}, clientInfo: undefined, logLevel: undefined },
    });
  });
});

/** The refusal's JSON-RPC code and id, and the text of its message. */
function refusal(message: IncomingRequest | IncomingNotification, header: string | undefined) {
  const verdict = classifyEra(message, header);
  if (verdict.era !== 'refused') throw new Error(`expected a refusal, got ${JSON.stringify(verdict)}`);
  const { response } = verdict;
  return {
    code: response.error.code,
    id: response.id,
    message: response.error.message,
    data: response.error.data,
  };
}

describe('classifyEra: refusals', () => {
  const invalidEnvelope: [string, Record<string, unknown>, string | undefined, RegExp][] = [
    ['_meta missing, modern header', {}, V, /_meta is required/],
    ['_meta not an object, modern header', { _meta: 'x' }, V, /_meta is required/],
    [
      'protocolVersion missing, modern header',
      { _meta: metaWithout(META_KEYS.protocolVersion) },
      V,
      /protocolVersion.*required/,
    ],
    [
      'clientCapabilities missing',
      { _meta: metaWithout(META_KEYS.clientCapabilities) },
      V,
      /clientCapabilities.*required/,
    ],
    [
      'clientCapabilities missing, no header',
      { _meta: metaWithout(META_KEYS.clientCapabilities) },
      undefined,
      /clientCapabilities.*required/,
    ],
    [
      'protocolVersion a number',
      { _meta: meta({ [META_KEYS.protocolVersion]: 20260728 }) },
      undefined,
      /protocolVersion.*non-empty string/,
    ],
    [
      'protocolVersion null',
      { _meta: meta({ [META_KEYS.protocolVersion]: null }) },
      undefined,
      /protocolVersion.*non-empty string/,
    ],
    [
      'protocolVersion empty',
      { _meta: meta({ [META_KEYS.protocolVersion]: '' }) },
      undefined,
      /protocolVersion.*non-empty string/,
    ],
    [
      'clientCapabilities null',
      { _meta: meta({ [META_KEYS.clientCapabilities]: null }) },
      V,
      /clientCapabilities.*ClientCapabilities/,
    ],
    [
      'clientCapabilities an array',
      { _meta: meta({ [META_KEYS.clientCapabilities]: ['sampling'] }) },
      V,
      /clientCapabilities.*ClientCapabilities/,
    ],
    [
      'clientCapabilities a string',
      { _meta: meta({ [META_KEYS.clientCapabilities]: 'all' }) },
      V,
      /clientCapabilities.*ClientCapabilities/,
    ],
    [
      'clientCapabilities.sampling not an object',
      { _meta: meta({ [META_KEYS.clientCapabilities]: { sampling: true } }) },
      V,
      /clientCapabilities.*ClientCapabilities/,
    ],
    [
      'clientInfo a string',
      { _meta: meta({ [META_KEYS.clientInfo]: 'me' }) },
      V,
      /clientInfo.*Implementation/,
    ],
    [
      'clientInfo without version',
      { _meta: meta({ [META_KEYS.clientInfo]: { name: 'n' } }) },
      V,
      /clientInfo.*Implementation/,
    ],
    [
      'clientInfo with a numeric name',
      { _meta: meta({ [META_KEYS.clientInfo]: { name: 1, version: '1' } }) },
      V,
      /clientInfo.*Implementation/,
    ],
    ['logLevel not a level', { _meta: meta({ [META_KEYS.logLevel]: 'loud' }) }, V, /logLevel.*logging level/],
    ['logLevel a number', { _meta: meta({ [META_KEYS.logLevel]: 3 }) }, V, /logLevel.*logging level/],
  ];

  it.each(invalidEnvelope)('%s → -32602 with the request id', (_name, params, header, text) => {
    const answer = refusal(req('tools/list', params, 'req-42'), header);
    expect(answer).toMatchObject({ code: -32602, id: 'req-42', data: { reason: 'invalid_envelope' } });
    expect(answer.message).toMatch(text);
  });

  it('keeps numeric ids, 0 included', () => {
    expect(refusal(req('tools/list', {}, 0), V)).toMatchObject({ code: -32602, id: 0 });
  });

  it('reports a missing key before a malformed one (protocolVersion, then clientCapabilities)', () => {
    const answer = refusal(
      req('tools/list', { _meta: { [META_KEYS.protocolVersion]: V, [META_KEYS.clientInfo]: 'bad' } }),
      V,
    );
    expect(answer.message).toMatch(/clientCapabilities.*required/);
  });

  it.each([
    ['a 2025 header, a 2026 claim', '2025-11-25', V],
    ['a 2026 header, a v999 claim', V, 'v999.0.0'],
    ['a v999 header, a 2026 claim', 'v999.0.0', V],
    ['a header with a suffix', '2026-07-28.1', V],
  ])('version header unlike the claim (%s) → -32020 with the request id', (_name, header, claimed) => {
    const answer = refusal(
      req('server/discover', { _meta: meta({ [META_KEYS.protocolVersion]: claimed }) }, 302),
      header,
    );
    expect(answer).toMatchObject({ code: -32020, id: 302, data: { reason: 'header_mismatch' } });
    expect(answer.message).toContain(claimed);
  });

  it('checks the envelope before the header: a broken claim under a mismatched header is -32602', () => {
    const answer = refusal(
      req('tools/list', { _meta: meta({ [META_KEYS.clientCapabilities]: [] }) }, 9),
      '2025-11-25',
    );
    expect(answer).toMatchObject({ code: -32602, id: 9 });
  });

  it.each([V, 'v999.0.0', '2030-01-01'])(
    'initialize with a modern header (%s) and no claim → -32020',
    (header) => {
      const answer = refusal(
        req('initialize', { protocolVersion: '2025-11-25', capabilities: {} }, 1),
        header,
      );
      expect(answer).toMatchObject({ code: -32020, id: 1, data: { reason: 'header_mismatch' } });
    },
  );

  it.each([V, 'v999.0.0'])('a request with a modern header (%s) and no claim → -32602', (header) => {
    expect(refusal(req('tools/list', {}, 'abc'), header)).toMatchObject({ code: -32602, id: 'abc' });
    expect(refusal(req('tools/list', { _meta: { progressToken: 1 } }, 'abc'), header)).toMatchObject({
      code: -32602,
      id: 'abc',
    });
  });

  it('refuses a notification with a broken claim (-32602) or a mismatched header (-32020), with a null id', () => {
    expect(
      refusal(note('notifications/cancelled', { _meta: meta({ [META_KEYS.clientCapabilities]: 1 }) }), V),
    ).toMatchObject({ code: -32602, id: null });
    expect(refusal(note('notifications/cancelled', { _meta: meta() }), '2025-11-25')).toMatchObject({
      code: -32020,
      id: null,
    });
  });
});

describe('readEnvelope', () => {
  it('returns the envelope, or the problem as a sentence', () => {
    expect(readEnvelope({ _meta: meta() })).toMatchObject({ protocolVersion: V, clientCapabilities: {} });
    expect(readEnvelope({})).toBe('params._meta is required');
    expect(readEnvelope({ _meta: metaWithout(META_KEYS.protocolVersion) })).toBe(
      `params._meta["${META_KEYS.protocolVersion}"] is required`,
    );
  });

  it('accepts every logging level', () => {
    for (const level of ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']) {
      expect(readEnvelope({ _meta: meta({ [META_KEYS.logLevel]: level }) })).toMatchObject({
        logLevel: level,
      });
    }
  });
});

describe('constants and result stamps', () => {
  it('speaks 2026-07-28 only and lists the removed methods', () => {
    expect(MODERN_PROTOCOL_VERSIONS).toEqual(['2026-07-28']);
    expect([...REMOVED_METHODS].sort()).toEqual(
      ['initialize', 'logging/setLevel', 'ping', 'resources/subscribe', 'resources/unsubscribe'].sort(),
    );
    expect([...CACHEABLE_METHODS].sort()).toEqual(
      [
        'prompts/list',
        'resources/list',
        'resources/read',
        'resources/templates/list',
        'server/discover',
        'tools/list',
      ].sort(),
    );
  });

  it('builds discover without serverInfo in the body, instructions only when given', () => {
    expect(discoverResult({ tools: {} }, undefined)).toEqual({
      supportedVersions: ALL,
      capabilities: { tools: {} },
    });
    expect(discoverResult({}, 'Be nice')).toMatchObject({ instructions: 'Be nice' });
  });

  const serverInfo = { name: 's', version: '1' };
  const hint = { ttlMs: 0, cacheScope: 'private' as const };

  it('stamps resultType, serverInfo and (cacheable methods only) cache hints on a copy', () => {
    const result = { tools: [], _meta: { other: 1 } };
    const stamped = stampResult('tools/list', result, serverInfo, hint);
    expect(stamped).toEqual({
      tools: [],
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'private',
      _meta: { other: 1, [META_KEYS.serverInfo]: serverInfo },
    });
    expect(result).toEqual({ tools: [], _meta: { other: 1 } });
    expect(stampResult('tools/call', { content: [] }, serverInfo, hint)).toEqual({
      content: [],
      resultType: 'complete',
      _meta: { [META_KEYS.serverInfo]: serverInfo },
    });
  });

  it("keeps a handler's valid cache hints and replaces invalid ones", () => {
    expect(
      stampResult('resources/read', { contents: [], ttlMs: 5000, cacheScope: 'public' }, serverInfo, hint),
    ).toMatchObject({ ttlMs: 5000, cacheScope: 'public' });
    expect(
      stampResult('resources/read', { contents: [], ttlMs: -1, cacheScope: 'shared' }, serverInfo, hint),
    ).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
    expect(stampResult('prompts/list', { prompts: [], ttlMs: 1.5 }, serverInfo, hint)).toMatchObject({
      ttlMs: 0,
    });
  });

  it('lets only tools/call, prompts/get and resources/read answer input_required, without cache hints', () => {
    expect(
      stampResult('resources/read', { resultType: 'input_required', requestState: 's' }, serverInfo, hint),
    ).toEqual({
      resultType: 'input_required',
      requestState: 's',
      _meta: { [META_KEYS.serverInfo]: serverInfo },
    });
    expect(
      stampResult('tools/list', { tools: [], resultType: 'input_required' }, serverInfo, hint),
    ).toMatchObject({
      resultType: 'complete',
    });
  });
});
