/**
 * Resources (MCP, "Resources"): static URIs and URI templates, served as `resources/list`,
 * `resources/templates/list` and `resources/read`. Subscriptions are per session and live in the
 * runtime (`src/runtime/Subscriptions.ts`).
 */
import { ReadResourceResultSchema, ResourceSchema, ResourceTemplateSchema } from '@modelcontextprotocol/core';
import { unknownKeyMessage } from '../protocol/closestName.js';
import { describeClientValue, SessionRuntimeError } from '../protocol/errors.js';
import { describeIssues } from '../protocol/issues.js';
import type { HandlerContext, RequestHandler } from '../runtime/types.js';
import {
  assertDefinitionObject,
  assertFunction,
  assertMatches,
  assertUnique,
  rejectUnknownKeys,
} from './definitions.js';
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

/**
 * How long a client may reuse what `resources/read` returned and for whom (MCP 2026-07-28,
 * SEP-2549: `ttlMs` in ms, a non-negative integer; `cacheScope` `public` or `private`). Without it
 * the runtime's `cacheHints['resources/read']` applies, else `{ ttlMs: 0, cacheScope: 'private' }`.
 */
export interface ResourceCacheHint {
  readonly ttlMs: number;
  readonly cacheScope: 'public' | 'private';
}

interface ResourceMetadata {
  /** Cache hint of this resource's reads (2026-07-28 clients). */
  readonly cacheHint?: ResourceCacheHint;
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
  checkResource(definition);
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
  checkResourceTemplate(definition);
  return definition;
}

const metadataKeys = ['name', 'title', 'description', 'mimeType', 'annotations', 'cacheHint'] as const;

/** Throws a `TypeError` unless `hint` is absent or a valid {@link ResourceCacheHint}. */
function checkCacheHint(hint: unknown, what: string): void {
  if (hint === undefined) return;
  const record = hint as Record<string, unknown> | null;
  const valid =
    typeof hint === 'object' &&
    record !== null &&
    Number.isSafeInteger(record.ttlMs) &&
    (record.ttlMs as number) >= 0 &&
    (record.cacheScope === 'public' || record.cacheScope === 'private') &&
    Object.keys(record).every((key) => key === 'ttlMs' || key === 'cacheScope');
  if (!valid) {
    throw new TypeError(
      `Expected the \`cacheHint\` of ${what} to be { ttlMs: an integer >= 0, cacheScope: 'public' | 'private' }, got ${describeClientValue(hint)}`,
    );
  }
}

/** The read result with the definition's cache hint, unless the read set its own. */
function withCacheHint(
  result: Record<string, unknown>,
  hint: ResourceCacheHint | undefined,
): Record<string, unknown> {
  if (hint === undefined || 'ttlMs' in result || 'cacheScope' in result) return result;
  return { ...result, ttlMs: hint.ttlMs, cacheScope: hint.cacheScope };
}
const resourceKeys = ['uri', ...metadataKeys, 'size', 'read'] as const;
const templateKeys = ['uriTemplate', ...metadataKeys, 'read', 'complete'] as const;

/**
 * Checks a resource definition: a plain object with known keys, an absolute `uri`, a `read`
 * function, and metadata the official `Resource` schema accepts. Throws a `TypeError`. @internal
 */
export function checkResource(definition: unknown): void {
  assertDefinitionObject(definition, 'resource');
  const resource = definition as Record<string, unknown>;
  if (typeof resource.uri !== 'string' || !URL.canParse(resource.uri)) {
    throw new TypeError(
      `Expected a resource \`uri\` to be an absolute URI such as \`config://app\`, got ${describeClientValue(resource.uri)}`,
    );
  }
  const what = `resource \`${resource.uri}\``;
  rejectUnknownKeys(resource, resourceKeys, what);
  assertFunction(resource.read, `the \`read\` of ${what}`);
  checkCacheHint(resource.cacheHint, what);
  assertMatches(ResourceSchema, resourceListing(resource as unknown as ResourceDefinition), what);
}

/**
 * Checks a resource template: known keys, a template of `{name}` and `{+name}` variables only, a
 * `read` function, completers only for variables the template has. Throws a `TypeError`. @internal
 */
export function checkResourceTemplate(definition: unknown): void {
  assertDefinitionObject(definition, 'resource template');
  const template = definition as Record<string, unknown>;
  if (typeof template.uriTemplate !== 'string' || template.uriTemplate === '') {
    throw new TypeError(
      `Expected a resource template's \`uriTemplate\` to be a string such as \`users://{id}/profile\`, got ${describeClientValue(template.uriTemplate)}`,
    );
  }
  const what = `resource template \`${template.uriTemplate}\``;
  rejectUnknownKeys(template, templateKeys, what);
  checkCacheHint(template.cacheHint, what);
  assertFunction(template.read, `the \`read\` of ${what}`);
  const variables = templateVariables(template.uriTemplate, what);
  checkCompleters(template.complete, variables, what, 'variable');
  assertMatches(
    ResourceTemplateSchema,
    templateListing(template as unknown as ResourceTemplateDefinition),
    what,
  );
}

/**
 * Checks completers by name: an object of functions whose keys are among `names` (a prompt's
 * arguments, a template's variables); a misspelt name would never be asked. Returns them. @internal
 */
export function checkCompleters(
  completers: unknown,
  names: readonly string[],
  what: string,
  kind: 'argument' | 'variable',
): Readonly<Record<string, Completer>> | undefined {
  if (completers === undefined) return undefined;
  if (typeof completers !== 'object' || completers === null || Array.isArray(completers)) {
    throw new TypeError(
      `Expected the \`complete\` of ${what} to be an object of completers by ${kind} name, got ${describeClientValue(completers)}`,
    );
  }
  for (const [name, completer] of Object.entries(completers)) {
    if (!names.includes(name)) {
      throw new TypeError(unknownKeyMessage(kind, name, names, `the completers of ${what}`));
    }
    assertFunction(completer, `the completer of ${kind} \`${name}\` of ${what}`);
  }
  return completers as Readonly<Record<string, Completer>>;
}

/** A compiled URI template: matches a URI and reads its variables. @internal */
export interface UriMatcher {
  match(uri: string): Record<string, string> | undefined;
}

/**
 * The variable names of a template, checking that every `{…}` expression is one we serve: `{name}`
 * or `{+name}` (RFC 6570 levels 1 and 2, without `{#name}`). Any other expression (`{?q}`,
 * `{/path}`, `{a,b}`) would be matched literally and never match a URI: a `TypeError`.
 */
function templateVariables(template: string, what: string): string[] {
  const names: string[] = [];
  for (const found of template.matchAll(/\{([^}]*)\}?/g)) {
    const expression = /^\{(\+?)([A-Za-z0-9_]+)\}$/.exec(found[0]);
    if (expression === null) {
      throw new TypeError(
        `Expected the expressions of ${what} to be \`{name}\` or \`{+name}\`, got \`${found[0]}\``,
      );
    }
    names.push(expression[2] as string);
  }
  assertUnique(names, `the variables of ${what}`);
  return names;
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

function resourceListing(
  resource: ResourceMetadata & { readonly uri: string; readonly size?: number },
): Record<string, unknown> {
  return {
    uri: resource.uri,
    ...metadataOf(resource),
    ...(resource.size === undefined ? {} : { size: resource.size }),
  };
}

function templateListing(
  template: ResourceMetadata & { readonly uriTemplate: string },
): Record<string, unknown> {
  return { uriTemplate: template.uriTemplate, ...metadataOf(template) };
}

/** What `read` returned, as a valid `ReadResourceResult`; anything else is the resource's bug (a `TypeError`). */
function toReadResult(uri: string, mimeType: string | undefined, value: unknown) {
  if (typeof value === 'string') {
    return { contents: [mimeType === undefined ? { uri, text: value } : { uri, mimeType, text: value }] };
  }
  const parsed = ReadResourceResultSchema.safeParse(value);
  if (parsed.success) return value as Record<string, unknown>;
  throw new TypeError(
    `Resource \`${uri}\` was read as ${describeClientValue(value)}, which is not a ReadResourceResult (${describeIssues(parsed.error, 3)})`,
  );
}

/** Builds the resource handlers; `find` is shared with `completion/complete`. */
export function createResourceHandlers<TContext>(
  resources: readonly ResourceDefinition<TContext>[],
  templates: readonly ResourceTemplateDefinition<TContext>[],
): Record<'resources/list' | 'resources/templates/list' | 'resources/read', RequestHandler<TContext>> {
  for (const resource of resources) checkResource(resource);
  for (const template of templates) checkResourceTemplate(template);
  assertUnique(
    resources.map((resource) => resource.uri),
    'resource URIs',
  );
  assertUnique(
    templates.map((template) => template.uriTemplate),
    'resource templates',
  );
  const byUri = new Map(resources.map((resource) => [resource.uri, resource]));
  const compiled = templates.map((template) => ({
    template,
    matcher: compileUriTemplate(template.uriTemplate),
  }));
  const listing = { resources: resources.map(resourceListing) };
  const templatesListing = { resourceTemplates: templates.map(templateListing) };

  const read: RequestHandler<TContext> = async (params, context) => {
    const uri = params.uri;
    if (typeof uri !== 'string')
      throw new SessionRuntimeError('invalid_params', 'Expected `uri` to be a string');
    const resource = byUri.get(uri);
    if (resource !== undefined) {
      const result = toReadResult(uri, resource.mimeType, await resource.read(uri, context));
      return withCacheHint(result, resource.cacheHint);
    }
    for (const { template, matcher } of compiled) {
      const variables = matcher.match(uri);
      if (variables !== undefined) {
        const result = toReadResult(uri, template.mimeType, await template.read(uri, variables, context));
        return withCacheHint(result, template.cacheHint);
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
      return templatesListing;
    },
    'resources/read': read,
  };
}
