/**
 * The one way a bad option is reported, for the runtime's options and the transports' alike:
 * `TypeError("Expected `path` to be valid (why), got `value`")`.
 */
import type { z } from 'zod';

/** Turns the first zod issue of an options object into the house-style `TypeError`. @internal */
export function optionsTypeError(error: z.ZodError, options: unknown): TypeError {
  const issue = error.issues[0];
  const path = issue?.path.join('.') || 'options';
  const got = issue?.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    options,
  );
  return new TypeError(`Expected \`${path}\` to be valid (${issue?.message}), got ${describe(got)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\``;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return `\`${String(value)}\``;
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
