/**
 * The checks of {@link serveStdio}'s arguments, once, before anything is read: a runtime, and
 * options whose keys all exist (a misspelt one names the closest), each of the right type.
 */
import { z } from 'zod';
import { assertOptionsObject, assertSessionRuntime, optionsTypeError } from '../runtime/optionsError.js';

const isReadable = (value: unknown) =>
  typeof value === 'object' && value !== null && typeof (value as { on?: unknown }).on === 'function';
const isWritable = (value: unknown) =>
  typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function';

/** One row per option of `StdioServerOptions`. */
const stdioOptionsSchema = z.strictObject({
  input: z.custom(isReadable, 'Expected a Readable stream').optional(),
  output: z.custom(isWritable, 'Expected a Writable stream').optional(),
  log: z.function().optional(),
  sessionId: z.string().min(1).optional(),
});

/**
 * Throws a `TypeError` for a `runtime` that is not a SessionRuntime, options that are not an
 * object, an unknown option (naming the closest valid one) or a bad value. @internal
 */
export function checkStdioArguments(runtime: unknown, options: unknown): void {
  assertSessionRuntime(runtime, 'serveStdio');
  assertOptionsObject(options);
  const parsed = stdioOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw optionsTypeError(parsed.error, options, stdioOptionsSchema);
}
