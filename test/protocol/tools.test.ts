import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSessionRuntime, defineTool, ToolError } from '../../src/index.js';
import { openSession, request } from '../helpers.js';

const add = defineTool({
  name: 'add',
  title: 'Add',
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number().describe('the other one') }),
  handler: ({ a, b }) => String(a + b),
});

const lookup = defineTool({
  name: 'lookup',
  inputSchema: z.object({ city: z.string() }),
  handler: ({ city }) => {
    if (city === 'Atlantis') throw new ToolError('No such city');
    if (city === 'crash') throw new Error('connection string leaked');
    return { content: [{ type: 'text', text: city.toUpperCase() }], structuredContent: { city } };
  },
});

async function runtimeWithTools() {
  const runtime = createSessionRuntime({ tools: [add, lookup] });
  await openSession(runtime, 's');
  return runtime;
}

describe('tools', () => {
  it('lists tools with JSON Schema derived from zod', async () => {
    const runtime = await runtimeWithTools();
    const answer = await runtime.dispatch('s', request(1, 'tools/list'));
    expect(answer).toMatchObject({
      result: {
        tools: [
          {
            name: 'add',
            title: 'Add',
            description: 'Adds two numbers',
            inputSchema: {
              type: 'object',
              properties: { a: { type: 'number' }, b: { type: 'number', description: 'the other one' } },
              required: ['a', 'b'],
            },
          },
          { name: 'lookup', inputSchema: { type: 'object', required: ['city'] } },
        ],
      },
    });
  });

  it('calls a tool with validated arguments; a string becomes one text block', async () => {
    const runtime = await runtimeWithTools();
    expect(
      await runtime.dispatch('s', request(1, 'tools/call', { name: 'add', arguments: { a: 2, b: 3 } })),
    ).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '5' }] } });
    expect(
      await runtime.dispatch('s', request(2, 'tools/call', { name: 'lookup', arguments: { city: 'rome' } })),
    ).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { content: [{ type: 'text', text: 'ROME' }], structuredContent: { city: 'rome' } },
    });
  });

  it('answers invalid arguments with -32602 and the issues, before the handler runs', async () => {
    const runtime = await runtimeWithTools();
    const answer = await runtime.dispatch(
      's',
      request(1, 'tools/call', { name: 'add', arguments: { a: 'two' } }),
    );
    expect(answer).toMatchObject({
      error: { code: -32602, data: { reason: 'invalid_params', issues: [{ path: ['a'] }, { path: ['b'] }] } },
    });
  });

  it('answers an unknown tool with -32602', async () => {
    const runtime = await runtimeWithTools();
    expect(await runtime.dispatch('s', request(1, 'tools/call', { name: 'nope' }))).toMatchObject({
      error: { code: -32602, message: 'Unknown tool: "nope"' },
    });
  });

  it('reports a ToolError as an isError result, and hides any other error behind -32603', async () => {
    const runtime = await runtimeWithTools();
    expect(
      await runtime.dispatch(
        's',
        request(1, 'tools/call', { name: 'lookup', arguments: { city: 'Atlantis' } }),
      ),
    ).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'No such city' }], isError: true },
    });
    const crashed = await runtime.dispatch(
      's',
      request(2, 'tools/call', { name: 'lookup', arguments: { city: 'crash' } }),
    );
    expect(crashed).toMatchObject({ error: { code: -32603, message: 'Internal error' } });
    expect(JSON.stringify(crashed)).not.toContain('leaked');
  });

  it('refuses two tools of one name at construction', () => {
    expect(() => createSessionRuntime({ tools: [add, add] })).toThrow(/unique/);
  });
});
