/**
 * Cache hints (MCP 2026-07-28, SEP-2549): the runtime's `cacheHints` by method, a resource's own
 * `cacheHint` for its reads, the defaults, and what is refused when defined.
 */
import { describe, expect, it } from 'vitest';
import type { JsonRpcResponse, SessionRuntimeOptions } from '../../src/index.js';
import {
  createSessionRuntime,
  defineResource,
  defineResourceTemplate,
  parseMessage,
} from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';

const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

async function serve(options: SessionRuntimeOptions, method: string, params: Record<string, unknown> = {}) {
  const runtime = createSessionRuntime(options);
  const message = parseMessage({
    jsonrpc: '2.0',
    id: 1,
    method,
    params: { ...params, _meta: meta },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  const response = (await runtime.serve(message, envelope)) as JsonRpcResponse & {
    result: Record<string, unknown>;
  };
  await runtime.close({ drainMs: 0 });
  return response.result;
}

const resources = [
  defineResource({ uri: 'test://plain', name: 'Plain', read: () => 'plain' }),
  defineResource({
    uri: 'test://shared',
    name: 'Shared',
    cacheHint: { ttlMs: 60_000, cacheScope: 'public' },
    read: () => 'shared',
  }),
];
const resourceTemplates = [
  defineResourceTemplate({
    uriTemplate: 'test://item/{id}',
    name: 'Item',
    cacheHint: { ttlMs: 5_000, cacheScope: 'private' },
    read: (_uri, { id }) => `item ${id}`,
  }),
];

describe('cache hints', () => {
  it('defaults to ttlMs 0, private, on every cacheable result', async () => {
    for (const method of ['server/discover', 'resources/list', 'resources/templates/list']) {
      expect(await serve({ resources, resourceTemplates }, method)).toMatchObject({
        ttlMs: 0,
        cacheScope: 'private',
      });
    }
    expect(await serve({ resources }, 'resources/read', { uri: 'test://plain' })).toMatchObject({
      ttlMs: 0,
      cacheScope: 'private',
    });
  });

  it('takes the runtime option by method, and a resource’s own hint over it for its reads', async () => {
    const options: SessionRuntimeOptions = {
      resources,
      resourceTemplates,
      cacheHints: {
        'resources/list': { ttlMs: 30_000, cacheScope: 'public' },
        'resources/read': { ttlMs: 1_000, cacheScope: 'private' },
      },
    };
    expect(await serve(options, 'resources/list')).toMatchObject({ ttlMs: 30_000, cacheScope: 'public' });
    expect(await serve(options, 'resources/templates/list')).toMatchObject({
      ttlMs: 0,
      cacheScope: 'private',
    });
    expect(await serve(options, 'resources/read', { uri: 'test://plain' })).toMatchObject({ ttlMs: 1_000 });
    expect(await serve(options, 'resources/read', { uri: 'test://shared' })).toMatchObject({
      ttlMs: 60_000,
      cacheScope: 'public',
    });
    expect(await serve(options, 'resources/read', { uri: 'test://item/7' })).toMatchObject({ ttlMs: 5_000 });
  });

  it('refuses malformed hints when the runtime or the resource is defined', () => {
    for (const cacheHints of [
      { 'tools/list': { ttlMs: -1, cacheScope: 'public' } },
      { 'tools/list': { ttlMs: 1.5, cacheScope: 'public' } },
      { 'tools/list': { ttlMs: 1, cacheScope: 'shared' } },
      { 'tools/call': { ttlMs: 1, cacheScope: 'public' } },
    ]) {
      expect(() => createSessionRuntime({ cacheHints } as SessionRuntimeOptions)).toThrow(TypeError);
    }
    for (const cacheHint of [
      { ttlMs: -1, cacheScope: 'public' },
      { ttlMs: 1 },
      { ttlMs: 1, cacheScope: 'public', x: 1 },
    ]) {
      expect(() =>
        defineResource({ uri: 'test://x', name: 'X', cacheHint, read: () => 'x' } as Parameters<
          typeof defineResource
        >[0]),
      ).toThrow(/cacheHint/);
    }
  });
});
