/**
 * Client values the fuzzing of issue 8 found mishandled, one minimal case each. Every one is a value
 * `JSON.parse` can produce; each test states the documented outcome (README, "Errors").
 *
 * The runtime turns some client values into text with `String(value)` (`logging/setLevel`'s level,
 * `tools/call`'s and `prompts/get`'s name) and looks completers up with `completers[name]` on a plain
 * object. `String` throws for `{"toString":1}` and for arrays nested a few thousand deep, and makes
 * 16 bytes of every `{}` in an array; the lookup finds `Object.prototype` members.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DispatchResult } from '../../src/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResourceTemplate,
  defineTool,
  ManualClock,
} from '../../src/index.js';
import { openSession, reasonOfResponse, request } from '../helpers.js';
import { deepArray } from './inputs.js';

/** `{"toString":1}` as `JSON.parse` gives it: `String()` of it throws "Cannot convert object to primitive value". */
const unprintable = (): unknown => JSON.parse('{"toString":1}');

async function liveRuntime() {
  const runtime = createSessionRuntime({
    clock: new ManualClock(),
    tools: [
      defineTool({ name: 'echo', inputSchema: z.object({ text: z.string() }), handler: ({ text }) => text }),
    ],
    prompts: [
      definePrompt({
        name: 'greet',
        arguments: z.object({ who: z.string().optional() }),
        get: () => 'hello',
        complete: { who: () => ['ada'] },
      }),
    ],
    resourceTemplates: [
      defineResourceTemplate({ uriTemplate: 'note://{id}', name: 'note', read: () => 'text' }),
    ],
  });
  const handlerErrors: unknown[] = [];
  runtime.events.on('handlerError', ({ error }) => handlerErrors.push(error));
  await openSession(runtime, 's');
  return { runtime, handlerErrors };
}

/** Dispatches so that a synchronous throw fails the assertion instead of the test's plumbing. */
function dispatched(
  runtime: ReturnType<typeof createSessionRuntime>,
  message: unknown,
): Promise<DispatchResult> {
  return new Promise<DispatchResult>((resolve) => resolve(runtime.dispatch('s', message)));
}

describe('logging/setLevel with a level that is not a level name', () => {
  // Today `dispatch` throws TypeError synchronously (and has counted an invalid_params refusal).
  it('answers a level whose toString is not callable with invalid_params', async () => {
    const { runtime } = await liveRuntime();
    const answer = dispatched(runtime, request(1, 'logging/setLevel', { level: unprintable() }));
    await expect(answer).resolves.toMatchObject({ id: 1, error: { data: { reason: 'invalid_params' } } });
  });

  // Today `dispatch` throws RangeError (Maximum call stack size exceeded) synchronously.
  it('answers a level nested 10,000 deep with invalid_params', async () => {
    const { runtime } = await liveRuntime();
    const answer = dispatched(runtime, request(1, 'logging/setLevel', { level: deepArray(10_000) }));
    await expect(answer).resolves.toMatchObject({ id: 1, error: { data: { reason: 'invalid_params' } } });
  });

  // Today the error message is "Unknown logging level: [object Object],[object Object],…": 800 KB.
  it('answers a level of 50,000 empty objects with an error no larger than the level', async () => {
    const { runtime } = await liveRuntime();
    const level = Array.from({ length: 50_000 }, () => ({}));
    const answer = await dispatched(runtime, request(1, 'logging/setLevel', { level }));
    expect(reasonOfResponse(answer)).toBe('invalid_params');
    expect(JSON.stringify(answer).length).toBeLessThanOrEqual(JSON.stringify(level).length);
  });
});

describe('tools/call and prompts/get with a name that is not a string', () => {
  // Today the handler's `String(name)` throws inside it: internal_error and a handlerError event.
  it.each([
    ['tools/call', { name: unprintable(), arguments: {} }],
    ['prompts/get', { name: deepArray(10_000) }],
  ])('answers %s with invalid_params, not internal_error (case %#)', async (method, params) => {
    const { runtime, handlerErrors } = await liveRuntime();
    const answer = await dispatched(runtime, request(1, method, params));
    expect(reasonOfResponse(answer)).toBe('invalid_params');
    expect(handlerErrors).toEqual([]);
  });
});

describe('completion/complete with an argument named like an Object.prototype member', () => {
  it.each(['toString', 'hasOwnProperty'])(
    'completes %s with no values, as any argument without a completer',
    async (name) => {
      const { runtime, handlerErrors } = await liveRuntime();
      const answer = await dispatched(
        runtime,
        request(1, 'completion/complete', {
          ref: { type: 'ref/prompt', name: 'greet' },
          argument: { name, value: 'x' },
        }),
      );
      // Today: `toString` completes to the 18 characters of "[object Undefined]"; `hasOwnProperty`
      // (like `__proto__` and `valueOf`) answers internal_error.
      expect(answer).toEqual({
        jsonrpc: '2.0',
        id: 1,
        result: { completion: { values: [], total: 0, hasMore: false } },
      });
      expect(handlerErrors).toEqual([]);
    },
  );
});

describe('resources/read of a template URI with malformed percent-encoding', () => {
  // Today `decodeURIComponent` throws URIError inside the handler: internal_error.
  it('answers resource_not_found or invalid_params, not internal_error', async () => {
    const { runtime, handlerErrors } = await liveRuntime();
    const answer = await dispatched(runtime, request(1, 'resources/read', { uri: 'note://%E0%A4%A' }));
    expect(['resource_not_found', 'invalid_params']).toContain(reasonOfResponse(answer));
    expect(handlerErrors).toEqual([]);
  });
});
