/**
 * Bad input into `dispatch` (issue 8): whatever a client sends, the answer is a well-formed JSON-RPC
 * error from the README's table (or nothing, for an accepted notification or client response), never
 * a throw or a rejection; deep and huge inputs are bounded; and the session already running is
 * unaffected: its next request succeeds, the request it has in flight completes, and `metrics()`
 * accounts for every answer.
 *
 * `FUZZ_RUNS=20000 npx vitest run test/fuzz` runs longer; `FUZZ_SEED=<n>` looks elsewhere.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyId,
  commonPaths,
  exoticMessage,
  hostile,
  interestingPaths,
  isJsonValue,
  materialize,
  mutatedMessage,
  unknownSessionId,
  validMessages,
  withValueAt,
} from './inputs.js';
import { createFuzzTarget, FUZZ_RUNS, FUZZ_SEED, type FuzzTarget, LIVE } from './target.js';

const parameters = { numRuns: FUZZ_RUNS, seed: FUZZ_SEED };

/** Dispatch must not throw synchronously either: a throw here fails the property with the input. */
async function sendBoth(target: FuzzTarget, message: unknown, unknownId: unknown): Promise<void> {
  target.checkpoint();
  await target.send(LIVE, message, 'live');
  await target.send(unknownId, message, 'unknown');
  await target.expectLiveSessionServes();
  target.expectAccounting();
}

describe('dispatch under fuzzed input', () => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await createFuzzTarget();
  });

  afterAll(async () => {
    // The request held in flight since the start completes with its own result; nothing is left.
    await target.finish();
  });

  it('answers arbitrary JSON values with a table error, on the live session and on unknown ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), unknownSessionId, (message, unknownId) =>
        sendBoth(target, message, unknownId),
      ),
      parameters,
    );
  });

  it('answers arbitrary JavaScript values that JSON could carry', async () => {
    const jsonLike = fc.anything({ maxDepth: 4, withObjectString: true }).filter(isJsonValue);
    await fc.assert(
      fc.asyncProperty(jsonLike, unknownSessionId, (message, unknownId) =>
        sendBoth(target, message, unknownId),
      ),
      parameters,
    );
  });

  it('answers any JavaScript value, JSON or not, alone or inside a valid message', async () => {
    await fc.assert(
      fc.asyncProperty(exoticMessage, unknownSessionId, (message, unknownId) =>
        sendBoth(target, message, unknownId),
      ),
      parameters,
    );
  });

  it('answers structurally mutated MCP messages (wrong types, missing fields, unknown methods, batches)', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedMessage, unknownSessionId, (message, unknownId) =>
        sendBoth(target, materialize(message), unknownId),
      ),
      parameters,
    );
  });

  it('answers requests and responses with ids of every type by the id when readable, else null', async () => {
    const kinds = fc.constantFrom('work', 'initialize', 'result', 'error', 'cancelled');
    await fc.assert(
      fc.asyncProperty(kinds, anyId, unknownSessionId, (kind, id, unknownId) =>
        sendBoth(target, materialize(withValueAt(validMessages[kind], ['id'], id)), unknownId),
      ),
      parameters,
    );
  });

  it('never lets a built-in handler crash on client input (no handlerError event)', () => {
    expect(target.handlerErrors).toEqual([]);
  });
});

describe('dispatch under deep and huge input', () => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await createFuzzTarget();
  });

  afterAll(async () => {
    await target.finish();
  });

  const fields = Object.entries(validMessages).flatMap(([name, message]) =>
    [...commonPaths, ...(interestingPaths[name] ?? [])].map((path) => ({
      label: `${name} with ${path.join('.')}`,
      message,
      path,
    })),
  );

  it.each(fields)(
    'answers $label deep, huge or prototype-keyed without overflowing or amplifying',
    async ({ message, path }) => {
      const failures: string[] = [];
      for (const [valueName, value] of Object.entries(hostile)) {
        try {
          await sendBoth(target, withValueAt(message, path, value), 'unknown:deep');
        } catch (error) {
          failures.push(`${valueName}: ${String(error).split('\n')[0]}`);
        }
      }
      expect(failures).toEqual([]);
    },
  );

  it.each(Object.entries(hostile))('answers a top-level %s', async (_, value) => {
    await sendBoth(target, value, 'unknown:deep');
  });

  it('answers a batch of 10,000 valid requests as one invalid request without running any', async () => {
    const batch = Array.from({ length: 10_000 }, (_, index) => ({ ...validMessages.work, id: index }));
    const accepted = target.runtime.metrics().accepted;
    await sendBoth(target, batch, 'unknown:batch');
    // One accepted: the live-session check that sendBoth sends after the batch.
    expect(target.runtime.metrics().accepted).toBe(accepted + 1);
  });
});
