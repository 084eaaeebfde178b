/**
 * docs/errors.md lists every `error.data.reason` with its JSON-RPC code and HTTP status. This test
 * holds that table to the runtime's one error table and the HTTP transport's one status table, both
 * ways: a reason added, removed, renumbered or given another status without its row fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonRpcCodeOf } from '../../src/http/refusals.js';
import type { HttpErrorReason } from '../../src/http/statuses.js';
import { httpStatusTable } from '../../src/http/statuses.js';
import { errorTable } from '../../src/protocol/errors.js';

const page = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** `reason → [code, status]` from the rows of the page's table. */
const documented = new Map(
  [...page.matchAll(/^\| `([a-z_]+)` +\| (-\d+) +\| (\d{3})\b/gm)].map((row) => [
    row[1] ?? '',
    [Number(row[2]), Number(row[3])],
  ]),
);

describe('docs/errors.md', () => {
  it('has a row for every reason an answer can carry, with its code and HTTP status', () => {
    const expected = Object.keys(httpStatusTable).map((reason) => [
      reason,
      [jsonRpcCodeOf(reason as HttpErrorReason), httpStatusTable[reason as HttpErrorReason]],
    ]);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
  });

  it('knows every reason of the runtime error table with the protocol code', () => {
    for (const [reason, row] of Object.entries(errorTable)) {
      expect(documented.get(reason)?.[0], reason).toBe(row.jsonRpcCode);
    }
  });
});
