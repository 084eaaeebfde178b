/**
 * The conformance suite's multi round-trip tools and prompt (MCP 2026-07-28, SEP-2322: a request
 * answered with `resultType: "input_required"` and retried with `inputResponses`). Each handler
 * asks the client through `ctx.request`, so on a 2025-11-25 session it works with real
 * server-to-client requests. The suite names each input by a key; the key each request stands for
 * is given above it.
 */
import { z } from 'zod';
import { definePrompt, defineTool, type HandlerContext } from '../../src/index.js';

const noArguments = z.object({});

/** The value of `field` in an accepted elicitation's `content`, or `'unknown'`. */
function elicited(answer: Readonly<Record<string, unknown>>, field: string): string {
  const content = answer.content as Record<string, unknown> | undefined;
  const value = content?.[field];
  return typeof value === 'string' ? value : 'unknown';
}

/** The text of a sampling result's content, or `'no response'`. */
function sampled(answer: Readonly<Record<string, unknown>>): string {
  const content = answer.content as { text?: unknown } | undefined;
  return typeof content?.text === 'string' ? content.text : 'no response';
}

/** An `elicitation/create` request for one string field. */
function askString(ctx: HandlerContext, key: string, message: string, field: string) {
  return ctx.request(
    'elicitation/create',
    {
      message,
      requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] },
    },
    { key },
  );
}

/** An `elicitation/create` request for a yes/no confirmation (`{ ok: boolean }`). */
function askConfirmation(ctx: HandlerContext) {
  return ctx.request(
    'elicitation/create',
    {
      message: 'Please confirm',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    },
    { key: 'confirm' },
  );
}

/** A `sampling/createMessage` request for one user text message. */
function sample(ctx: HandlerContext, key: string, text: string, maxTokens: number) {
  return ctx.request(
    'sampling/createMessage',
    { messages: [{ role: 'user', content: { type: 'text', text } }], maxTokens },
    { key },
  );
}

export const inputRequiredTools = [
  defineTool({
    name: 'test_input_required_result_elicitation',
    description: 'Asks the user for their name (elicitation), then greets them',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await askString(ctx, 'user_name', 'What is your name?', 'name');
      return `Hello, ${elicited(answer, 'name')}!`;
    },
  }),
  defineTool({
    name: 'test_input_required_result_sampling',
    description: 'Asks the client to sample an answer, then returns it',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await sample(ctx, 'sample_request', 'What is the capital of France?', 100);
      return `Sampling result: ${sampled(answer)}`;
    },
  }),
  defineTool({
    name: 'test_input_required_result_list_roots',
    description: 'Asks the client for its roots, then counts them',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await ctx.request('roots/list', {}, { key: 'roots_request' });
      const roots = Array.isArray(answer.roots) ? answer.roots : [];
      return `Found ${roots.length} root(s)`;
    },
  }),
  defineTool({
    name: 'test_input_required_result_request_state',
    description: 'Asks the user to confirm, keeping its own state between the rounds',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const answer = await askConfirmation(ctx);
      const content = answer.content as { ok?: unknown } | undefined;
      return content?.ok === true ? 'state-ok: requestState validated' : 'state-declined: not confirmed';
    },
  }),
  defineTool({
    name: 'test_input_required_result_multiple_inputs',
    description: 'Asks for a name (elicitation), a greeting (sampling) and the roots at once',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      // One round: all three are asked together.
      const [name, greeting, roots] = await Promise.all([
        askString(ctx, 'user_name', 'What is your name?', 'name'),
        sample(ctx, 'greeting', 'Generate a greeting', 50),
        ctx.request('roots/list', {}, { key: 'client_roots' }),
      ]);
      const count = Array.isArray(roots.roots) ? roots.roots.length : 0;
      return `Name: ${elicited(name, 'name')}; Greeting: ${sampled(greeting)}; Roots: ${count}`;
    },
  }),
  defineTool({
    name: 'test_input_required_result_multi_round',
    description: 'Asks for a name, then for a favourite colour, in two rounds',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      // Two rounds: the second request is asked only once the first is answered.
      const name = elicited(await askString(ctx, 'step1', 'Step 1: What is your name?', 'name'), 'name');
      const color = elicited(
        await askString(ctx, 'step2', 'Step 2: What is your favorite color?', 'color'),
        'color',
      );
      return `Multi-round complete for ${name} who likes ${color}`;
    },
  }),
  defineTool({
    name: 'test_input_required_result_tampered_state',
    description: 'Asks the user to confirm; a retry whose requestState was altered is refused',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      await askConfirmation(ctx);
      return 'integrity-ok: state verified';
    },
  }),
  defineTool({
    name: 'test_input_required_result_capabilities',
    description: 'Asks only for what the client declared: elicitation and/or sampling',
    inputSchema: noArguments,
    handler: async (_args, ctx) => {
      const declared = ctx.session.clientCapabilities ?? {};
      const asked: Promise<unknown>[] = [];
      const keys: string[] = [];
      if (declared.elicitation !== undefined) {
        asked.push(askString(ctx, 'elicit_input', 'Elicitation input', 'value'));
        keys.push('elicit_input');
      }
      if (declared.sampling !== undefined) {
        asked.push(sample(ctx, 'sample_input', 'Sample request', 50));
        keys.push('sample_input');
      }
      if (asked.length === 0) return 'No supported capabilities declared';
      await Promise.all(asked);
      return `capabilities-ok: received ${keys.join(',')}`;
    },
  }),
];

export const inputRequiredPrompts = [
  definePrompt({
    name: 'test_input_required_result_prompt',
    description: 'Asks the user for context (elicitation), then builds the prompt from it',
    get: async (_args, ctx) => {
      const answer = await askString(ctx, 'user_context', 'What context should the prompt use?', 'context');
      return `Prompt with context: ${elicited(answer, 'context')}`;
    },
  }),
];
