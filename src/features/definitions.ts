/**
 * Checks shared by `defineTool`, `definePrompt`, `defineResource` and `defineResourceTemplate`: a
 * definition with a mistake in it fails when it is written (a `TypeError` naming the definition and
 * what is wrong), never later on the wire where a client would see a tool vanish.
 */
import { z } from 'zod';
import { unknownKeyMessage } from '../protocol/closestName.js';
import { describeClientValue } from '../protocol/errors.js';
import { describeIssues } from '../protocol/issues.js';

/** A zod 4 schema as the runtime reads it (classic or mini: both carry `_zod`). */
type AnyZod4Schema = z.ZodType;

/** Whether `value` is a zod 4 schema (classic `zod`, `zod/mini` and `zod/v4` all carry `_zod`). */
export function isZod4Schema(value: unknown): value is AnyZod4Schema {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/** Whether `value` looks like a zod 3 schema: it has `_def` but not zod 4's `_zod`. */
function isZod3Schema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_def' in value && !('_zod' in value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const zod4Required =
  'a zod 4 schema (`import { z } from "zod"` with zod 4, the peer dependency of this package); zod 3 schemas are not supported';

/**
 * Reads an object schema given as a zod 4 schema or as a raw shape (`{ a: z.number() }`, as the
 * official SDK accepts), and returns the zod schema; `undefined` stays `undefined`. Throws a
 * `TypeError` for a zod 3 schema (or a shape holding one), or anything that is neither.
 */
export function objectSchemaOf(value: unknown, where: string): AnyZod4Schema | undefined {
  if (value === undefined) return undefined;
  if (isZod4Schema(value)) return value;
  if (isZod3Schema(value)) throw new TypeError(`Expected ${where} to be ${zod4Required}`);
  if (isPlainObject(value)) {
    for (const [key, field] of Object.entries(value)) {
      if (isZod3Schema(field)) {
        throw new TypeError(`Expected the key \`${key}\` of ${where} to be ${zod4Required}`);
      }
      if (!isZod4Schema(field)) {
        throw new TypeError(
          `Expected ${where} to be a zod 4 object schema (\`z.object({ … })\`) or a shape of zod schemas (\`{ a: z.number() }\`), but its key \`${key}\` holds ${describeClientValue(field)}`,
        );
      }
    }
    return z.object(value as z.ZodRawShape);
  }
  throw new TypeError(
    `Expected ${where} to be a zod 4 object schema (\`z.object({ … })\`) or a shape of zod schemas, got ${describeClientValue(value)}`,
  );
}

/**
 * The JSON Schema (draft 2020-12) of what `schema` accepts, which must be an object schema: a tool's
 * `inputSchema` has `"type": "object"` (MCP, "Tools" › "Tool"), and a client such as the official
 * SDK's refuses a whole `tools/list` that holds any other. Throws a `TypeError` otherwise.
 */
export function objectJsonSchemaOf(schema: AnyZod4Schema, where: string): Record<string, unknown> {
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  } catch (error) {
    throw new TypeError(
      `Expected ${where} to be representable as JSON Schema (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (json.type !== 'object') {
    const got =
      typeof json.type === 'string'
        ? `a schema of type "${json.type}"`
        : 'a schema without `"type": "object"`';
    throw new TypeError(
      `Expected ${where} to be an object schema such as \`z.object({ … })\` (MCP: arguments are a JSON object), got ${got}`,
    );
  }
  return json;
}

/**
 * Throws `TypeError("Unknown key `descripton` in tool `add`; did you mean `description`?")`, or for
 * a field MCP defines that this runtime does not serve (`unsupported`), says so.
 */
export function rejectUnknownKeys(
  definition: object,
  allowed: readonly string[],
  what: string,
  unsupported: readonly string[] = [],
): void {
  for (const key of Object.keys(definition)) {
    if (allowed.includes(key)) continue;
    if (unsupported.includes(key)) {
      throw new TypeError(`The key \`${key}\` in ${what} is an MCP field this runtime does not serve yet`);
    }
    throw new TypeError(unknownKeyMessage('key', key, allowed, what));
  }
}

/** Throws unless `definition` is a plain object. */
export function assertDefinitionObject(definition: unknown, kind: string): asserts definition is object {
  if (!isPlainObject(definition)) {
    throw new TypeError(`Expected a ${kind} definition object, got ${describeClientValue(definition)}`);
  }
}

/** Throws unless `value` is a function. */
export function assertFunction(value: unknown, where: string): void {
  if (typeof value !== 'function') {
    throw new TypeError(`Expected ${where} to be a function, got ${describeClientValue(value)}`);
  }
}

/** Throws unless `value` passes `schema` (an official MCP schema), naming the first issue. */
export function assertMatches(schema: z.ZodType, value: unknown, where: string): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new TypeError(`Expected ${where} to be valid MCP: ${describeIssues(parsed.error)}`);
}

/** Throws if two definitions share a key (a tool name, a resource URI). */
export function assertUnique(keys: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new TypeError(`Expected ${what} to be unique, got \`${key}\` twice`);
    seen.add(key);
  }
}
