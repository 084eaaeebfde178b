/**
 * Tools: `defineTool` with a zod input schema, served as `tools/list` (JSON Schema derived from zod,
 * computed once) and `tools/call` (arguments validated before the handler runs).
 */
import { z } from 'zod';
import type { HandlerContext, RequestHandler } from '../runtime/types.js';
import { describeClientValue, SessionRuntimeError } from './errors.js';
import { refuseUnissuedCursor } from './pagination.js';

/** A `tools/call` result as MCP defines it (content blocks, optional structured content). */
export interface CallToolResult {
  readonly content: readonly Readonly<Record<string, unknown>>[];
  readonly structuredContent?: Readonly<Record<string, unknown>>;
  readonly isError?: boolean;
  readonly [key: string]: unknown;
}

/** What a tool handler may return: a full result, or a string served as one text block. */
export type ToolReturn = CallToolResult | string;

export interface ToolDefinition<TSchema extends z.ZodObject = z.ZodObject, TContext = unknown> {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: TSchema;
  /**
   * The JSON Schema advertised in `tools/list` when the one derived from `inputSchema` will not do
   * (e.g. to keep `$defs` and `$ref` as written). Arguments are still validated with `inputSchema`.
   */
  readonly advertisedInputSchema?: Readonly<Record<string, unknown>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
  readonly handler: (
    args: z.output<TSchema>,
    context: HandlerContext<TContext>,
  ) => ToolReturn | Promise<ToolReturn>;
}

/**
 * An error a tool reports to the model as a result with `isError: true` (MCP, "Error Handling":
 * tool execution errors belong in the result). Any other error thrown by a tool becomes a -32603
 * "Internal error" whose detail stays on the server.
 *
 * @example
 * ```ts
 * throw new ToolError('The city was not found');
 * ```
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/**
 * Declares a tool. The identity function gives `handler` its argument type from `inputSchema`.
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
export function defineTool<TSchema extends z.ZodObject, TContext = unknown>(
  definition: ToolDefinition<TSchema, TContext>,
): ToolDefinition<TSchema, TContext> {
  return definition;
}

function toResult(value: ToolReturn): CallToolResult {
  return typeof value === 'string' ? { content: [{ type: 'text', text: value }] } : value;
}

/** Builds the `tools/list` and `tools/call` handlers for a set of tools. */
export function createToolHandlers<TContext>(
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  tools: readonly ToolDefinition<any, TContext>[],
): Record<'tools/list' | 'tools/call', RequestHandler<TContext>> {
  const byName = new Map<string, ToolDefinition<z.ZodObject, TContext>>();
  for (const tool of tools) {
    if (byName.has(tool.name))
      throw new TypeError(`Expected tool names to be unique, got \`${tool.name}\` twice`);
    byName.set(tool.name, tool);
  }
  const listing = {
    tools: tools.map((tool) => {
      const entry: Record<string, unknown> = {
        name: tool.name,
        inputSchema: tool.advertisedInputSchema ?? z.toJSONSchema(tool.inputSchema, { io: 'input' }),
      };
      if (tool.title !== undefined) entry.title = tool.title;
      if (tool.description !== undefined) entry.description = tool.description;
      if (tool.annotations !== undefined) entry.annotations = tool.annotations;
      return entry;
    }),
  };

  const call: RequestHandler<TContext> = async (params, context) => {
    const name = params.name;
    const tool = typeof name === 'string' ? byName.get(name) : undefined;
    if (tool === undefined) {
      throw new SessionRuntimeError('invalid_params', `Unknown tool: ${describeClientValue(name)}`);
    }
    const parsed = tool.inputSchema.safeParse(params.arguments ?? {});
    if (!parsed.success) {
      throw new SessionRuntimeError('invalid_params', `Invalid arguments for tool ${tool.name}`, {
        issues: parsed.error.issues
          .slice(0, 10)
          .map((issue) => ({ path: issue.path, message: issue.message })),
      });
    }
    try {
      return toResult(await tool.handler(parsed.data, context));
    } catch (error) {
      if (error instanceof ToolError) {
        return { content: [{ type: 'text', text: error.message }], isError: true };
      }
      throw error;
    }
  };

  const list: RequestHandler<TContext> = (params) => {
    refuseUnissuedCursor(params);
    return listing;
  };
  return { 'tools/list': list, 'tools/call': call };
}
