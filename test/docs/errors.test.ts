/**
 * docs/errors.md lists every `error.data.reason` with its JSON-RPC code and HTTP status. This test
 * holds that table to the runtime's one error table, both ways: a reason added, removed or renumbered
 * without its row fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
  it('has a row for every reason of the error table, with its code and status', () => {
    const expected = Object.entries(errorTable).map(([reason, row]) => [
      reason,
      [row.jsonRpcCode, row.httpStatus],
    ]);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(expected));
  });
});
