/**
 * Pagination of the built-in list methods (MCP 2025-11-25, "Utilities › Pagination"): they answer
 * with every item in one page and never hand out a `nextCursor`, so any cursor a client sends is one
 * this server did not issue, and "invalid cursors SHOULD result in an error with code -32602".
 */
import { SessionRuntimeError } from '../protocol/errors.js';

/**
 * Throws `invalid_params` (-32602) when a list request carries a cursor. The cursor's type was
 * checked already against the method's schema (`params.ts`); here it is its value that is wrong.
 *
 * @throws {SessionRuntimeError} `invalid_params` when `params.cursor` is present.
 */
export function refuseUnissuedCursor(params: Readonly<Record<string, unknown>>): void {
  if (params.cursor === undefined) return;
  throw new SessionRuntimeError(
    'invalid_params',
    'Invalid cursor: this server lists everything in one page and issued no cursor',
  );
}
