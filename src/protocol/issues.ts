/**
 * The one way a failed zod parse is put into words, for every layer: the `data.issues` of a -32602
 * answer, the one-line message of a protocol error, the lines of a tool's "Invalid arguments"
 * result, a definition's or an option's `TypeError`.
 *
 * A path is written with dots, array indices included (`params.arguments.tags.1`), and cut to 120
 * characters: its keys may be the client's (the keys of a `z.record`), and an error message must not
 * grow with the input.
 */
import type { z } from 'zod';

/** One issue as a client reads it in `data.issues`: where (keys from the parsed value's root) and what. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** At most this many issues are listed (in `data.issues`, or as lines). */
export const ISSUE_LIMIT = 10;

/** At most this many characters of a path in a message, then `…`. */
const PATH_TEXT_LIMIT = 120;

/**
 * The issues of a failed parse, the first `limit` of them (default {@link ISSUE_LIMIT}), each its
 * path and message: what `data.issues` of an error response carries.
 *
 * @example
 * ```ts
 * issuesOf(z.object({ a: z.number() }).safeParse({ a: 'x' }).error!);
 * // → [{ path: ['a'], message: 'Invalid input: expected number, received string' }]
 * ```
 */
export function issuesOf(error: z.ZodError, limit = ISSUE_LIMIT): SchemaIssue[] {
  return error.issues.slice(0, limit).map((issue) => ({ path: issue.path, message: issue.message }));
}

/**
 * A path as a message shows it: keys joined by dots (`params.arguments.tags.1`), `''` for the root,
 * cut to 120 characters with `…`. Never calls a key's own methods (a symbol key is written as
 * `Symbol(description)`).
 */
export function issuePath(path: readonly PropertyKey[]): string {
  const text = path.map(String).join('.');
  return text.length > PATH_TEXT_LIMIT ? `${text.slice(0, PATH_TEXT_LIMIT)}…` : text;
}

/** One issue as text: `path: message`, or the message alone for an issue at the root. */
export function describeIssue(issue: SchemaIssue): string {
  const path = issuePath(issue.path);
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/**
 * Every issue of a failed parse (up to `limit`, default {@link ISSUE_LIMIT}), one line each as
 * {@link describeIssue} writes it, and a last line `(N more)` when some were left out: readable by a
 * model and by a person.
 *
 * @example
 * ```ts
 * describeIssues(error);
 * // → 'point.y: Invalid input: expected number, received undefined\ntags.1: Invalid input: …'
 * ```
 */
export function describeIssues(error: z.ZodError, limit = ISSUE_LIMIT): string {
  const lines = error.issues.slice(0, limit).map(describeIssue);
  if (error.issues.length > limit) lines.push(`(${error.issues.length - limit} more)`);
  return lines.join('\n');
}

/**
 * The first issue of a failed parse on one line, as {@link describeIssue} writes it, followed by
 * ` (and N more)` when there were others: for the `message` of an error response, whose `data.issues`
 * lists them.
 */
export function summarizeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (first === undefined) return 'Invalid input';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${describeIssue(first)}${more}`;
}
