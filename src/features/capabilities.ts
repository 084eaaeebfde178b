/**
 * What the registered features serve: the method → handler map built from tools, resources,
 * prompts and completion, and the capabilities that follow from it (MCP 2025-11-25, "Lifecycle ›
 * Capability Negotiation").
 */
import type { RequestHandler } from '../runtime/types.js';
import type { PromptDefinition } from './prompts.js';
import { createCompletionHandler, createPromptHandlers } from './prompts.js';
import type { ResourceDefinition, ResourceTemplateDefinition } from './resources.js';
import { createResourceHandlers } from './resources.js';
import type { ToolDefinition } from './tools.js';
import { createToolHandlers } from './tools.js';

/** What a server registers. */
export interface Features<TContext> {
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  readonly tools: readonly ToolDefinition<any, TContext, any>[];
  readonly resources: readonly ResourceDefinition<TContext>[];
  readonly resourceTemplates: readonly ResourceTemplateDefinition<TContext>[];
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  readonly prompts: readonly PromptDefinition<any, TContext>[];
  /** The user's own handlers, by method; they win over the built-in ones. */
  readonly handlers: Readonly<Record<string, RequestHandler<TContext>>>;
}

/** Built-in handlers for what is registered, then the user's own handlers over them. */
export function buildHandlers<TContext>(options: Features<TContext>): Map<string, RequestHandler<unknown>> {
  const built: Record<string, RequestHandler<TContext>>[] = [];
  if (options.tools.length > 0) built.push(createToolHandlers(options.tools));
  if (hasResources(options)) built.push(createResourceHandlers(options.resources, options.resourceTemplates));
  if (options.prompts.length > 0) built.push(createPromptHandlers(options.prompts));
  if (options.prompts.length > 0 || options.resourceTemplates.length > 0) {
    built.push({
      'completion/complete': createCompletionHandler(options.prompts, options.resourceTemplates),
    });
  }
  built.push(options.handlers);
  const handlers = new Map<string, RequestHandler<unknown>>();
  for (const group of built) {
    for (const [method, handler] of Object.entries(group))
      handlers.set(method, handler as RequestHandler<unknown>);
  }
  return handlers;
}

export function hasResources<TContext>(options: Features<TContext>): boolean {
  return options.resources.length > 0 || options.resourceTemplates.length > 0;
}

/** Capabilities follow from what is registered; the user's `capabilities` option is merged over them. */
export function deriveCapabilities(
  handlers: ReadonlyMap<string, unknown>,
  logging: boolean,
  explicit: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const derived: Record<string, unknown> = {};
  const has = (prefix: string) => [...handlers.keys()].some((method) => method.startsWith(prefix));
  if (has('tools/')) derived.tools = {};
  if (has('resources/')) derived.resources = { subscribe: true };
  if (has('prompts/')) derived.prompts = {};
  if (logging || has('logging/')) derived.logging = {};
  if (has('completion/')) derived.completions = {};
  return { ...derived, ...explicit };
}
