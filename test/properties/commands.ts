/**
 * The commands fast-check draws: what clients and operators do to a runtime. Each acts on the model
 * and on the real runtime alike; `race.ts` compares the two before and after each one.
 */
import fc from 'fast-check';
import type { Harness } from './harness.js';
import type { HandlerOutcome, MessageKind, Model, ModelMessage } from './model.js';
import { compose, isCallKind } from './model.js';
import type { RunReal } from './raceRun.js';
import { clockAndClose, drainMsOf, handlerOutcome, RunCommand, send } from './raceRun.js';
import * as model from './transitions.js';

/** What a command acts on besides the model: the harness, and how to look before and after. */
export type RaceReal = RunReal<Model, Harness>;

/** One command: a label that reads well in a counterexample, and what it does. */
class RaceCommand extends RunCommand<Model, Harness> {}

const { advanceClock, closeRuntime } = clockAndClose<Model, Harness>(model);

const via = (delayed: boolean) => (delayed ? ' via network' : '');

/** One call: ordered (`work`) or interleaving (`peek`), and what its handler does. */
export interface Call {
  readonly kind: 'work' | 'peek';
  readonly outcome: HandlerOutcome;
}

const describeCall = (call: Call) => (call.kind === 'peek' ? `peek:${call.outcome}` : call.outcome);

/**
 * Calls to one session, ordered and interleaving mixed, pipelined in one go. A client that has no
 * session (as far as it knows) opens one first, unless it skips the handshake (then the runtime must
 * refuse the requests).
 */
function sendWork(
  sessionId: string,
  calls: readonly Call[],
  delayed: boolean,
  handshake: boolean,
): RaceCommand {
  const label = `work → ${sessionId} (${calls.map(describeCall).join(', ')})${handshake ? '' : ' without handshake'}`;
  return new RaceCommand(`${label}${via(delayed)}`, (state, harness) => {
    const session = state.sessions.get(sessionId);
    const messages: ModelMessage[] = [];
    if (handshake && (session === undefined || session.phase === 'awaitingInitialize')) {
      messages.push(compose(state, sessionId, 'initialize'), compose(state, sessionId, 'initialized'));
    }
    for (const call of calls) messages.push(compose(state, sessionId, call.kind, { outcome: call.outcome }));
    send(harness, messages, delayed);
  });
}

function sendOne(kind: MessageKind, sessionId: string, delayed: boolean): RaceCommand {
  return new RaceCommand(`${kind} → ${sessionId}${via(delayed)}`, (state, harness) =>
    send(harness, [compose(state, sessionId, kind)], delayed),
  );
}

function sendCancel(sessionId: string, pick: number, delayed: boolean): RaceCommand {
  return new RaceCommand(`cancel → ${sessionId} (request ${pick})${via(delayed)}`, (state, harness) => {
    // Any request of this id not answered yet, in flight on the network or in the runtime.
    const candidates = state.messages.filter(
      (message) =>
        isCallKind(message.kind) && message.sessionId === sessionId && message.expected === undefined,
    );
    const target = candidates.length === 0 ? 0 : (candidates[pick % candidates.length] as ModelMessage).key;
    send(harness, [compose(state, sessionId, 'cancel', { target })], delayed);
  });
}

function removeSession(sessionId: string): RaceCommand {
  return new RaceCommand(`remove(${sessionId})`, (state, harness) => {
    const expected = model.remove(state, sessionId);
    const actual = harness.runtime.remove(sessionId);
    if (actual !== expected) {
      harness.violate('model', `remove(${sessionId}) returned ${actual}, model ${expected}`);
    }
  });
}

function sweepIdle(thresholdMs: number): RaceCommand {
  return new RaceCommand(`sweepIdle(${thresholdMs})`, (state, harness) => {
    const expected = model.sweepIdle(state, thresholdMs);
    const actual = harness.runtime.sweepIdle(thresholdMs);
    if (actual !== expected) harness.violate('model', `sweepIdle returned ${actual}, model ${expected}`);
  });
}

export interface CommandOptions {
  readonly sessionIds: readonly string[];
  readonly idleTimeoutMs: number;
  /** Every request to this session hangs (for cross-session independence). */
  readonly hangingSession?: string;
  readonly maxCommands: number;
}

export function raceCommands(options: CommandOptions) {
  const { idleTimeoutMs: idle, hangingSession } = options;
  const sessionId = fc.constantFrom(...options.sessionIds);
  const delayed = fc.boolean();
  const handshake = fc.oneof(
    { arbitrary: fc.constant(true), weight: 9 },
    { arbitrary: fc.constant(false), weight: 1 },
  );
  // About one call in three interleaves.
  const call = fc.record({
    kind: fc.oneof(
      { arbitrary: fc.constant<Call['kind']>('work'), weight: 2 },
      { arbitrary: fc.constant<Call['kind']>('peek'), weight: 1 },
    ),
    outcome: handlerOutcome,
  });
  const work = fc
    .tuple(sessionId, fc.array(call, { minLength: 1, maxLength: 4 }), delayed, handshake)
    .map(([id, drawn, late, opens]) =>
      sendWork(
        id,
        id === hangingSession ? drawn.map(({ kind }) => ({ kind, outcome: 'hangs' as const })) : drawn,
        late,
        opens,
      ),
    );
  const around = (ms: number) =>
    fc.oneof(fc.constantFrom(ms - 1, ms, ms + 1), fc.integer({ min: 1, max: 2 * ms }));
  const one = (kind: MessageKind) =>
    fc.tuple(sessionId, delayed).map(([id, late]) => sendOne(kind, id, late));
  const command = fc.oneof(
    { arbitrary: work, weight: 24 },
    { arbitrary: one('initialize'), weight: 4 },
    { arbitrary: one('notice'), weight: 3 },
    { arbitrary: one('ping'), weight: 2 },
    { arbitrary: one('response'), weight: 2 },
    {
      arbitrary: fc
        .tuple(sessionId, fc.nat(3), delayed)
        .map(([id, pick, late]) => sendCancel(id, pick, late)),
      weight: 8,
    },
    { arbitrary: sessionId.map(removeSession), weight: 4 },
    { arbitrary: around(idle).map(advanceClock), weight: 10 },
    { arbitrary: fc.oneof(fc.constant(0), around(idle)).map(sweepIdle), weight: 4 },
    { arbitrary: drainMsOf(idle).map(closeRuntime), weight: 1 },
  );
  // `size: 'max'` draws sequences of up to `maxCommands` (the default size stops near 10).
  return fc.commands([command], { maxCommands: options.maxCommands, size: 'max' });
}
