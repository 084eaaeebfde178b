/**
 * Tools: `defineTool` with a zod input schema, served as `tools/list` (JSON Schema derived from zod,
 * computed once) and `tools/call` (arguments validated before the handler runs).
 *
 * Errors follow MCP 2025-11-25 ("Tools" › "Error Handling", SEP-1303): an unknown tool or a request
 * that breaks `CallToolRequest` is a protocol error (-32602); arguments that fail the tool's schema,
 * a {@link ToolError} and any other failure of the tool are tool execution errors, answered with a
 * result whose `isError` is true so that the model can see them and correct itself.
 */
import { CallToolResultSchema, ToolSchema } from '@modelcontextprotocol/core';
import { z } from 'zod';
import {
  ClientRequestError,
  describeClientValue,
  HandlerFailure,
  isReservedErrorCode,
  jsonRpcErrorOf,
  SessionRuntimeError,
} from '../protocol/errors.js';
import { describeIssues } from '../protocol/issues.js';
import { isRecord } from '../protocol/jsonrpc.js';
import type { ParamHeaderDeclaration } from '../protocol/mcpHeaders.js';
import { paramHeaderDeclarations } from '../protocol/mcpHeaders.js';
import { BEFORE_TASK, TASK_ARGUMENTS } from '../protocol/tasks.js';
import type { TaskTool } from '../runtime/Tasks.js';
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
import type { TaskSupport, ToolExecution } from './tasks.js';
import { taskSupportOf } from './tasks.js';

/** A `tools/call` result as MCP defines it (content blocks, optional structured content). */
export interface CallToolResult {
  readonly content: readonly Readonly<Record<string, unknown>>[];
  readonly structuredContent?: Readonly<Record<string, unknown>>;
  readonly isError?: boolean;
  readonly [key: string]: unknown;
}

/** What a tool handler may return: a full result, or a string served as one text block. */
export type ToolReturn = CallToolResult | string;

/**
 * A tool's input schema: a zod 4 schema of an object (`z.object`, `z.strictObject`, or one piped
 * through `.transform`), or a raw shape of zod schemas (`{ a: z.number() }`).
 */
export type ToolInputSchema = z.ZodType<unknown, Record<string, unknown>> | z.ZodRawShape;

/** The arguments a handler receives for an input schema given as a zod object or a raw shape. */
export type ToolArguments<TSchema> = TSchema extends z.ZodType
  ? z.output<TSchema>
  : TSchema extends z.ZodRawShape
    ? z.output<z.ZodObject<TSchema>>
    : never;

export interface ToolDefinition<TSchema extends ToolInputSchema = z.ZodObject, TContext = unknown> {
  /**
   * 1 to 128 characters of `A–Z a–z 0–9 _ - .`, unique within the server (MCP 2025-11-25, "Tools" ›
   * "Tool names"); anything else is a `TypeError` at definition time.
   */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  /**
   * A zod 4 object schema, or a raw shape (`{ a: z.number() }`, read as `z.object(shape)`). Its
   * JSON Schema must have `"type": "object"`: `z.string()` or a union is a `TypeError`, and so is
   * a zod 3 schema. Omitted, the tool takes no arguments: it is advertised as an object schema
   * without properties, and a call that passes arguments gets an `isError` result naming them.
   * @default z.strictObject({})
   */
  readonly inputSchema?: TSchema;
  /**
   * The JSON Schema advertised in `tools/list` when the one derived from `inputSchema` will not do
   * (e.g. to keep `$defs` and `$ref` as written). Arguments are still validated with `inputSchema`.
   */
  readonly advertisedInputSchema?: Readonly<Record<string, unknown>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
  /**
   * Runs the tool. Return a string (one text block) or a `CallToolResult`. Throw a
   * {@link ToolError} to tell the model what went wrong; anything else it throws, or returns that
   * is not a `CallToolResult`, is answered with a generic `isError` result and reported to the
   * operator as `handlerError`.
   */
  readonly handler: (
    args: ToolArguments<TSchema>,
    context: HandlerContext<TContext>,
  ) => ToolReturn | Promise<ToolReturn>;
  /**
   * Whether the tool may or must run as a task of the tasks extension (SEP-2663) on MCP
   * 2026-07-28; see {@link ToolExecution}. Inside a task the handler has its usual context
   * (`ctx.signal` aborts on `tasks/cancel`); its `ctx.request` moves the task to `input_required`
   * and resolves with the client's `tasks/update` answer.
   * @default { taskSupport: 'forbidden' }
   */
  readonly execution?: ToolExecution;
  /**
   * A step run on the `tools/call` itself before the task is created (tools with
   * `execution.taskSupport` only): it may ask the client through `ctx.request` (multi-round-trip,
   * answered `input_required` until the client's retry carries the answers, SEP-2322), then returns
   * the arguments `handler` gets inside the task (SEP-2663, "Composition with Multi Round-Trip
   * Requests"). A call that runs as a plain call runs it too, just before `handler`. It fails as
   * `handler` does (a {@link ToolError} is an `isError` answer, and no task is created).
   */
  readonly beforeTask?: (
    args: ToolArguments<TSchema>,
    context: HandlerContext<TContext>,
  ) => ToolArguments<TSchema> | Promise<ToolArguments<TSchema>>;
}

/**
 * An error a tool reports to the model: the call is answered with a result whose `isError` is true
 * and whose one text block is the error's message (MCP, "Tools" › "Error Handling": tool execution
 * errors belong in the result, so the model can see them and correct itself). It is an expected
 * outcome, not a failure: no `handlerError` is emitted. Any other error a tool throws is answered
 * with a generic text (its message may hold internals: a query, a path, a token) and reported to
 * the operator as `handlerError`; an error that carries a JSON-RPC code (`SessionRuntimeError`, the
 * SDK's `McpError`) stays a JSON-RPC error.
 *
 * @example
 * ```ts
 * throw new ToolError('No city named "Atlantis"; give a city name such as "Rome"');
 * ```
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** The keys a tool definition may have. */
const toolKeys = [
  'name',
  'title',
  'description',
  'inputSchema',
  'advertisedInputSchema',
  'annotations',
  'handler',
  'execution',
  'beforeTask',
] as const;

/** Fields of MCP's `Tool` that a definition cannot carry yet: refused rather than silently dropped. */
const unservedToolFields = ['outputSchema', 'icons', '_meta'] as const;

/** MCP 2025-11-25, "Tools" › "Tool names" (SEP-986). */
const toolNamePattern = /^[A-Za-z0-9_.-]{1,128}$/;

/** A checked tool, ready to serve. */
interface CompiledTool<TContext> {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly listing: Readonly<Record<string, unknown>>;
  readonly handler: (args: unknown, context: HandlerContext<TContext>) => ToolReturn | Promise<ToolReturn>;
  readonly taskSupport: TaskSupport;
  readonly beforeTask: ((args: unknown, context: HandlerContext<TContext>) => unknown) | undefined;
}

/** Definitions already checked by `defineTool`, so that the runtime does not check them twice. */
const compiled = new WeakMap<object, CompiledTool<unknown>>();

function compileTool<TContext>(definition: unknown): CompiledTool<TContext> {
  const known = typeof definition === 'object' && definition !== null ? compiled.get(definition) : undefined;
  if (known !== undefined) return known as CompiledTool<TContext>;
  assertDefinitionObject(definition, 'tool');
  const tool = definition as Record<string, unknown>;
  const name = tool.name;
  if (typeof name !== 'string' || !toolNamePattern.test(name)) {
    throw new TypeError(
      `Expected a tool name of 1 to 128 characters of A-Z, a-z, 0-9, \`_\`, \`-\` and \`.\` (MCP 2025-11-25, "Tools" › "Tool names"), got ${describeClientValue(name)}`,
    );
  }
  const what = `tool \`${name}\``;
  rejectUnknownKeys(tool, toolKeys, what, unservedToolFields);
  assertFunction(tool.handler, `the \`handler\` of ${what}`);
  const taskSupport = taskSupportOf(tool.execution, what);
  if (tool.beforeTask !== undefined) assertFunction(tool.beforeTask, `the \`beforeTask\` of ${what}`);
  const where = `the \`inputSchema\` of ${what}`;
  const schema = objectSchemaOf(tool.inputSchema, where) ?? z.strictObject({});
  const derived = objectJsonSchemaOf(schema, where);
  const listing: Record<string, unknown> = { name };
  if (tool.title !== undefined) listing.title = tool.title;
  if (tool.description !== undefined) listing.description = tool.description;
  listing.inputSchema = tool.advertisedInputSchema ?? derived;
  if (tool.annotations !== undefined) listing.annotations = tool.annotations;
  assertMatches(ToolSchema, listing, `${what} as listed in \`tools/list\``);
  const result: CompiledTool<TContext> = {
    name,
    schema,
    listing,
    handler: tool.handler as CompiledTool<TContext>['handler'],
    taskSupport,
    beforeTask: tool.beforeTask as CompiledTool<TContext>['beforeTask'],
  };
  compiled.set(definition as object, result as CompiledTool<unknown>);
  return result;
}

/**
 * Declares a tool, checking it at once: a bad name, a misspelt key, a missing handler, or an input
 * schema that is not a zod 4 object schema throws a `TypeError` here, not when a client lists tools.
 * The function otherwise returns its argument, typed: `handler` gets its arguments' type from
 * `inputSchema`.
 *
 * @example
 * ```ts
 * const add = defineTool({
 *   name: 'add',
 *   description: 'Adds two numbers',
 *   inputSchema: z.object({ a: z.number(), b: z.number() }),
 *   handler: ({ a, b }) => String(a + b),
 * });
 * ```
 */
export function defineTool<
  TSchema extends ToolInputSchema = z.ZodObject<Record<never, never>>,
  TContext = unknown,
>(definition: ToolDefinition<TSchema, TContext>): ToolDefinition<TSchema, TContext> {
  compileTool(definition);
  return definition;
}

/** The text a model sees when a tool failed in a way the server does not disclose. */
function failedText(name: string): string {
  return `Tool \`${name}\` failed with an internal error. The server logged the details; retrying with the same arguments will likely fail again.`;
}

function textResult(text: string, isError: boolean): CallToolResult {
  return isError
    ? { content: [{ type: 'text', text }], isError: true }
    : { content: [{ type: 'text', text }] };
}

/**
 * What a tool returned, as a valid `CallToolResult`: a string becomes one text block, a result that
 * passes the official schema (with `content` present, as the specification requires, and
 * `structuredContent` an object) goes out as returned. Anything else (`undefined`, `{}`,
 * `{ content: 'text' }`, a number) is the tool's bug: a {@link HandlerFailure}.
 */
function toResult(name: string, value: unknown): CallToolResult {
  if (typeof value === 'string') return textResult(value, false);
  if (isRecord(value) && Array.isArray(value.content)) {
    const structured = value.structuredContent;
    if (structured === undefined || isRecord(structured)) {
      const parsed = CallToolResultSchema.safeParse(value);
      if (parsed.success) return value as CallToolResult;
      throw invalidResult(name, value, describeIssues(parsed.error, 3));
    }
    throw invalidResult(name, value, 'structuredContent: expected an object');
  }
  throw invalidResult(name, value, 'expected a string or an object with a `content` array');
}

function invalidResult(name: string, value: unknown, why: string): HandlerFailure {
  const error = new TypeError(
    `Tool \`${name}\` returned ${describeClientValue(value)}, which is not a CallToolResult (${why}); return a string or { content: [{ type: 'text', text }] }`,
  );
  return new HandlerFailure(error, textResult(failedText(name), true));
}

/** What `ctx.request` rejects with when the tool's own request to the client fails. */
const ownRequestFailures: ReadonlySet<string> = new Set([
  'client_capability_missing',
  'client_unreachable',
  'request_timeout',
  'request_cancelled',
]);

/**
 * A failure of the tool's own request to the client (`ctx.request`: no capability, no stream, timed
 * out, or the client's error answer) is the tool's failure, not this call's: answered as a protocol
 * error, it would tell the client that its `tools/call` timed out or was cancelled.
 */
function isOwnRequestFailure(error: unknown): boolean {
  return (
    error instanceof ClientRequestError ||
    (error instanceof SessionRuntimeError && ownRequestFailures.has(error.code))
  );
}

/**
 * The `x-mcp-header` declarations of each tool that has any (MCP 2026-07-28, SEP-2243): the
 * arguments a client mirrors in `Mcp-Param-*` headers, which the transport holds against the body.
 * Read once, from the schema each tool advertises.
 *
 * @throws TypeError naming the tool and property for an invalid declaration.
 */
export function paramHeadersOf(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, unknown>[],
): ReadonlyMap<string, readonly ParamHeaderDeclaration[]> {
  const headers = new Map<string, readonly ParamHeaderDeclaration[]>();
  for (const definition of tools) {
    const tool = compileTool(definition);
    let declarations: readonly ParamHeaderDeclaration[];
    try {
      declarations = paramHeaderDeclarations(tool.listing.inputSchema);
    } catch (error) {
      throw new TypeError(`The \`inputSchema\` of tool \`${tool.name}\`: ${(error as Error).message}`);
    }
    if (declarations.length > 0) headers.set(tool.name, declarations);
  }
  return headers;
}

/**
 * The tools that may run as tasks (the tasks extension, SEP-2663): `execution.taskSupport` other
 * than `forbidden`, by name, for the runtime.
 */
export function taskToolsOf(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, unknown>[],
): ReadonlyMap<string, TaskTool> {
  const tasked = new Map<string, TaskTool>();
  for (const definition of tools) {
    const tool = compileTool(definition);
    if (tool.taskSupport === 'forbidden') continue;
    tasked.set(tool.name, { taskSupport: tool.taskSupport, beforeTask: tool.beforeTask !== undefined });
  }
  return tasked;
}

/** Builds the `tools/list` and `tools/call` handlers for a set of tools. */
export function createToolHandlers<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, TContext>[],
): Record<'tools/list' | 'tools/call', RequestHandler<TContext>> {
  const checked = tools.map((tool) => compileTool<TContext>(tool));
  assertUnique(
    checked.map((tool) => tool.name),
    'tool names',
  );
  const byName = new Map(checked.map((tool) => [tool.name, tool]));
  const listing = { tools: checked.map((tool) => tool.listing) };

  const call: RequestHandler<TContext> = async (params, context) => {
    const name = params.name;
    const tool = typeof name === 'string' ? byName.get(name) : undefined;
    // Protocol errors: no such tool, or a request that breaks `CallToolRequest`.
    if (tool === undefined) {
      throw new SessionRuntimeError('invalid_params', `Unknown tool: ${describeClientValue(name)}`);
    }
    // Inside a task whose `beforeTask` step ran: the arguments it returned (tasks extension).
    const prepared = (params as Readonly<Record<PropertyKey, unknown>>)[TASK_ARGUMENTS] as
      | { readonly value: unknown }
      | undefined;
    let input: unknown;
    if (prepared !== undefined) input = prepared.value;
    else {
      const args = params.arguments === undefined ? {} : params.arguments;
      if (!isRecord(args)) {
        throw new SessionRuntimeError(
          'invalid_params',
          `Expected \`arguments\` to be an object, got ${describeClientValue(args)}`,
        );
      }
      // Tool execution errors from here on: the model sees what was wrong.
      const parsed = z.safeParse(tool.schema, args);
      if (!parsed.success) {
        return textResult(
          `Invalid arguments for tool \`${tool.name}\`:\n${describeIssues(parsed.error)}`,
          true,
        );
      }
      input = parsed.data;
    }
    let value: unknown;
    try {
      if (prepared === undefined && tool.beforeTask !== undefined)
        input = await tool.beforeTask(input, context);
      // Only the step before the task: the runtime creates the task with these arguments.
      if ((params as Readonly<Record<PropertyKey, unknown>>)[BEFORE_TASK] === true) {
        return { [TASK_ARGUMENTS]: { value: input } } as unknown as CallToolResult;
      }
      value = await tool.handler(input, context);
    } catch (error) {
      if (error instanceof ToolError) return textResult(error.message, true);
      // A protocol error only when its author chose one: a code of JSON-RPC's reserved range (the
      // SDK's McpError, e.g. -32042). Other libraries' errors carry codes of their own (gRPC's 14,
      // HTTP statuses) with messages that may hold hosts, queries or credentials.
      const coded = jsonRpcErrorOf(error);
      if (isOwnRequestFailure(error)) {
        // Its text is the runtime's own (or the client's answer), safe to show, and tells the model
        // why, e.g. that this client cannot be asked for sampling.
        const why = (error as Error).message;
        throw new HandlerFailure(
          error,
          textResult(`Tool \`${tool.name}\` could not ask the client: ${why}`, true),
        );
      }
      if (coded !== undefined && isReservedErrorCode(coded.code)) throw error;
      throw new HandlerFailure(error, textResult(failedText(tool.name), true));
    }
    return toResult(tool.name, value);
  };

  const list: RequestHandler<TContext> = (params) => {
    refuseUnissuedCursor(params);
    return listing;
  };
  return { 'tools/list': list, 'tools/call': call };
}
