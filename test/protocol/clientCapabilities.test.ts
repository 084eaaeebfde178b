/**
 * Which client capability a server→client request needs (MCP 2025-11-25 "Client Features";
 * SEP-2322 for 2026-07-28 `inputRequests`): the top-level capability, and within it the mode an
 * elicitation uses and whether a sampling request carries tools.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonRpcResponse } from '../../src/index.js';
import { createSessionRuntime, defineTool, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { capabilityPath, missingClientCapability } from '../../src/protocol/lifecycle.js';

const form = { message: 'Name?', requestedSchema: { type: 'object', properties: {} } };
const url = { mode: 'url', message: 'Sign in', url: 'https://example.com/login', elicitationId: 'e1' };
const sampling = { messages: [], maxTokens: 10 };

describe('missingClientCapability', () => {
  const cases: [string, Record<string, unknown> | undefined, Record<string, unknown> | undefined, unknown][] =
    [
      ['elicitation/create', form, undefined, { elicitation: {} }],
      ['elicitation/create', form, {}, { elicitation: {} }],
      ['elicitation/create', form, { elicitation: {} }, undefined],
      ['elicitation/create', form, { elicitation: { form: {} } }, undefined],
      ['elicitation/create', form, { elicitation: { url: {} } }, { elicitation: { form: {} } }],
      ['elicitation/create', form, { elicitation: { form: {}, url: {} } }, undefined],
      ['elicitation/create', url, { elicitation: {} }, { elicitation: { url: {} } }],
      ['elicitation/create', url, { elicitation: { form: {} } }, { elicitation: { url: {} } }],
      ['elicitation/create', url, { elicitation: { url: {} } }, undefined],
      ['sampling/createMessage', sampling, { sampling: {} }, undefined],
      ['sampling/createMessage', { ...sampling, tools: [] }, { sampling: {} }, { sampling: { tools: {} } }],
      [
        'sampling/createMessage',
        { ...sampling, toolChoice: { mode: 'auto' } },
        { sampling: {} },
        { sampling: { tools: {} } },
      ],
      ['sampling/createMessage', { ...sampling, tools: [] }, { sampling: { tools: {} } }, undefined],
      ['sampling/createMessage', sampling, { elicitation: {} }, { sampling: {} }],
      ['roots/list', {}, { roots: {} }, undefined],
      ['roots/list', {}, { roots: true }, { roots: {} }],
      ['ping', {}, undefined, undefined],
    ];
  for (const [method, params, declared, expected] of cases) {
    it(`${method} ${JSON.stringify(params)} with ${JSON.stringify(declared)} → ${JSON.stringify(expected)}`, () => {
      expect(missingClientCapability(method, params, declared)).toEqual(expected);
    });
  }

  it('names the missing capability as a path', () => {
    expect(capabilityPath({ elicitation: { url: {} } })).toBe('elicitation.url');
    expect(capabilityPath({ roots: {} })).toBe('roots');
  });
});

describe('both eras refuse to ask what the client did not declare', () => {
  const tools = [
    defineTool({
      name: 'login',
      inputSchema: z.object({}),
      handler: async (_args, ctx) => JSON.stringify(await ctx.request('elicitation/create', url)),
    }),
  ];

  it('2026-07-28: -32021 naming elicitation.url', async () => {
    const runtime = createSessionRuntime({ tools });
    const message = parseMessage({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'login',
        arguments: {},
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
        },
      },
    }) as IncomingRequest;
    const envelope = readEnvelope(message.params);
    if (typeof envelope === 'string') throw new Error(envelope);
    const response = (await runtime.serve(message, envelope)) as JsonRpcResponse & {
      error: { code: number; data: Record<string, unknown> };
    };
    expect(response.error.code).toBe(-32021);
    expect(response.error.data.requiredCapabilities).toEqual({ elicitation: { url: {} } });
  });

  it('2025 session: the tool fails, telling the model which capability is missing', async () => {
    const runtime = createSessionRuntime({ tools });
    await runtime.dispatch('s', {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: { elicitation: {} },
        clientInfo: { name: 'c', version: '1' },
      },
    });
    await runtime.dispatch('s', { jsonrpc: '2.0', method: 'notifications/initialized' });
    const response = (await runtime.dispatch('s', {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'login', arguments: {} },
    })) as unknown as { result: { isError: boolean; content: { text: string }[] } };
    expect(response.result.isError).toBe(true);
    expect(response.result.content[0]?.text).toContain('elicitation.url');
  });
});
