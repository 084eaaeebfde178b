/**
 * The conformance suite's diagnostic tools for MCP 2026-07-28: a parameter mirrored in an HTTP
 * header (`x-mcp-header`, SEP-2243), logging (sent only when the request asks for a log level),
 * a missing client capability (-32021), list-changed triggers, and an elicitation on a request
 * stream (which a 2026-07-28 request answers without a server-to-client request).
 */
import { z } from 'zod';
import { defineTool } from '../../src/index.js';

const noArguments = z.object({});

/** Where the triggers announce list changes: the server sets `announce` to its runtime's once created. */
export const listChanged: { announce: (list: 'tools' | 'prompts') => number } = {
  announce: () => 0,
};

export const diagnosticTools = [
  defineTool({
    name: 'test_x_mcp_header',
    description: 'Echoes its region argument, which the client also sends as the Mcp-Param-Region header',
    inputSchema: z.object({ region: z.string() }),
    // The header declaration is a JSON Schema keyword zod does not emit: the schema is advertised as written.
    advertisedInputSchema: {
      type: 'object',
      properties: { region: { type: 'string', 'x-mcp-header': 'Region' } },
      required: ['region'],
    },
    handler: ({ region }) => `region=${region}`,
  }),
  defineTool({
    name: 'test_logging_tool',
    description: 'Logs one message at info level and returns at once',
    inputSchema: noArguments,
    handler: (_args, ctx) => {
      ctx.log('info', 'Logging tool called');
      return 'Logging tool completed';
    },
  }),
  defineTool({
    name: 'test_missing_capability',
    description: 'Needs the sampling capability: asks the client to sample and returns its answer',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await ctx.request('sampling/createMessage', {
        messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }],
        maxTokens: 20,
      });
      const content = answer.content as { text?: unknown } | undefined;
      return typeof content?.text === 'string' ? content.text : 'Success';
    },
  }),
  // `runtime.notifyListChanged` tells every 2025 session with a stream open and every 2026-07-28
  // `subscriptions/listen` that asked for the kind; the runtime is the server's, set once it exists.
  defineTool({
    name: 'test_trigger_tool_change',
    description: 'Announces that the tool list changed',
    inputSchema: noArguments,
    handler: () => `Tool list change triggered (${listChanged.announce('tools')} told)`,
  }),
  defineTool({
    name: 'test_trigger_prompt_change',
    description: 'Announces that the prompt list changed',
    inputSchema: noArguments,
    handler: () => `Prompt list change triggered (${listChanged.announce('prompts')} told)`,
  }),
  defineTool({
    name: 'test_streaming_elicitation',
    description: 'Asks the user for their name (elicitation) and returns the answer',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await ctx.request('elicitation/create', {
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
      });
      return `Elicitation completed: action=${String(answer.action)}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  }),
];
