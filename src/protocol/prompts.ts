/**
 * Prompts (MCP, "Prompts"): `definePrompt` with zod arguments, served as `prompts/list` and
 * `prompts/get`; `completion/complete` for prompt arguments and resource-template variables.
 */
import type { z } from 'zod';
import type { HandlerContext, RequestHandler } from '../runtime/types.js';
import { describeClientValue, SessionRuntimeError } from './errors.js';
import { refuseUnissuedCursor } from './pagination.js';
import type { Completer, ResourceTemplateDefinition } from './resources.js';

/** One message of a prompt. */
export interface PromptMessage {
  readonly role: 'user' | 'assistant';
  readonly content: Readonly<Record<string, unknown>>;
}

/** What `get` may return: the full result, or a string served as one user text message. */
export type PromptReturn =
  | string
  | {
      readonly description?: string;
      readonly messages: readonly PromptMessage[];
      readonly [key: string]: unknown;
    };

export interface PromptDefinition<TArguments extends z.ZodObject = z.ZodObject, TContext = unknown> {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  /** Prompt arguments are strings on the wire (MCP); describe each with `.describe()`. */
  readonly arguments?: TArguments;
  readonly get: (
    args: z.output<TArguments>,
    context: HandlerContext<TContext>,
  ) => PromptReturn | Promise<PromptReturn>;
  /** Completers by argument name, for `completion/complete`. */
  readonly complete?: Readonly<Record<string, Completer>>;
}

/**
 * Declares a prompt.
 *
 * @example
 * ```ts
 * definePrompt({
 *   name: 'review',
 *   arguments: z.object({ code: z.string().describe('The code to review') }),
 *   get: ({ code }) => `Please review:\n${code}`,
 * });
 * ```
 */
export function definePrompt<TArguments extends z.ZodObject, TContext = unknown>(
  definition: PromptDefinition<TArguments, TContext>,
): PromptDefinition<TArguments, TContext> {
  return definition;
}

function argumentsListing(schema: z.ZodObject | undefined) {
  if (schema === undefined) return undefined;
  return Object.entries(schema.shape).map(([name, field]) => {
    const entry: Record<string, unknown> = {
      name,
      required: !(field as z.ZodType).safeParse(undefined).success,
    };
    const description = (field as z.ZodType).description;
    if (description !== undefined) entry.description = description;
    return entry;
  });
}

function issuesOf(error: z.ZodError) {
  return error.issues.slice(0, 10).map((issue) => ({ path: issue.path, message: issue.message }));
}

/** Builds `prompts/list` and `prompts/get`. */
export function createPromptHandlers<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  prompts: readonly PromptDefinition<any, TContext>[],
): Record<'prompts/list' | 'prompts/get', RequestHandler<TContext>> {
  const byName = new Map(prompts.map((prompt) => [prompt.name, prompt]));
  const listing = {
    prompts: prompts.map((prompt) => {
      const entry: Record<string, unknown> = { name: prompt.name };
      if (prompt.title !== undefined) entry.title = prompt.title;
      if (prompt.description !== undefined) entry.description = prompt.description;
      const listed = argumentsListing(prompt.arguments);
      if (listed !== undefined) entry.arguments = listed;
      return entry;
    }),
  };
  const get: RequestHandler<TContext> = async (params, context) => {
    const prompt = typeof params.name === 'string' ? byName.get(params.name) : undefined;
    if (prompt === undefined)
      throw new SessionRuntimeError('invalid_params', `Unknown prompt: ${describeClientValue(params.name)}`);
    let args: unknown = params.arguments ?? {};
    if (prompt.arguments !== undefined) {
      const parsed = prompt.arguments.safeParse(args);
      if (!parsed.success) {
        throw new SessionRuntimeError('invalid_params', `Invalid arguments for prompt ${prompt.name}`, {
          issues: issuesOf(parsed.error),
        });
      }
      args = parsed.data;
    }
    const value = await prompt.get(args, context);
    return typeof value === 'string'
      ? { messages: [{ role: 'user', content: { type: 'text', text: value } }] }
      : value;
  };
  const list: RequestHandler<TContext> = (params) => {
    refuseUnissuedCursor(params);
    return listing;
  };
  return { 'prompts/list': list, 'prompts/get': get };
}

/** The most values one completion answer carries (MCP, "Completion"). */
const MAX_COMPLETION_VALUES = 100;

/** Builds `completion/complete` over prompts' and resource templates' completers. */
export function createCompletionHandler<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  prompts: readonly PromptDefinition<any, TContext>[],
  templates: readonly ResourceTemplateDefinition<TContext>[],
): RequestHandler<TContext> {
  const promptsByName = new Map(prompts.map((prompt) => [prompt.name, prompt]));
  const templatesByUri = new Map(templates.map((template) => [template.uriTemplate, template]));
  return async (params) => {
    const ref = (params.ref ?? {}) as { type?: unknown; name?: unknown; uri?: unknown };
    const argument = (params.argument ?? {}) as { name?: unknown; value?: unknown };
    if (typeof argument.name !== 'string' || typeof argument.value !== 'string') {
      throw new SessionRuntimeError('invalid_params', 'Expected `argument` to have a string name and value');
    }
    let completers: Readonly<Record<string, Completer>> | undefined;
    if (ref.type === 'ref/prompt' && typeof ref.name === 'string' && promptsByName.has(ref.name)) {
      completers = promptsByName.get(ref.name)?.complete ?? {};
    } else if (ref.type === 'ref/resource' && typeof ref.uri === 'string' && templatesByUri.has(ref.uri)) {
      completers = templatesByUri.get(ref.uri)?.complete ?? {};
    } else {
      throw new SessionRuntimeError('invalid_params', 'Unknown completion reference');
    }
    // Own properties only: a client's argument named `toString` or `__proto__` has no completer.
    const completer = Object.hasOwn(completers, argument.name) ? completers[argument.name] : undefined;
    const known = (params.context as { arguments?: Record<string, string> } | undefined)?.arguments ?? {};
    const values =
      completer === undefined ? [] : [...(await completer(argument.value, { arguments: known }))];
    return {
      completion: {
        values: values.slice(0, MAX_COMPLETION_VALUES),
        total: values.length,
        hasMore: values.length > MAX_COMPLETION_VALUES,
      },
    };
  };
}
