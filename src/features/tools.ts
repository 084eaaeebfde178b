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
import type {
  HandleCallContext,
  HandleKindConfig,
  HandleRefusal,
  ReachableHandle,
} from '../runtime/handleAccess.js';
import { HandleStoreError } from '../runtime/handleStore.js';
import { handleAccessOf } from '../runtime/StateHandle.js';
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
import type { HandleKind } from './handles.js';
import { describeLifetime, principalOf, shortId, tooManyHandles } from './handles.js';
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

/** The handle state type of a tool that neither takes nor opens a handle (a marker, never a value). */
export interface NoHandle {
  readonly 'mcp-session-runtime/no-handle': true;
}

/**
 * The context a tool's handler gets: the request's, plus `handle` (the state handle it runs on)
 * when the tool takes or opens one.
 */
export type ToolContext<TContext, THandleState> = [THandleState] extends [NoHandle]
  ? HandlerContext<TContext>
  : HandleCallContext<TContext, THandleState>;

export interface ToolDefinition<
  TSchema extends ToolInputSchema = z.ZodObject,
  TContext = unknown,
  THandleState = NoHandle,
> {
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
   * The tool runs on a state handle of this kind (SEP-2567): its `inputSchema` must have the kind's
   * id argument (`kind.idSchema`). The call runs on that handle's actor, after the calls on it
   * accepted before, never beside another; `ctx.handle` is the handle. An unknown or expired id, or
   * another principal's, is a tool execution error telling the model to create a new handle.
   */
  readonly handle?: HandleKind<THandleState, TContext>;
  /**
   * The tool creates a state handle of this kind: the runtime mints it (bound to the caller's
   * principal), runs the kind's `create` and then the handler on it (`ctx.handle`), and returns its
   * id under the kind's argument name in `structuredContent` (and as a text block, unless the
   * result's text holds it already). A handler that fails or answers `isError` leaves no handle.
   * The handle's lifetime is added to the tool's description.
   */
  readonly opens?: HandleKind<THandleState, TContext>;
  /**
   * `true`: the tool's calls interleave (Orleans' `[AlwaysInterleave]`): they start at once beside
   * whatever the session runs, instead of waiting their turn in its FIFO, and hold none of its
   * `maxConcurrentRequests` slots (`mailboxCapacity` bounds how many run at once). For fast
   * read-only tools that must not wait behind a slow call; the tool must then be safe to run beside
   * any other handler of the session. `false` keeps it in order even under the runtime's
   * `interleaveReadOnlyTools`. A tool on a state handle still runs one call at a time on that handle.
   * @default in order (or `annotations.readOnlyHint` under `interleaveReadOnlyTools`)
   */
  readonly interleave?: boolean;
  /**
   * Runs the tool. Return a string (one text block) or a `CallToolResult`. Throw a
   * {@link ToolError} to tell the model what went wrong; anything else it throws, or returns that
   * is not a `CallToolResult`, is answered with a generic `isError` result and reported to the
   * operator as `handlerError`.
   */
  readonly handler: (
    args: ToolArguments<TSchema>,
    context: ToolContext<TContext, THandleState>,
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
  'handle',
  'opens',
  'interleave',
  'handler',
  'execution',
  'beforeTask',
] as const;

/** Fields of MCP's `Tool` that a definition cannot carry yet: refused rather than silently dropped. */
const unservedToolFields = ['outputSchema', 'icons', '_meta'] as const;

/** MCP 2025-11-25, "Tools" › "Tool names" (SEP-986). */
const toolNamePattern = /^[A-Za-z0-9_.-]{1,128}$/;

/** How a tool uses a state handle: it runs on one (`takes`) or creates one (`opens`). */
interface HandleBinding {
  readonly kind: HandleKind<unknown, unknown>;
  readonly role: 'takes' | 'opens';
}

/** A checked tool, ready to serve. */
interface CompiledTool<TContext> {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly listing: Readonly<Record<string, unknown>>;
  readonly handler: (args: unknown, context: HandlerContext<TContext>) => ToolReturn | Promise<ToolReturn>;
  readonly binding: HandleBinding | undefined;
  /** `interleave` as given: `undefined` when the tool did not say. */
  readonly interleave: boolean | undefined;
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
  const binding = bindingOf(tool, what, listing.inputSchema as Record<string, unknown>);
  if (binding !== undefined && taskSupport !== 'forbidden') {
    throw new TypeError(
      `Expected ${what} to run on a state handle or as a task, not both: a task outlives the call that would hold the handle`,
    );
  }
  const result: CompiledTool<TContext> = {
    name,
    schema,
    listing,
    handler: tool.handler as CompiledTool<TContext>['handler'],
    binding,
    interleave: interleaveOf(tool.interleave, what),
    taskSupport,
    beforeTask: tool.beforeTask as CompiledTool<TContext>['beforeTask'],
  };
  compiled.set(definition as object, result as CompiledTool<unknown>);
  return result;
}

function interleaveOf(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(
    `Expected the \`interleave\` of ${what} to be a boolean, got ${describeClientValue(value)}`,
  );
}

/**
 * Which `tools/call` requests interleave (see {@link ToolDefinition.interleave}): a predicate for
 * the runtime's mailboxes, or `undefined` when no tool does (the mailboxes then skip the check).
 * `readOnly`: tools annotated `readOnlyHint: true` interleave unless they say `interleave: false`.
 */
export function interleavingOf(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, unknown, any>[],
  readOnly: boolean,
): ((method: string, params: Readonly<Record<string, unknown>>) => boolean) | undefined {
  const names = new Set<unknown>();
  for (const definition of tools) {
    const tool = compileTool(definition);
    const annotations = tool.listing.annotations as Readonly<Record<string, unknown>> | undefined;
    if (tool.interleave ?? (readOnly && annotations?.readOnlyHint === true)) names.add(tool.name);
  }
  if (names.size === 0) return undefined;
  return (method, params) => method === 'tools/call' && names.has(params.name);
}

/** The tool's use of a state handle, checked: one role at most, and the id argument where it is needed. */
function bindingOf(
  tool: Record<string, unknown>,
  what: string,
  inputSchema: Record<string, unknown>,
): HandleBinding | undefined {
  const { handle, opens } = tool;
  if (handle !== undefined && opens !== undefined) {
    throw new TypeError(`Expected ${what} to have \`handle\` or \`opens\`, not both`);
  }
  const kind = handle ?? opens;
  if (kind === undefined) return undefined;
  if (!isHandleKind(kind)) {
    throw new TypeError(
      `Expected the \`${handle === undefined ? 'opens' : 'handle'}\` of ${what} to be a kind from defineHandle(), got ${describeClientValue(kind)}`,
    );
  }
  if (handle !== undefined) {
    const properties = isRecord(inputSchema.properties) ? inputSchema.properties : {};
    const required = Array.isArray(inputSchema.required) ? inputSchema.required : [];
    if (!(kind.argument in properties) || !required.includes(kind.argument)) {
      throw new TypeError(
        `Expected the \`inputSchema\` of ${what} to have a required \`${kind.argument}\` property (the \`${kind.name}\` handle id): add \`${kind.argument}: ${kind.name}.idSchema\``,
      );
    }
    return { kind, role: 'takes' };
  }
  return { kind, role: 'opens' };
}

function isHandleKind(value: unknown): value is HandleKind<unknown, unknown> {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.argument === 'string' &&
    isRecord(value.config) &&
    value.idSchema instanceof z.ZodString
  );
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
  THandleState = NoHandle,
>(
  definition: ToolDefinition<TSchema, TContext, THandleState>,
): ToolDefinition<TSchema, TContext, THandleState> {
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
  tools: readonly ToolDefinition<any, unknown, any>[],
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
 * A tool that opens a handle is listed with the handle's lifetime and the tools that take it
 * (SEP-2567 guidance: state the lifetime in the creating tool's description).
 */
function listingWithLifetime<TContext>(
  tool: CompiledTool<TContext>,
  tools: readonly CompiledTool<TContext>[],
): Readonly<Record<string, unknown>> {
  const { binding } = tool;
  if (binding?.role !== 'opens') return tool.listing;
  const { kind } = binding;
  const takers = tools
    .filter((other) => other.binding?.role === 'takes' && other.binding.kind.name === kind.name)
    .map((other) => `\`${other.name}\``);
  const passTo = takers.length === 0 ? '' : ` (pass it to ${takers.join(', ')})`;
  const lifetime =
    kind.config.idleTimeoutMs === Number.POSITIVE_INFINITY
      ? 'it lasts until it is closed or the server restarts.'
      : `it expires after ${describeLifetime(kind.config.idleTimeoutMs)} without use.`;
  const note = `Returns \`${kind.argument}\`, a \`${kind.name}\` handle${passTo}; ${lifetime}`;
  const description =
    typeof tool.listing.description === 'string' ? `${tool.listing.description}\n\n${note}` : note;
  return { ...tool.listing, description };
}

/**
 * What the model is told when it passes an id that names no live handle it may reach: the tools
 * that open one (`openers`, as listed), or the kind when none of this server's does.
 */
function unknownHandleText(
  kind: HandleKind<unknown, unknown>,
  id: unknown,
  openers: readonly string[],
): string {
  const how =
    openers.length === 0
      ? `a tool that opens a \`${kind.name}\` handle`
      : openers.map((name) => `\`${name}\``).join(' or ');
  return `Unknown or expired \`${kind.name}\` handle ${shortId(id)}: it may have expired after ${describeLifetime(kind.config.idleTimeoutMs)} without use, or been closed. Create a new one with ${how}, then retry with its \`${kind.argument}\`.`;
}

/** What the model is told when it holds as many handles of `kind` as it may. */
function tooManyPerPrincipalText(kind: HandleKind<unknown, unknown>): string {
  return `You already hold ${kind.config.maxPerPrincipal} open \`${kind.name}\` handles, the most allowed. Finish with one (it expires after ${describeLifetime(kind.config.idleTimeoutMs)} without use) before creating another.`;
}

/**
 * The opening tool's result with the new handle's id: in `structuredContent` under the kind's
 * argument name, and as a JSON text block unless a text block holds the id already (clients that
 * show the model only `content` still pass it on).
 */
function withHandleId(result: CallToolResult, argument: string, id: string): CallToolResult {
  const structuredContent = { ...(result.structuredContent ?? {}), [argument]: id };
  const mentioned = result.content.some(
    (block) => block.type === 'text' && typeof block.text === 'string' && block.text.includes(id),
  );
  const content = mentioned
    ? result.content
    : [...result.content, { type: 'text', text: JSON.stringify({ [argument]: id }) }];
  return { ...result, content, structuredContent };
}

/** The handle kinds the tools take or open, each once, as the runtime serves them. */
export function handleKindsOf(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, unknown, any>[],
): readonly HandleKindConfig[] {
  const kinds = new Map<string, HandleKind<unknown, unknown>>();
  for (const definition of tools) {
    const binding = compileTool(definition).binding;
    if (binding === undefined) continue;
    const known = kinds.get(binding.kind.name);
    if (known !== undefined && known !== binding.kind) {
      throw new TypeError(
        `Two different handle kinds are named \`${binding.kind.name}\`; declare each kind once with defineHandle() and share it`,
      );
    }
    kinds.set(binding.kind.name, binding.kind);
  }
  return [...kinds.values()].map((kind) => kind.config);
}

/**
 * For each tool that takes a state handle (`handle: kind`), the name of its handle id argument
 * (`kind.argument`), by tool name: what a cluster routes such a call by.
 */
export function handleArgumentsOf(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, unknown, any>[],
): ReadonlyMap<string, string> {
  const arguments_ = new Map<string, string>();
  for (const definition of tools) {
    const tool = compileTool(definition);
    if (tool.binding?.role === 'takes') arguments_.set(tool.name, tool.binding.kind.argument);
  }
  return arguments_;
}

/**
 * The tools that may run as tasks (the tasks extension, SEP-2663): `execution.taskSupport` other
 * than `forbidden`, by name, for the runtime.
 */
export function taskToolsOf(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, unknown, any>[],
): ReadonlyMap<string, TaskTool> {
  const tasked = new Map<string, TaskTool>();
  for (const definition of tools) {
    const tool = compileTool(definition);
    if (tool.taskSupport === 'forbidden') continue;
    tasked.set(tool.name, { taskSupport: tool.taskSupport, beforeTask: tool.beforeTask !== undefined });
  }
  return tasked;
}

/** Where a call of a tool that may run as a task stands (see `runTool`). */
interface TaskStep {
  readonly prepared: { readonly value: unknown } | undefined;
  readonly beforeTaskOnly: boolean;
}

const NO_TASK_STEP: TaskStep = { prepared: undefined, beforeTaskOnly: false };

/** Builds the `tools/list` and `tools/call` handlers for a set of tools. */
export function createToolHandlers<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, TContext, any>[],
): Record<'tools/list' | 'tools/call', RequestHandler<TContext>> {
  const checked = tools.map((tool) => compileTool<TContext>(tool));
  assertUnique(
    checked.map((tool) => tool.name),
    'tool names',
  );
  const byName = new Map(checked.map((tool) => [tool.name, tool]));
  /** The tools that open each kind of handle, for the model's "unknown or expired" answer. */
  const openersOf = (kind: HandleKind<unknown, unknown>): readonly string[] =>
    checked
      .filter((tool) => tool.binding?.role === 'opens' && tool.binding.kind.name === kind.name)
      .map((tool) => tool.name);
  const listing = { tools: checked.map((tool) => listingWithLifetime(tool, checked)) };

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
    const { binding } = tool;
    if (binding === undefined) {
      const beforeTaskOnly = (params as Readonly<Record<PropertyKey, unknown>>)[BEFORE_TASK] === true;
      return runTool(tool, input, context, { prepared, beforeTaskOnly });
    }
    // A tool on a handle never runs as a task (refused when it is defined): its arguments are the call's.
    const args = params.arguments as Readonly<Record<string, unknown>>;
    return binding.role === 'takes'
      ? callOnHandle(tool, binding.kind, args, input, context)
      : openHandle(tool, binding.kind, input, context);
  };

  /** A tool that takes a handle: its handler runs on the handle's actor, in its FIFO. */
  const callOnHandle = async (
    tool: CompiledTool<TContext>,
    kind: HandleKind<unknown, unknown>,
    args: Readonly<Record<string, unknown>>,
    data: unknown,
    context: HandlerContext<TContext>,
  ): Promise<CallToolResult> => {
    const handles = handleAccessOf(context);
    // The id as the client sent it (the schema may have transformed the parsed arguments).
    const id = args[kind.argument];
    let handle: ReachableHandle | HandleRefusal | HandleStoreError | 'held_elsewhere' | undefined =
      handles === undefined || typeof id !== 'string'
        ? undefined
        : handles.reach(kind.name, id, principalOf(context));
    // Not live here: a kind with a store revives it from its record (a restart, a dead owner).
    if (
      handle === undefined &&
      kind.config.store !== undefined &&
      handles !== undefined &&
      typeof id === 'string'
    )
      handle = await handles.revive(kind.name, id, principalOf(context));
    if (handle === undefined) return textResult(unknownHandleText(kind, id, openersOf(kind)), true);
    if (handle === 'held_elsewhere') {
      // Its record is the caller's, but another instance still holds the id: most often an owner
      // that just died, whose lease lapses within the cluster's ttl. Not "unknown": the state is kept.
      return textResult(
        `The \`${kind.name}\` handle ${shortId(id)} is held by another instance of this server right now (it may have just stopped). Retry in a few seconds; its state is kept.`,
        true,
      );
    }
    if (handle instanceof HandleStoreError) {
      return textResult(
        `The \`${kind.name}\` handle ${shortId(id)} could not be loaded right now. Retry in a moment.`,
        true,
      );
    }
    if (handle === 'too_many_per_principal') return textResult(tooManyPerPrincipalText(kind), true);
    if (handle === 'overloaded') throw tooManyHandles(kind);
    if (handle === 'shutting_down') throw new SessionRuntimeError('shutting_down');
    const outcome = await handle.call(context, (onHandle) =>
      runTool(tool, data, onHandle as unknown as HandlerContext<TContext>),
    );
    if (outcome.ok) return outcome.value;
    if (outcome.error instanceof HandleStoreError) {
      throw new HandlerFailure(
        outcome.error,
        textResult(
          `Tool \`${tool.name}\` ran, but the \`${kind.name}\` handle's state could not be saved: the change may not be kept. Check the handle's state before relying on it.`,
          true,
        ),
      );
    }
    if (outcome.refused && (outcome.error as SessionRuntimeError).code === 'session_closed') {
      // The handle stopped while the call waited for it (closed by an earlier call, or expired).
      return textResult(unknownHandleText(kind, id, openersOf(kind)), true);
    }
    throw outcome.error;
  };

  /** A tool that opens a handle: mint it, create its state and run the handler on it. */
  const openHandle = async (
    tool: CompiledTool<TContext>,
    kind: HandleKind<unknown, unknown>,
    data: unknown,
    context: HandlerContext<TContext>,
  ): Promise<CallToolResult> => {
    const handles = handleAccessOf(context);
    if (handles === undefined) {
      throw new HandlerFailure(
        new TypeError('State handles are served only through a runtime'),
        textResult(failedText(tool.name), true),
      );
    }
    // In a cluster the id is claimed first: its result is what reveals the id.
    const handle = await handles.open(kind.name, principalOf(context));
    if (handle === 'too_many_per_principal') return textResult(tooManyPerPrincipalText(kind), true);
    if (handle === 'overloaded') throw tooManyHandles(kind);
    if (handle === 'shutting_down') throw new SessionRuntimeError('shutting_down');
    const outcome = await handle.call(context, async (onHandle) => {
      if (kind.create !== undefined) {
        const args = isRecord(data) ? data : {};
        try {
          onHandle.handle.state = await kind.create(args, onHandle);
        } catch (error) {
          // The kind's `create` fails as the tool would: a ToolError is the model's to read.
          onHandle.handle.close();
          if (error instanceof ToolError) return textResult(error.message, true);
          throw new HandlerFailure(error, textResult(failedText(tool.name), true));
        }
      }
      // A failed creation is closed before its slot ends, so that a store never saves it.
      let result: CallToolResult;
      try {
        result = await runTool(tool, data, onHandle as unknown as HandlerContext<TContext>);
      } catch (error) {
        onHandle.handle.close();
        throw error;
      }
      if (result.isError === true) onHandle.handle.close();
      return result;
    });
    if (!outcome.ok) {
      handle.remove();
      if (outcome.error instanceof HandleStoreError) {
        throw new HandlerFailure(
          outcome.error,
          textResult(
            `Tool \`${tool.name}\` could not create a \`${kind.name}\` handle: its state could not be saved. Retry in a moment.`,
            true,
          ),
        );
      }
      throw outcome.error;
    }
    // A failed creation leaves no handle: its id is never returned, so nothing could reach it.
    if (outcome.value.isError === true) {
      handle.remove();
      return outcome.value;
    }
    return withHandleId(outcome.value, kind.argument, handle.key);
  };

  /**
   * Runs the tool's handler; what it throws or returns becomes a `CallToolResult` or a protocol
   * error. `step`: for a tool that may run as a task, the arguments its `beforeTask` step prepared
   * (inside the task), or that only that step is to run (before the task exists).
   */
  const runTool = async (
    tool: CompiledTool<TContext>,
    input: unknown,
    context: HandlerContext<TContext>,
    step: TaskStep = NO_TASK_STEP,
  ): Promise<CallToolResult> => {
    let data = input;
    let value: unknown;
    try {
      if (step.prepared === undefined && tool.beforeTask !== undefined)
        data = await tool.beforeTask(data, context);
      // Only the step before the task: the runtime creates the task with these arguments.
      if (step.beforeTaskOnly) return { [TASK_ARGUMENTS]: { value: data } } as unknown as CallToolResult;
      value = await tool.handler(data, context);
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
