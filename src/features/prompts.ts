/**
 * Prompts (MCP, "Prompts"): `definePrompt` with zod arguments, served as `prompts/list` and
 * `prompts/get`; `completion/complete` for prompt arguments and resource-template variables.
 */
import { GetPromptResultSchema, PromptSchema } from '@modelcontextprotocol/core';
import { z } from 'zod';
import { describeClientValue, SessionRuntimeError } from '../protocol/errors.js';
import { describeIssues, issuesOf } from '../protocol/issues.js';
import type { HandlerContext, RequestHandler } from '../runtime/types.js';
import {
  assertDefinitionObject,
  assertFunction,
  assertMatches,
  assertUnique,
  objectJsonSchemaOf,
  objectSchemaOf,
  rejectUnknownKeys,
} from './definitions.js';
import { refuseUnissuedCursor } from './pagination.js';
import type { Completer, ResourceTemplateDefinition } from './resources.js';
import { checkCompleters } from './resources.js';

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

/** A prompt's arguments: a zod 4 object schema, or a raw shape of zod schemas. */
export type PromptArgumentsSchema = z.ZodObject | z.ZodRawShape;

/** The arguments `get` receives for an arguments schema given as a zod object or a raw shape. */
export type PromptArguments<TArguments> = TArguments extends z.ZodType
  ? z.output<TArguments>
  : TArguments extends z.ZodRawShape
    ? z.output<z.ZodObject<TArguments>>
    : never;

export interface PromptDefinition<
  TArguments extends PromptArgumentsSchema = z.ZodObject,
  TContext = unknown,
> {
  /** Unique within the server. */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  /**
   * Prompt arguments are strings on the wire (MCP); describe each with `.describe()`. A zod 4 object
   * schema or a raw shape (`{ code: z.string() }`); a zod 3 schema or a non-object schema is a
   * `TypeError` at definition time. Arguments that fail it are answered -32602 (prompts have no
   * `isError` result).
   */
  readonly arguments?: TArguments;
  /**
   * Builds the prompt: a string (one user text message) or a `GetPromptResult`. Anything else it
   * returns is answered `internal_error` and reported as `handlerError`.
   */
  readonly get: (
    args: PromptArguments<TArguments>,
    context: HandlerContext<TContext>,
  ) => PromptReturn | Promise<PromptReturn>;
  /** Completers by argument name, for `completion/complete`; a name that is no argument is a `TypeError`. */
  readonly complete?: Readonly<Record<string, Completer>>;
}

/**
 * Declares a prompt, checking it at once (name, keys, `get`, the arguments schema, completer names):
 * a mistake throws a `TypeError` here.
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
export function definePrompt<
  TArguments extends PromptArgumentsSchema = z.ZodObject<Record<never, never>>,
  TContext = unknown,
>(definition: PromptDefinition<TArguments, TContext>): PromptDefinition<TArguments, TContext> {
  compilePrompt(definition);
  return definition;
}

const promptKeys = ['name', 'title', 'description', 'arguments', 'get', 'complete'] as const;

/** A checked prompt, ready to serve. */
interface CompiledPrompt<TContext> {
  readonly name: string;
  readonly schema: z.ZodType | undefined;
  readonly listing: Readonly<Record<string, unknown>>;
  readonly get: (args: unknown, context: HandlerContext<TContext>) => PromptReturn | Promise<PromptReturn>;
  readonly complete: Readonly<Record<string, Completer>> | undefined;
}

const compiled = new WeakMap<object, CompiledPrompt<unknown>>();

function compilePrompt<TContext>(definition: unknown): CompiledPrompt<TContext> {
  const known = typeof definition === 'object' && definition !== null ? compiled.get(definition) : undefined;
  if (known !== undefined) return known as CompiledPrompt<TContext>;
  assertDefinitionObject(definition, 'prompt');
  const prompt = definition as Record<string, unknown>;
  if (typeof prompt.name !== 'string' || prompt.name === '') {
    throw new TypeError(
      `Expected a prompt name (a non-empty string), got ${describeClientValue(prompt.name)}`,
    );
  }
  const what = `prompt \`${prompt.name}\``;
  rejectUnknownKeys(prompt, promptKeys, what);
  assertFunction(prompt.get, `the \`get\` of ${what}`);
  const where = `the \`arguments\` of ${what}`;
  const schema = objectSchemaOf(prompt.arguments, where);
  const listing: Record<string, unknown> = { name: prompt.name };
  if (prompt.title !== undefined) listing.title = prompt.title;
  if (prompt.description !== undefined) listing.description = prompt.description;
  if (schema !== undefined) listing.arguments = argumentsListing(objectJsonSchemaOf(schema, where));
  assertMatches(PromptSchema, listing, `${what} as listed in \`prompts/list\``);
  const names = ((listing.arguments ?? []) as { name: string }[]).map((argument) => argument.name);
  const complete = checkCompleters(prompt.complete, names, what, 'argument');
  const result: CompiledPrompt<TContext> = {
    name: prompt.name,
    schema,
    listing,
    get: prompt.get as CompiledPrompt<TContext>['get'],
    complete,
  };
  compiled.set(definition as object, result as CompiledPrompt<unknown>);
  return result;
}

/** The `arguments` of a `prompts/list` entry, from the JSON Schema of the arguments object. */
function argumentsListing(json: Record<string, unknown>) {
  const properties = (json.properties ?? {}) as Record<string, { description?: unknown }>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, field]) => {
    const entry: Record<string, unknown> = { name, required: required.has(name) };
    if (typeof field.description === 'string') entry.description = field.description;
    return entry;
  });
}

/** What `get` returned, as a valid `GetPromptResult`; anything else is the prompt's bug (a `TypeError`). */
function toPromptResult(name: string, value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value === 'string')
    return { messages: [{ role: 'user', content: { type: 'text', text: value } }] };
  const parsed = GetPromptResultSchema.safeParse(value);
  if (parsed.success && Array.isArray((value as { messages?: unknown }).messages)) {
    return value as Record<string, unknown>;
  }
  throw new TypeError(
    `Prompt \`${name}\` returned ${describeClientValue(value)}, which is not a GetPromptResult (${parsed.success ? 'messages: expected an array' : describeIssues(parsed.error, 3)})`,
  );
}

/** Builds `prompts/list` and `prompts/get`. */
export function createPromptHandlers<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  prompts: readonly PromptDefinition<any, TContext>[],
): Record<'prompts/list' | 'prompts/get', RequestHandler<TContext>> {
  const checked = prompts.map((prompt) => compilePrompt<TContext>(prompt));
  assertUnique(
    checked.map((prompt) => prompt.name),
    'prompt names',
  );
  const byName = new Map(checked.map((prompt) => [prompt.name, prompt]));
  const listing = { prompts: checked.map((prompt) => prompt.listing) };
  const get: RequestHandler<TContext> = async (params, context) => {
    const prompt = typeof params.name === 'string' ? byName.get(params.name) : undefined;
    if (prompt === undefined)
      throw new SessionRuntimeError('invalid_params', `Unknown prompt: ${describeClientValue(params.name)}`);
    let args: unknown = params.arguments ?? {};
    if (prompt.schema !== undefined) {
      const parsed = z.safeParse(prompt.schema, args);
      if (!parsed.success) {
        throw new SessionRuntimeError('invalid_params', `Invalid arguments for prompt ${prompt.name}`, {
          issues: issuesOf(parsed.error),
        });
      }
      args = parsed.data;
    }
    return toPromptResult(prompt.name, await prompt.get(args, context));
  };
  const list: RequestHandler<TContext> = (params) => {
    refuseUnissuedCursor(params);
    return listing;
  };
  return { 'prompts/list': list, 'prompts/get': get };
}

/** The most values one completion answer carries (MCP, "Completion"). */
const MAX_COMPLETION_VALUES = 100;

/** A completer's answer as a list of strings; anything else is the completer's bug (a `TypeError`). */
function completionValues(answer: unknown): string[] {
  if (Array.isArray(answer) && answer.every((value) => typeof value === 'string')) return answer;
  throw new TypeError(`A completer returned ${describeClientValue(answer)}; expected an array of strings`);
}

/** Builds `completion/complete` over prompts' and resource templates' completers. */
export function createCompletionHandler<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  prompts: readonly PromptDefinition<any, TContext>[],
  templates: readonly ResourceTemplateDefinition<TContext>[],
): RequestHandler<TContext> {
  const promptsByName = new Map(
    prompts.map((prompt) => compilePrompt<TContext>(prompt)).map((prompt) => [prompt.name, prompt]),
  );
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
      completer === undefined ? [] : completionValues(await completer(argument.value, { arguments: known }));
    return {
      completion: {
        values: values.slice(0, MAX_COMPLETION_VALUES),
        total: values.length,
        hasMore: values.length > MAX_COMPLETION_VALUES,
      },
    };
  };
}
