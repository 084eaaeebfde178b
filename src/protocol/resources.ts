/**
 * Resources (MCP, "Resources"): static URIs and URI templates, served as `resources/list`,
 * `resources/templates/list` and `resources/read`. Subscriptions are per session and live in the
 * runtime (`src/runtime/Subscriptions.ts`).
 */
import type { HandlerContext, RequestHandler } from '../runtime/types.js';
import { SessionRuntimeError } from './errors.js';
import { refuseUnissuedCursor } from './pagination.js';

/** One entry of a `resources/read` result. */
export interface ResourceContents {
  readonly uri: string;
  readonly mimeType?: string;
  readonly text?: string;
  /** Base64. */
  readonly blob?: string;
  readonly [key: string]: unknown;
}

/** What a read function may return: full contents, or a string served as one text entry. */
export type ResourceReturn = string | { readonly contents: readonly ResourceContents[] };

interface ResourceMetadata {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
  readonly annotations?: Readonly<Record<string, unknown>>;
}

export interface ResourceDefinition<TContext = unknown> extends ResourceMetadata {
  readonly uri: string;
  readonly size?: number;
  readonly read: (uri: string, context: HandlerContext<TContext>) => ResourceReturn | Promise<ResourceReturn>;
}

/** Completes one template variable or prompt argument from what the user typed so far. */
export type Completer = (
  value: string,
  context: { readonly arguments: Readonly<Record<string, string>> },
) => readonly string[] | Promise<readonly string[]>;

export interface ResourceTemplateDefinition<TContext = unknown> extends ResourceMetadata {
  /** An RFC 6570 template with simple `{name}` (one path segment) or `{+name}` (anything) variables. */
  readonly uriTemplate: string;
  readonly read: (
    uri: string,
    variables: Readonly<Record<string, string>>,
    context: HandlerContext<TContext>,
  ) => ResourceReturn | Promise<ResourceReturn>;
  /** Completers by variable name, for `completion/complete`. */
  readonly complete?: Readonly<Record<string, Completer>>;
}

/**
 * Declares a resource at a fixed URI.
 *
 * @example
 * ```ts
 * defineResource({ uri: 'config://app', name: 'App config', mimeType: 'application/json', read: () => '{}' });
 * ```
 */
export function defineResource<TContext = unknown>(
  definition: ResourceDefinition<TContext>,
): ResourceDefinition<TContext> {
  return definition;
}

/**
 * Declares a family of resources behind a URI template.
 *
 * @example
 * ```ts
 * defineResourceTemplate({
 *   uriTemplate: 'users://{id}/profile',
 *   name: 'User profile',
 *   read: (uri, { id }) => JSON.stringify({ id }),
 * });
 * ```
 */
export function defineResourceTemplate<TContext = unknown>(
  definition: ResourceTemplateDefinition<TContext>,
): ResourceTemplateDefinition<TContext> {
  return definition;
}

/** A compiled URI template: matches a URI and reads its variables. @internal */
export interface UriMatcher {
  match(uri: string): Record<string, string> | undefined;
}

/** Compiles `{name}` and `{+name}` variables; everything else must match literally. */
export function compileUriTemplate(template: string): UriMatcher {
  const names: string[] = [];
  let pattern = '';
  let last = 0;
  for (const found of template.matchAll(/\{(\+?)([A-Za-z0-9_]+)\}/g)) {
    pattern += escapeRegExp(template.slice(last, found.index));
    pattern += found[1] === '+' ? '(.+)' : '([^/?#]+)';
    names.push(found[2] as string);
    last = (found.index ?? 0) + found[0].length;
  }
  pattern += escapeRegExp(template.slice(last));
  const regex = new RegExp(`^${pattern}$`);
  return {
    match(uri) {
      const groups = regex.exec(uri);
      if (groups === null) return undefined;
      const variables: Record<string, string> = {};
      for (const [index, name] of names.entries()) {
        const raw = groups[index + 1] as string;
        try {
          variables[name] = decodeURIComponent(raw);
        } catch {
          return undefined; // malformed percent-encoding: this URI is not one of ours
        }
      }
      return variables;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function metadataOf(definition: ResourceMetadata): Record<string, unknown> {
  const entry: Record<string, unknown> = { name: definition.name };
  if (definition.title !== undefined) entry.title = definition.title;
  if (definition.description !== undefined) entry.description = definition.description;
  if (definition.mimeType !== undefined) entry.mimeType = definition.mimeType;
  if (definition.annotations !== undefined) entry.annotations = definition.annotations;
  return entry;
}

function toReadResult(uri: string, mimeType: string | undefined, value: ResourceReturn) {
  if (typeof value !== 'string') return value;
  return { contents: [mimeType === undefined ? { uri, text: value } : { uri, mimeType, text: value }] };
}

/** Builds the resource handlers; `find` is shared with `completion/complete`. */
export function createResourceHandlers<TContext>(
  resources: readonly ResourceDefinition<TContext>[],
  templates: readonly ResourceTemplateDefinition<TContext>[],
): Record<'resources/list' | 'resources/templates/list' | 'resources/read', RequestHandler<TContext>> {
  const byUri = new Map(resources.map((resource) => [resource.uri, resource]));
  const compiled = templates.map((template) => ({
    template,
    matcher: compileUriTemplate(template.uriTemplate),
  }));
  const listing = {
    resources: resources.map((resource) => ({
      uri: resource.uri,
      ...metadataOf(resource),
      ...(resource.size === undefined ? {} : { size: resource.size }),
    })),
  };
  const templateListing = {
    resourceTemplates: templates.map((template) => ({
      uriTemplate: template.uriTemplate,
      ...metadataOf(template),
    })),
  };

  const read: RequestHandler<TContext> = async (params, context) => {
    const uri = params.uri;
    if (typeof uri !== 'string')
      throw new SessionRuntimeError('invalid_params', 'Expected `uri` to be a string');
    const resource = byUri.get(uri);
    if (resource !== undefined)
      return toReadResult(uri, resource.mimeType, await resource.read(uri, context));
    for (const { template, matcher } of compiled) {
      const variables = matcher.match(uri);
      if (variables !== undefined) {
        return toReadResult(uri, template.mimeType, await template.read(uri, variables, context));
      }
    }
    throw new SessionRuntimeError('resource_not_found', `Resource not found: ${uri}`, { uri });
  };

  return {
    'resources/list': (params) => {
      refuseUnissuedCursor(params);
      return listing;
    },
    'resources/templates/list': (params) => {
      refuseUnissuedCursor(params);
      return templateListing;
    },
    'resources/read': read,
  };
}
