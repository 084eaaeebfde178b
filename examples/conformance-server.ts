/**
 * The server the official conformance suite expects (@modelcontextprotocol/conformance): its tools,
 * resources and prompts, built on the runtime (the 2026-07-28 diagnostic and multi round-trip ones
 * are in ./conformance/). `npm run conformance` starts it on an ephemeral port
 * and runs the suite against it. It prints its URL as its first line of stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createNodeHandler } from '../src/http/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  ToolError,
} from '../src/index.js';
import { diagnosticTools, listChanged } from './conformance/diagnostics.js';
import { inputRequiredPrompts, inputRequiredTools } from './conformance/inputRequired.js';
import { taskTools } from './conformance/tasks.js';

// A 1×1 red PNG and a tiny silent WAV.
const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const wav = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';
const noArguments = z.object({});

/** A tool that asks the client to fill a form and reports what came back (SEP-1034, SEP-1330). */
function elicitationTool(
  name: string,
  description: string,
  message: string,
  properties: Record<string, unknown>,
) {
  return defineTool({
    name,
    description,
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await ctx.request('elicitation/create', {
        message,
        requestedSchema: { type: 'object', properties },
      });
      return `Elicitation completed: action=${String(answer.action)}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  });
}

const tools = [
  defineTool({
    name: 'test_simple_text',
    description: 'Returns simple text',
    inputSchema: noArguments,
    handler: () => 'This is a simple text response for testing.',
  }),
  defineTool({
    name: 'test_image_content',
    description: 'Returns an image',
    inputSchema: noArguments,
    handler: () => ({ content: [{ type: 'image', data: png, mimeType: 'image/png' }] }),
  }),
  defineTool({
    name: 'test_audio_content',
    description: 'Returns audio',
    inputSchema: noArguments,
    handler: () => ({ content: [{ type: 'audio', data: wav, mimeType: 'audio/wav' }] }),
  }),
  defineTool({
    name: 'test_embedded_resource',
    description: 'Returns an embedded resource',
    inputSchema: noArguments,
    handler: () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  }),
  defineTool({
    name: 'test_multiple_content_types',
    description: 'Returns text, image and resource',
    inputSchema: noArguments,
    handler: () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: png, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  }),
  defineTool({
    name: 'test_tool_with_logging',
    description: 'Logs while it runs',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      ctx.log('info', 'Tool execution started');
      await sleep(50);
      ctx.log('info', 'Tool processing data');
      await sleep(50);
      ctx.log('info', 'Tool execution completed');
      return 'Tool with logging executed successfully';
    },
  }),
  defineTool({
    name: 'test_error_handling',
    description: 'Always fails',
    inputSchema: noArguments,
    handler: () => {
      throw new ToolError('This tool intentionally returns an error for testing');
    },
  }),
  defineTool({
    name: 'test_tool_with_progress',
    description: 'Reports progress',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      ctx.progress({ progress: 0, total: 100 });
      await sleep(50);
      ctx.progress({ progress: 50, total: 100 });
      await sleep(50);
      ctx.progress({ progress: 100, total: 100 });
      return 'Tool with progress executed successfully';
    },
  }),
  defineTool({
    name: 'test_sampling',
    description: 'Asks the client to sample',
    inputSchema: z.object({ prompt: z.string() }),
    handler: async ({ prompt }, ctx) => {
      const answer = await ctx.request('sampling/createMessage', {
        messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
        maxTokens: 100,
      });
      const content = answer.content as { text?: string } | undefined;
      return `LLM response: ${content?.text ?? JSON.stringify(answer)}`;
    },
  }),
  defineTool({
    name: 'test_elicitation',
    description: 'Asks the user',
    inputSchema: z.object({ message: z.string() }),
    handler: async ({ message }, ctx) => {
      const answer = await ctx.request('elicitation/create', {
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return `User response: ${JSON.stringify(answer)}`;
    },
  }),
  elicitationTool(
    'test_elicitation_sep1034_defaults',
    'Elicitation with defaults',
    'Please review and update the form fields with defaults',
    {
      name: { type: 'string', description: 'User name', default: 'John Doe' },
      age: { type: 'integer', description: 'User age', default: 30 },
      score: { type: 'number', description: 'User score', default: 95.5 },
      status: {
        type: 'string',
        description: 'User status',
        enum: ['active', 'inactive', 'pending'],
        default: 'active',
      },
      verified: { type: 'boolean', description: 'Verification status', default: true },
    },
  ),
  elicitationTool(
    'test_elicitation_sep1330_enums',
    'Elicitation with every enum variant',
    'Please select options from the enum fields',
    {
      untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      titledSingle: {
        type: 'string',
        oneOf: [
          { const: 'value1', title: 'First Option' },
          { const: 'value2', title: 'Second Option' },
          { const: 'value3', title: 'Third Option' },
        ],
      },
      legacyEnum: {
        type: 'string',
        enum: ['opt1', 'opt2', 'opt3'],
        enumNames: ['Option One', 'Option Two', 'Option Three'],
      },
      untitledMulti: {
        type: 'array',
        items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      },
      titledMulti: {
        type: 'array',
        items: {
          anyOf: [
            { const: 'value1', title: 'First Choice' },
            { const: 'value2', title: 'Second Choice' },
            { const: 'value3', title: 'Third Choice' },
          ],
        },
      },
    },
  ),
  defineTool({
    name: 'test_reconnection',
    description: 'Closes its event stream mid-call; the client resumes it with Last-Event-ID (SEP-1699)',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      ctx.closeStream();
      await sleep(100);
      return 'Reconnection test completed';
    },
  }),
  defineTool({
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: z.looseObject({}),
    // Advertised as written: keywords zod does not emit ($anchor, allOf/anyOf, if/then/else) stay (SEP-2106).
    advertisedInputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: {
          $anchor: 'addressDef',
          type: 'object',
          properties: { street: { type: 'string' }, city: { type: 'string' } },
        },
      },
      properties: {
        name: { type: 'string' },
        address: { $ref: '#/$defs/address' },
        contactMethod: { type: 'string', enum: ['phone', 'email'] },
        phone: { type: 'string' },
        email: { type: 'string' },
      },
      allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
      if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
      // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword; this object is never awaited
      then: { required: ['phone'] },
      else: { required: ['email'] },
      additionalProperties: false,
    },
    handler: (args) => `Received: ${JSON.stringify(args)}`,
  }),
  ...diagnosticTools,
  ...inputRequiredTools,
  ...taskTools,
];

const resources = [
  defineResource({
    uri: 'test://static-text',
    name: 'Static text',
    description: 'A static text resource',
    mimeType: 'text/plain',
    read: () => 'This is the content of the static text resource.',
  }),
  defineResource({
    uri: 'test://static-binary',
    name: 'Static binary',
    description: 'A static PNG',
    mimeType: 'image/png',
    read: (uri) => ({ contents: [{ uri, mimeType: 'image/png', blob: png }] }),
  }),
  defineResource({
    uri: 'test://watched-resource',
    name: 'Watched resource',
    description: 'A resource to subscribe to',
    mimeType: 'text/plain',
    read: () => 'Watched resource content',
  }),
];

const resourceTemplates = [
  defineResourceTemplate({
    uriTemplate: 'test://template/{id}/data',
    name: 'Template data',
    description: 'Data by id',
    mimeType: 'application/json',
    read: (_uri, { id }) => JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
  }),
];

const prompts = [
  definePrompt({
    name: 'test_simple_prompt',
    description: 'A simple prompt',
    get: () => 'This is a simple prompt for testing.',
  }),
  definePrompt({
    name: 'test_prompt_with_arguments',
    description: 'A prompt with arguments',
    arguments: z.object({
      arg1: z.string().describe('First test argument'),
      arg2: z.string().describe('Second test argument'),
    }),
    get: ({ arg1, arg2 }) => `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`,
    complete: { arg1: (value) => ['paris', 'park', 'party'].filter((word) => word.startsWith(value)) },
  }),
  definePrompt({
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt with an embedded resource',
    arguments: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
    get: ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  }),
  definePrompt({
    name: 'test_prompt_with_image',
    description: 'A prompt with an image',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: png, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  }),
  ...inputRequiredPrompts,
];

const runtime = createSessionRuntime({
  serverInfo: { name: 'mcp-session-runtime-conformance', version: '0.1.0' },
  tools,
  resources,
  resourceTemplates,
  prompts,
});
listChanged.announce = (list) => runtime.notifyListChanged(list);
const mcp = createNodeHandler(runtime);
const server = createServer((req, res) => {
  if (req.url?.split('?')[0] === '/mcp') mcp(req, res);
  else res.writeHead(404).end();
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`http://127.0.0.1:${port}/mcp\n`);
});
process.once('SIGTERM', async () => {
  await runtime.close({ drainMs: 1_000 });
  server.close();
  server.closeAllConnections();
});
