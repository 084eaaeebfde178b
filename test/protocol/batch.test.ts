/**
 * The batch rules of each revision, transport-free (the HTTP behaviour is in test/http/batch.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  allowsBatches,
  BATCH_PROTOCOL_VERSIONS,
  batchResponses,
  MAX_BATCH_LENGTH,
  planBatch,
} from '../../src/protocol/batch.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../src/protocol/lifecycle.js';
import { request } from '../helpers.js';

describe('planBatch', () => {
  it('decides batches for every revision we offer: 2025-03-26 and 2024-11-05 take them, later ones do not', () => {
    // A revision added to the supported list must be placed here on purpose, by its own text.
    const decided = Object.fromEntries(
      SUPPORTED_PROTOCOL_VERSIONS.map((version) => [version, allowsBatches(version)]),
    );
    expect(decided).toEqual({
      '2025-11-25': false,
      '2025-06-18': false,
      '2025-03-26': true,
      '2024-11-05': true,
    });
    expect(BATCH_PROTOCOL_VERSIONS.every((version) => SUPPORTED_PROTOCOL_VERSIONS.includes(version))).toBe(
      true,
    );
    expect(allowsBatches(undefined)).toBe(false);
  });

  it('refuses whole, with id null: a revision without batches, no negotiated revision, empty, over length', () => {
    const refusals = [
      planBatch([request(1, 'ping')], '2025-11-25'),
      planBatch([request(1, 'ping')], undefined),
      planBatch([], '2025-03-26'),
      planBatch(
        Array.from({ length: MAX_BATCH_LENGTH + 1 }, (_, id) => request(id, 'ping')),
        '2025-03-26',
      ),
    ];
    for (const plan of refusals) {
      expect(plan).toMatchObject({ ok: false, response: { id: null, error: { code: -32600 } } });
    }
  });

  it('answers initialize, a repeated id and a nested array per member, and dispatches the rest in order', () => {
    const notification = { jsonrpc: '2.0', method: 'notifications/initialized' };
    const response = { jsonrpc: '2.0', id: 'x', result: {} };
    const plan = planBatch(
      [
        request(1, 'initialize'),
        request(2, 'ping'),
        request(2, 'ping'),
        request('2', 'ping'),
        [],
        notification,
        response,
        7,
      ],
      '2025-03-26',
    );
    if (!plan.ok) throw new Error('refused');
    expect(plan.hasRequest).toBe(true);
    expect(
      plan.entries.map((entry) => (entry.kind === 'answered' ? entry.response.id : entry.isRequest)),
    ).toEqual([1, true, 2, true, null, false, false, false]);
  });

  it('has no request when every member is a notification or a response', () => {
    const plan = planBatch(
      [
        { jsonrpc: '2.0', method: 'n' },
        { jsonrpc: '2.0', id: 1, result: {} },
      ],
      '2024-11-05',
    );
    expect(plan).toMatchObject({ ok: true, hasRequest: false });
  });

  it('keeps the responses in member order and drops what has none', () => {
    const a = { jsonrpc: '2.0' as const, id: 'a', result: {} };
    const b = { jsonrpc: '2.0' as const, id: 'b', result: {} };
    expect(batchResponses([undefined, a, undefined, b])).toEqual([a, b]);
    expect(batchResponses([undefined])).toEqual([]);
  });
});
