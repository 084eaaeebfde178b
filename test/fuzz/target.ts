/**
 * The runtime the fuzz tests attack, and the checks every answer must pass.
 *
 * One runtime with everything registered (a plain handler, a tool, a resource and a resource
 * template, a prompt with completions, logging), one live initialized session (`live`) with a
 * request held in flight for the whole run (it must complete with its own result at the end), and
 * a ledger of the answers seen so that `metrics()` can be checked against them.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import type { DispatchResult, JsonRpcResponse, SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  errorTable,
  ManualClock,
  reasonOf,
} from '../../src/index.js';
import { deferred, openSession, request } from '../helpers.js';

/** The live session every fuzz input may hit, and whose next request must still succeed. */
export const LIVE = 'live';

/** Runs per property in `npm test`; `FUZZ_RUNS=20000 npx vitest run test/fuzz` for a long run. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** A fixed seed keeps `npm test` deterministic; `FUZZ_SEED=<n>` explores elsewhere (a failure prints its seed). */
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? 0x5e55_1008 : Number(process.env.FUZZ_SEED);

/** Refusals that can never concern the live session: it exists, it is not closing, nothing is full. */
const NEVER_ON_LIVE = new Set([
  'session_not_found',
  'session_closed',
  'shutting_down',
  'overloaded',
  'mailbox_full',
]);

/** What an unknown id may answer with: the message was bad, or there is no such session. */
const ON_UNKNOWN = new Set(['invalid_request', 'session_not_found', 'invalid_params']);

/**
 * An answer may quote its input (an unknown resource's URI is in the error's message and its data),
 * but never amplify it: at most twice the input, plus this.
 */
const ANSWER_SLACK_BYTES = 64 * 1024;

export interface FuzzTarget {
  readonly runtime: SessionRuntime;
  readonly clock: ManualClock;
  /** Handler errors the runtime reported (a built-in handler crashing on client input is a bug). */
  readonly handlerErrors: unknown[];
  /** Sends `message` as a client would and checks the answer; returns it. */
  send(sessionId: unknown, message: unknown, where: 'live' | 'unknown'): Promise<DispatchResult>;
  /** The live session still answers an ordinary request with its result. */
  expectLiveSessionServes(): Promise<void>;
  /** Starts a new ledger period: the next `expectAccounting` counts answers from here. */
  checkpoint(): void;
  /** `metrics()` agrees with the answers seen since the checkpoint, and with `size`. */
  expectAccounting(): void;
  /** Releases the request held in flight, checks its answer, closes the runtime, checks nothing is left. */
  finish(): Promise<void>;
}

/** Builds the runtime, opens `live` and starts the request it holds in flight. */
export async function createFuzzTarget(): Promise<FuzzTarget> {
  const clock = new ManualClock();
  const handlerErrors: unknown[] = [];
  const keeperGate = deferred<Record<string, unknown>>();
  const runtime = createSessionRuntime({
    clock,
    idleTimeoutMs: 60_000,
    maxConcurrentRequests: 4,
    maxSessions: 100_000,
    handlers: {
      work: (params) => ({ ok: true, keys: Object.keys(params).length }),
      hold: () => keeperGate.promise,
    },
    tools: [
      defineTool({
        name: 'echo',
        inputSchema: z.object({ text: z.string().max(64) }),
        handler: ({ text }) => text,
      }),
    ],
    resources: [defineResource({ uri: 'memo://readme', name: 'readme', read: () => 'hello' })],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: 'note://{id}',
        name: 'note',
        read: (_uri, { id }) => `note ${id?.length ?? 0}`,
        complete: { id: (value) => ['alpha', 'beta'].filter((id) => id.startsWith(value)) },
      }),
    ],
    prompts: [
      definePrompt({
        name: 'greet',
        arguments: z.object({ who: z.string().max(64) }),
        get: ({ who }) => `Hello ${who}`,
        complete: { who: (value) => ['ada', 'alan'].filter((who) => who.startsWith(value)) },
      }),
    ],
  });
  runtime.events.on('handlerError', ({ error }) => handlerErrors.push(error));
  await openSession(runtime, LIVE);
  const keeper = runtime.dispatch(LIVE, request('keeper-not-guessable', 'hold'));

  let errorsSeen = 0;
  let liveRequests = 0;
  const errorsCounted = () => {
    const metrics = runtime.metrics();
    return Object.values(metrics.rejected).reduce((sum, count) => sum + count, 0) + metrics.failed;
  };
  let countedAtCheckpoint = errorsCounted();

  const send = async (sessionId: unknown, message: unknown, where: 'live' | 'unknown') => {
    const answer = await runtime.dispatch(sessionId as string, message);
    expectWellFormedAnswer(message, answer, where);
    if (answer !== undefined && 'error' in answer) errorsSeen++;
    // A valid `initialize` to an unknown id made a session: end it, so the id stays unknown.
    if (where === 'unknown' && answer !== undefined && 'result' in answer && typeof sessionId === 'string') {
      expect(runtime.remove(sessionId)).toBe(true);
    }
    return answer;
  };

  const expectAccounting = () => {
    const metrics = runtime.metrics();
    const stopped = Object.values(metrics.sessionsStopped).reduce((sum, count) => sum + count, 0);
    expect(metrics.sessions).toBe(runtime.size);
    expect(metrics.sessionsStarted - stopped).toBe(metrics.sessions);
    // Quiescent but for the request held in flight.
    expect(metrics.queued).toBe(0);
    expect(metrics.inFlight).toBe(1);
    expect(metrics.accepted).toBe(metrics.completed + metrics.failed + metrics.cancelled + 1);
    // Every error answer was counted once (refused before a mailbox, or failed in one), and nothing
    // was counted that did not produce an answer.
    expect(errorsCounted() - countedAtCheckpoint, 'errors counted by metrics()').toBe(errorsSeen);
  };
  const checkpoint = () => {
    errorsSeen = 0;
    countedAtCheckpoint = errorsCounted();
  };

  return {
    runtime,
    clock,
    handlerErrors,
    send,
    checkpoint,
    async expectLiveSessionServes() {
      liveRequests++;
      const id = `check-${liveRequests}`;
      const answer = await runtime.dispatch(LIVE, request(id, 'work', { n: liveRequests }));
      expect(answer).toEqual({ jsonrpc: '2.0', id, result: { ok: true, keys: 1 } });
      expect(runtime.info(LIVE)?.state).toBe('ready');
    },
    expectAccounting,
    async finish() {
      keeperGate.resolve({ kept: true });
      expect(await keeper).toEqual({ jsonrpc: '2.0', id: 'keeper-not-guessable', result: { kept: true } });
      await runtime.close({ drainMs: 0 });
      expect(runtime.size).toBe(0);
      expect(clock.pendingTimers).toBe(0);
      const metrics = runtime.metrics();
      const stopped = Object.values(metrics.sessionsStopped).reduce((sum, count) => sum + count, 0);
      expect(stopped).toBe(metrics.sessionsStarted);
      expect(metrics.inFlight).toBe(0);
    },
  };
}

/** The id an answer to `message` must carry: its own if readable, else null. */
function readableId(message: unknown): string | number | null {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return null;
  const id = (message as Record<string, unknown>).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** A notification or a client's response: the only inputs a live session may answer with nothing. */
function mayGoUnanswered(message: unknown): boolean {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const record = message as Record<string, unknown>;
  return 'method' in record ? !('id' in record) : 'id' in record;
}

/**
 * The contract of `dispatch` for any input: a JSON-RPC response whose error is one of the README's
 * table (code and reason agreeing), or `undefined` for an accepted notification or client response.
 */
export function expectWellFormedAnswer(message: unknown, answer: DispatchResult, where: 'live' | 'unknown') {
  if (answer === undefined) {
    expect(where === 'live' && mayGoUnanswered(message), 'only a live session may answer with nothing').toBe(
      true,
    );
    return;
  }
  expect(answer.jsonrpc).toBe('2.0');
  const expectedId = readableId(message);
  if ('error' in answer) {
    const { code, message: text } = answer.error;
    expect(Number.isInteger(code)).toBe(true);
    expect(typeof text).toBe('string');
    const reason = reasonOf(answer.error);
    expect(reason, `a reason from the table, got ${JSON.stringify(answer.error.data)}`).toBeDefined();
    if (reason === undefined) return;
    expect(errorTable[reason].jsonRpcCode).toBe(code);
    // Client input never crashes a built-in handler: a bad value is invalid_params, not internal_error.
    expect(reason, 'a built-in handler crashed on client input').not.toBe('internal_error');
    if (where === 'live') expect(NEVER_ON_LIVE.has(reason), `live session answered ${reason}`).toBe(false);
    else expect(ON_UNKNOWN.has(reason), `unknown id answered ${reason}`).toBe(true);
    expect(answer.id === null || answer.id === expectedId).toBe(true);
  } else {
    expect(answer.id).toBe(expectedId);
    expect(typeof answer.result === 'object' && answer.result !== null).toBe(true);
    expect(Array.isArray(answer.result)).toBe(false);
  }
  expectBounded(message, answer);
}

/** An answer is plain JSON and never much larger than the input that caused it. */
function expectBounded(message: unknown, answer: JsonRpcResponse) {
  const size = JSON.stringify(answer).length;
  expect(size, 'answer size').toBeLessThanOrEqual(2 * approximateJsonSize(message) + ANSWER_SLACK_BYTES);
}

/**
 * The size of `value` as JSON, computed without recursion (inputs nest 10,000 deep), counting
 * strings as their JSON text. Only a bound is needed, so numbers and literals are approximate.
 */
export function approximateJsonSize(value: unknown): number {
  let size = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') size += JSON.stringify(item).length;
    else if (Array.isArray(item)) {
      size += 2 + item.length;
      for (const element of item) pending.push(element);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, element] of Object.entries(item)) {
        size += JSON.stringify(key).length + 2;
        pending.push(element);
      }
      size += 2;
    } else size += 24;
  }
  return size;
}
