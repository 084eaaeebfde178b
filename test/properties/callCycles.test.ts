/**
 * Cross-session call chains: a handler of session A dispatches to B through `context.dispatch`, whose
 * handler may dispatch on, and perhaps back to a session already waiting on the chain. Under
 * turn-taking mailboxes that re-entry could never run; the runtime answers it at once with
 * `call_cycle`. fast-check draws the chain, unrelated traffic, and the interleaving.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DispatchResult, HandlerContext } from '../../src/index.js';
import { createSessionRuntime, ManualClock, reasonOf } from '../../src/index.js';
import { initializeMessage } from './harness.js';
import { numRuns, propertyParameters, settleReactions, timeoutFor } from './raceRun.js';

const sessionIds = ['a', 'b', 'c'] as const;

const relay = (id: string, path: readonly string[], hop: number) => ({
  jsonrpc: '2.0' as const,
  id,
  method: 'relay',
  params: { path, hop },
});

/** The first hop that would re-enter a session already on the chain, if any. */
function firstReentry(path: readonly string[]): number | undefined {
  const index = path.findIndex((sessionId, hop) => path.slice(0, hop).includes(sessionId));
  return index === -1 ? undefined : index;
}

/** What hop `hop` of `path` must answer: its result wraps the answer of the hop after it. */
function expectedAnswer(path: readonly string[], hop: number, id: string): unknown {
  const next = hop + 1;
  if (next === path.length) return { jsonrpc: '2.0', id, result: { hop } };
  const downstream =
    next === firstReentry(path) ? { reason: 'call_cycle' } : expectedAnswer(path, next, `hop-${next}`);
  return { jsonrpc: '2.0', id, result: { hop, downstream } };
}

/** The answer with each error reduced to its reason, so it compares with {@link expectedAnswer}. */
function normalize(answer: DispatchResult): unknown {
  if (answer === undefined) return undefined;
  if ('error' in answer) return { reason: reasonOf(answer.error) };
  const { downstream, ...rest } = answer.result as { downstream?: DispatchResult };
  return {
    ...answer,
    result: downstream === undefined ? rest : { ...rest, downstream: normalize(downstream) },
  };
}

const chainScenario = fc.record({
  scheduler: fc.scheduler({
    act: async (task) => {
      await task();
      await settleReactions();
    },
  }),
  path: fc.array(fc.constantFrom(...sessionIds), { minLength: 1, maxLength: 5 }),
  maxConcurrentRequests: fc.integer({ min: 1, max: 2 }),
  /** Unrelated one-hop requests, delivered whenever the scheduler says. */
  traffic: fc.array(fc.constantFrom(...sessionIds), { maxLength: 4 }),
});

describe('cross-session call chains', () => {
  it(
    'refuses a request that re-enters a session on its call chain with call_cycle, and settles every chain',
    async () => {
      const property = fc.asyncProperty(
        chainScenario,
        async ({ scheduler, path, maxConcurrentRequests, traffic }) => {
          const started: string[] = [];
          const relayStep = scheduler.scheduleFunction(async function relayStep(
            _sessionId: string,
            _hop: number,
          ) {});
          const deliver = scheduler.scheduleFunction(async function deliver(
            _sessionId: string,
            _id: string,
          ) {});
          const runtime = createSessionRuntime({
            clock: new ManualClock(),
            maxConcurrentRequests,
            handlers: {
              relay: async (params, context: HandlerContext) => {
                const hops = params.path as string[];
                const hop = params.hop as number;
                started.push(`${context.sessionId}:${context.requestId}`);
                await relayStep(context.sessionId, hop);
                const next = hops[hop + 1];
                if (next === undefined) return { hop };
                return {
                  hop,
                  downstream: await context.dispatch(next, relay(`hop-${hop + 1}`, hops, hop + 1)),
                };
              },
            },
          });
          for (const sessionId of sessionIds) {
            await runtime.dispatch(sessionId, initializeMessage(0));
            await runtime.dispatch(sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' });
          }
          const noise = traffic.map((sessionId, index) =>
            deliver(sessionId, `noise-${index}`).then(() =>
              runtime.dispatch(sessionId, relay(`noise-${index}`, [sessionId], 0)),
            ),
          );
          const chain: { settled: boolean; answer?: DispatchResult } = { settled: false };
          void runtime.dispatch(path[0] as string, relay('chain', path, 0)).then((answer) => {
            chain.settled = true;
            chain.answer = answer;
          });
          await scheduler.waitIdle();
          await settleReactions();

          expect(chain.settled, 'the chain never settled: a cycle deadlocked').toBe(true);
          expect(normalize(chain.answer)).toEqual(expectedAnswer(path, 0, 'chain'));
          // The chain's handlers ran hop after hop, up to the re-entry, which never reached a handler.
          const reentry = firstReentry(path) ?? path.length;
          const hopIds = path
            .slice(0, reentry)
            .map((sessionId, hop) => `${sessionId}:${hop === 0 ? 'chain' : `hop-${hop}`}`);
          expect(started.filter((start) => !start.includes(':noise-'))).toEqual(hopIds);
          for (const each of await Promise.all(noise)) expect(each).toMatchObject({ result: { hop: 0 } });
          expect(runtime.metrics().rejected.call_cycle ?? 0).toBe(reentry < path.length ? 1 : 0);
          for (const sessionId of sessionIds)
            expect(runtime.info(sessionId)).toMatchObject({ inFlight: 0, queued: 0 });
        },
      );
      await fc.assert(property, propertyParameters());
    },
    timeoutFor(numRuns),
  );
});
