/**
 * Holding the runtime up against the model, and the shared helpers the invariants check with. Every
 * failure is an `Error` whose message starts with the invariant's name in brackets.
 */
import { reasonOf } from '../../src/index.js';
import type { Harness, InvariantName, SentMessage } from './harness.js';
import { HANDLER_ERROR_CODE } from './harness.js';
import type { Expected, Model } from './model.js';
import { isRequestKind, queuedNow } from './model.js';
import { compareAnswer, fail as failWith, show } from './raceRun.js';

/** Throws an `Error` whose message starts with the session invariant's name in brackets. */
export const fail: (invariant: InvariantName, message: string) => never = failWith;

export const describeSent = (sent: SentMessage) => `#${sent.key} (${sent.kind} to ${sent.sessionId})`;

export function errorOf(answer: unknown): { code: number; reason: string | undefined } | undefined {
  if (typeof answer !== 'object' || answer === null || !('error' in answer)) return undefined;
  const error = (answer as { error: { code: number; message: string; data?: unknown } }).error;
  return { code: error.code, reason: reasonOf(error) };
}

/** Whether a settled answer is what the model expects. */
function matches(sent: SentMessage, expected: Expected): boolean {
  const answer = sent.answer as Record<string, unknown> | undefined;
  switch (expected.kind) {
    case 'nothing':
      return answer === undefined;
    case 'result':
      return (
        answer !== undefined &&
        'result' in answer &&
        answer.id === sent.key &&
        (sent.kind !== 'work' || (answer.result as { tag?: unknown }).tag === sent.key) &&
        (sent.kind !== 'peek' || toolTextOf(answer.result) === String(sent.key))
      );
    case 'handlerError':
      // A tool's failure is an `isError` result; a method handler's, its own JSON-RPC error.
      if (sent.kind === 'peek') {
        return (
          answer?.id === sent.key && (answer.result as { isError?: unknown } | undefined)?.isError === true
        );
      }
      return answer !== undefined && answer.id === sent.key && errorOf(answer)?.code === HANDLER_ERROR_CODE;
    case 'error': {
      const id = isRequestKind(sent.kind) || sent.kind === 'response' ? sent.key : null;
      return answer !== undefined && answer.id === id && errorOf(answer)?.reason === expected.reason;
    }
  }
}

/** The text of a tool's successful result (`undefined` for an `isError` one). */
function toolTextOf(result: unknown): string | undefined {
  const { content, isError } = result as { content?: { text?: unknown }[]; isError?: unknown };
  const text = content?.[0]?.text;
  return isError === true || typeof text !== 'string' ? undefined : text;
}

const mapState = (state: string) => (state === 'initialized' ? 'ready' : state);

/** The runtime agrees with the model: ids, mailboxes, starts, answers, events, counters. */
export function compareWithModel(model: Model, harness: Harness): void {
  const { runtime } = harness;
  for (const sessionId of model.config.sessionIds) {
    const expected = model.sessions.get(sessionId);
    const info = runtime.info(sessionId);
    if ((info === undefined) !== (expected === undefined)) {
      fail(
        'model',
        `session ${sessionId}: model says ${expected ? 'live' : 'absent'}, runtime ${show(info)}`,
      );
    }
    if (info !== undefined && expected !== undefined) {
      const actual = { state: mapState(info.state), queued: info.queued, inFlight: info.inFlight };
      const wanted = {
        state: expected.phase,
        queued: expected.mailbox.length,
        inFlight: expected.slots.length,
      };
      if (show(actual) !== show(wanted)) {
        fail('model', `session ${sessionId}: ${show(actual)}, model ${show(wanted)}`);
      }
    }
    const spawned = harness.generationOf(sessionId);
    if (spawned !== (model.spawns.get(sessionId) ?? 0)) {
      fail(
        'model',
        `session ${sessionId} started ${spawned} times, model ${model.spawns.get(sessionId) ?? 0}`,
      );
    }
    const reasons = harness.stopReasons.get(sessionId) ?? [];
    if (show(reasons) !== show(model.stops.get(sessionId) ?? [])) {
      fail(
        'model',
        `session ${sessionId} stopped ${show(reasons)}, model ${show(model.stops.get(sessionId))}`,
      );
    }
  }
  if (runtime.size !== model.sessions.size) {
    fail('model', `size ${runtime.size}, model ${model.sessions.size}`);
  }
  compareStarts('model', model, harness);
  for (const message of model.messages) {
    if (!message.delivered) continue;
    const sent = harness.sent.get(message.key);
    if (sent === undefined) fail('model', `#${message.key} was never dispatched`);
    compareAnswer(sent, message.expected, describeSent, matches);
  }
  compareCounters('model', model, harness);
  if (model.closeRequested && harness.closeSettled !== (model.directory === 'closed')) {
    fail(
      'model',
      `close() ${harness.closeSettled ? 'resolved' : 'pending'}, model: directory ${model.directory}`,
    );
  }
}

/** Per session generation, handlers started in the order the model predicts. */
export function compareStarts(invariant: InvariantName, model: Model, harness: Harness): void {
  for (const session of model.history) {
    const id = `${session.sessionId}#${session.generation}`;
    const started = (harness.runs.get(id) ?? []).map((run) => run.key);
    if (show(started) !== show(session.started)) {
      fail(invariant, `${id} started ${show(started)}, model ${show(session.started)}`);
    }
  }
}

export function compareCounters(invariant: InvariantName, model: Model, harness: Harness): void {
  const metrics = harness.runtime.metrics();
  const actual = {
    sessions: metrics.sessions,
    sessionsStarted: metrics.sessionsStarted,
    sessionsStopped: metrics.sessionsStopped,
    queued: metrics.queued,
    inFlight: metrics.inFlight,
    accepted: metrics.accepted,
    completed: metrics.completed,
    failed: metrics.failed,
    cancelled: metrics.cancelled,
    rejected: sortKeys(metrics.rejected),
  };
  const wanted = {
    sessions: model.sessions.size,
    sessionsStarted: model.counters.sessionsStarted,
    sessionsStopped: model.counters.sessionsStopped,
    queued: queuedNow(model),
    inFlight: model.handlersRunning,
    accepted: model.counters.accepted,
    completed: model.counters.completed,
    failed: model.counters.failed,
    cancelled: model.counters.cancelled,
    rejected: sortKeys(model.counters.rejected),
  };
  if (show(actual) !== show(wanted)) {
    fail(invariant, `metrics() ${show(actual)}\n      model ${show(wanted)}`);
  }
}

function sortKeys(record: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([left], [right]) => left.localeCompare(right)));
}

/** Requests a client's `notifications/cancelled` named (on the same session id). */
export function cancelledByClient(harness: Harness): ReadonlySet<number> {
  const targets = new Set<number>();
  for (const message of harness.sent.values()) {
    if (message.kind === 'cancel' && harness.sent.get(message.target)?.sessionId === message.sessionId) {
      targets.add(message.target);
    }
  }
  return targets;
}

/** A settled answer has the shape its message calls for. */
export function checkShape(
  invariant: InvariantName,
  sent: SentMessage,
  cancelled: ReadonlySet<number>,
): void {
  const answer = sent.answer as Record<string, unknown> | undefined;
  if (isRequestKind(sent.kind)) {
    const valid =
      answer !== undefined && answer.id === sent.key && ('result' in answer || errorOf(answer) !== undefined);
    // A request answers with a response of its id; `undefined` only once the client cancelled it.
    if (!valid && !(answer === undefined && cancelled.has(sent.key))) {
      fail(invariant, `${describeSent(sent)} answered ${show(answer)}`);
    }
  } else if (answer !== undefined) {
    // A notification or a client's response: nothing, or a runtime refusal (by id for a response).
    const id = sent.kind === 'response' ? sent.key : null;
    if (answer.id !== id || errorOf(answer)?.reason === undefined) {
      fail(invariant, `${describeSent(sent)} answered ${show(answer)}`);
    }
  }
}
