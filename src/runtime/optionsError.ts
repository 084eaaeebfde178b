/**
 * The one way a bad option is reported, for the runtime's options and the transports' alike:
 * `TypeError("Expected `path` to be valid (why), got `value`")`, and for a key no option has
 * (options schemas are strict objects) `TypeError("Unknown option `idleTimeoutMS`; did you mean
 * `idleTimeoutMs`?")`.
 */
import type { z } from 'zod';
import { unknownKeyMessage } from '../protocol/closestName.js';
import { describeClientValue } from '../protocol/errors.js';
import { issuePath } from '../protocol/issues.js';

/**
 * Turns the first zod issue of an options object into the house-style `TypeError`, its path written
 * as every issue's is (`issuePath`). `schema` is the schema that produced `error`: an unknown key is
 * reported with the nearest key it allows at that path. @internal
 */
export function optionsTypeError(error: z.ZodError, options: unknown, schema?: z.ZodType): TypeError {
  // A misspelt required key is also reported missing: the unknown key says why, so it goes first.
  const issue = error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? error.issues[0];
  const path = issuePath(issue?.path ?? []) || 'options';
  if (issue?.code === 'unrecognized_keys') {
    const known = schema === undefined ? [] : keysAt(schema, issue.path);
    return issue.path.length === 0
      ? new TypeError(unknownKeyMessage('option', String(issue.keys[0]), known))
      : new TypeError(unknownKeyMessage('key', String(issue.keys[0]), known, `\`${path}\``));
  }
  const got = issue?.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    options,
  );
  if (issue?.path.length === 0 && issue.code === 'invalid_type') {
    return new TypeError(`Expected \`options\` to be an object, got ${describeOptionValue(got)}`);
  }
  return new TypeError(`Expected \`${path}\` to be valid (${why(issue)}), got ${describeOptionValue(got)}`);
}

/** What an issue says was expected; for a union, what each alternative expected. */
function why(issue: z.core.$ZodIssue | undefined): string {
  if (issue?.code === 'invalid_union' && issue.errors.length > 0) {
    return issue.errors.map((branch) => branch[0]?.message ?? 'Invalid input').join('; or ');
  }
  return issue?.message ?? 'Invalid input';
}

/**
 * Throws `TypeError("Expected `options` to be an object, got …")` unless `options` is a plain
 * object or `undefined` (which means "all defaults"). @internal
 */
export function assertOptionsObject(options: unknown, what = 'options'): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected \`${what}\` to be an object, got ${describeOptionValue(options)}`);
  }
}

/** The keys an object schema allows at `path` (through optional, nullable, array and union wrappers). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const key of [...path, undefined]) {
    node = unwrap(node);
    const def = defOf(node);
    if (def === undefined) return [];
    if (key === undefined) return def.type === 'object' ? Object.keys(def.shape as object) : [];
    if (def.type === 'object') node = (def.shape as Record<PropertyKey, unknown>)[key];
    else if (def.type === 'array') node = def.element;
    else return [];
  }
  return [];
}

/** Steps through wrappers to the schema that holds keys: optional, nullable, default, the object of a union. */
function unwrap(node: unknown): unknown {
  const def = defOf(node);
  if (def === undefined) return node;
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default')
    return unwrap(def.innerType);
  if (def.type === 'union') {
    for (const option of def.options as unknown[]) {
      const inner = unwrap(option);
      if (defOf(inner)?.type === 'object') return inner;
    }
  }
  return node;
}

function defOf(node: unknown): Record<string, unknown> | undefined {
  return (node as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;
}

/** A value as an error message shows it: primitives as written, anything else by its type. @internal */
export function describeOptionValue(value: unknown): string {
  const described = describeClientValue(value);
  return typeof value === 'object' && value !== null ? described : `\`${described}\``;
}

/** The methods every transport calls on a runtime. */
const runtimeMethods = ['dispatch', 'attach', 'has', 'remove', 'close'] as const;

/**
 * Throws `TypeError("Expected `runtime` of createNodeHandler to be a SessionRuntime (from
 * createSessionRuntime), got …")` unless `runtime` has the methods a transport calls. @internal
 */
export function assertSessionRuntime(runtime: unknown, factory: string): void {
  const missing =
    typeof runtime === 'object' && runtime !== null
      ? runtimeMethods.find((method) => typeof (runtime as Record<string, unknown>)[method] !== 'function')
      : 'dispatch';
  if (missing === undefined) return;
  const got =
    typeof runtime === 'object' && runtime !== null
      ? `an object without the method \`${missing}\``
      : describeOptionValue(runtime);
  throw new TypeError(
    `Expected the first argument of ${factory} to be a SessionRuntime (from \`createSessionRuntime\`), got ${got}`,
  );
}
