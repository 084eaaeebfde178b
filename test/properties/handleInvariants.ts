/**
 * The invariants of the handle race properties, each a named set of checks run after every command,
 * once every scheduled task has run (quiescence, before shutdown), and after shutdown. Each throws
 * an `Error` whose message starts with the invariant's name in brackets. The session invariants
 * (`invariants.ts`) with handle ids as keys; `agreesWithHandleModel` holds everything up against
 * the model, the others check what they can from outside with as little of the model as they need.
 */
import { reasonOf } from '../../src/index.js';
import type { HandleHarness, HandleInvariantName, SentCall } from './handleHarness.js';
import { KIND } from './handleHarness.js';
import type { HandleExpected, HandleModel } from './handleModel.js';
import { isLive, liveHandles, principalId } from './handleModel.js';
import { closeResolved } from './handleTransitions.js';
import type { RunInvariant } from './raceRun.js';
import { agreesWith, assertNoViolations, compareAnswer, fail as failWith, show } from './raceRun.js';

export type HandleInvariant = RunInvariant<HandleModel, HandleHarness, HandleInvariantName>;

/** Throws an `Error` whose message starts with the handle invariant's name in brackets. */
export const fail: (invariant: HandleInvariantName, message: string) => never = failWith;

const describeSent = (sent: SentCall) =>
  `#${sent.key} (${sent.tool} by ${sent.principal} via ${sent.via}${sent.handleId === undefined ? '' : ` on ${sent.handleId}`})`;

// ── Reading answers ─────────────────────────────────────────────────────────────────────────

/** What an answer says, in the model's terms; `malformed` for anything a call must never get. */
type Reading =
  | { readonly kind: 'opened'; readonly id: unknown }
  | { readonly kind: 'counted'; readonly n: unknown }
  | { readonly kind: 'closed' | 'unknown' | 'failed' | 'tooMany' | 'nothing' }
  | { readonly kind: 'error'; readonly reason: string | undefined }
  | { readonly kind: 'malformed' };

interface Answer {
  readonly id?: unknown;
  readonly result?: {
    readonly content?: readonly { readonly type?: string; readonly text?: unknown }[];
    readonly structuredContent?: Readonly<Record<string, unknown>>;
    readonly isError?: boolean;
  };
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

export function read(sent: SentCall): Reading {
  const answer = sent.answer as Answer | undefined;
  if (answer === undefined) return { kind: 'nothing' };
  if (answer.id !== sent.key) return { kind: 'malformed' };
  if (answer.error !== undefined) return { kind: 'error', reason: reasonOf(answer.error) };
  const result = answer.result;
  if (result === undefined) return { kind: 'malformed' };
  const text = result.content?.[0]?.text;
  if (result.isError === true) {
    if (typeof text !== 'string') return { kind: 'malformed' };
    if (text.startsWith(`Unknown or expired \`${KIND}\` handle`)) return { kind: 'unknown' };
    if (text.includes('failed with an internal error')) return { kind: 'failed' };
    if (text.startsWith('You already hold')) return { kind: 'tooMany' };
    return { kind: 'malformed' };
  }
  const structured = result.structuredContent;
  if (sent.tool === 'open' && structured !== undefined) return { kind: 'opened', id: structured.counterId };
  if (sent.tool === 'inc' && structured !== undefined) return { kind: 'counted', n: structured.n };
  if (sent.tool === 'close' && text === 'close') return { kind: 'closed' };
  return { kind: 'malformed' };
}

function matches(harness: HandleHarness, sent: SentCall, expected: HandleExpected): boolean {
  const reading = read(sent);
  switch (expected.kind) {
    case 'opened':
      return reading.kind === 'opened' && reading.id === harness.idByOpen.get(sent.key);
    case 'counted':
      return reading.kind === 'counted' && reading.n === expected.n;
    case 'error':
      return reading.kind === 'error' && reading.reason === expected.reason;
    default:
      return reading.kind === expected.kind;
  }
}

/** Every answer a `tools/call` on a handle may get, by the documented rules. */
function allowed(harness: HandleHarness, sent: SentCall): boolean {
  const reading = read(sent);
  switch (reading.kind) {
    case 'malformed':
      return false;
    // Only a call its client cancelled (on the network or in the runtime) gets nothing.
    case 'nothing':
      return harness.cancelled.has(sent.key);
    case 'error':
      return ['overloaded', 'mailbox_full', 'shutting_down'].includes(reading.reason ?? '');
    default:
      return true;
  }
}

function checkAnswer(invariant: HandleInvariantName, harness: HandleHarness, sent: SentCall): void {
  if (!allowed(harness, sent)) fail(invariant, `${describeSent(sent)} answered ${sent.text}`);
}

// ── Against the model ───────────────────────────────────────────────────────────────────────

function compareCounters(invariant: HandleInvariantName, model: HandleModel, harness: HandleHarness): void {
  const metrics = harness.runtime.metrics().handles[KIND];
  const actual = metrics && {
    live: metrics.live,
    started: metrics.started,
    stopped: metrics.stopped,
    refused: metrics.refused,
  };
  const wanted = {
    live: liveHandles(model).length,
    started: model.counters.started,
    stopped: model.counters.stopped,
    refused: model.counters.refused,
  };
  if (show(actual) !== show(wanted)) {
    fail(invariant, `metrics().handles.${KIND} ${show(actual)}\n      model ${show(wanted)}`);
  }
}

/** Per handle, handlers started in the order the model predicts (its acceptance order). */
function compareStarts(invariant: HandleInvariantName, model: HandleModel, harness: HandleHarness): void {
  for (const handle of model.handles.values()) {
    const id = harness.idOf(handle.key);
    const started = (harness.runs.get(id) ?? []).map((run) => run.key);
    if (show(started) !== show(handle.started)) {
      fail(invariant, `handle ${handle.key} (${id}) started ${show(started)}, model ${show(handle.started)}`);
    }
  }
}

function compareStates(invariant: HandleInvariantName, model: HandleModel, harness: HandleHarness): void {
  for (const handle of model.handles.values()) {
    const view = harness.views.get(harness.idOf(handle.key));
    const value = view?.state.n;
    if (value !== handle.value) {
      fail(invariant, `handle ${handle.key} holds n = ${value}, model ${handle.value}`);
    }
  }
}

function compareWithModel(model: HandleModel, harness: HandleHarness): void {
  if (harness.minted.length !== model.counters.started) {
    fail('model', `${harness.minted.length} handles minted, model ${model.counters.started}`);
  }
  for (const handle of model.handles.values()) {
    const id = harness.idByOpen.get(handle.key);
    if (id === undefined) fail('model', `no handle was minted for open #${handle.key}`);
    if (harness.isLive(id) !== isLive(handle)) {
      fail(
        'model',
        `handle ${handle.key} (${id}) is ${harness.isLive(id) ? 'live' : 'stopped'}, model ${handle.phase}`,
      );
    }
    const reasons = harness.stopReasons.get(id) ?? [];
    const wanted = handle.stopReason === undefined ? [] : [handle.stopReason];
    if (show(reasons) !== show(wanted)) {
      fail('model', `handle ${handle.key} stopped ${show(reasons)}, model ${show(wanted)}`);
    }
  }
  compareStarts('model', model, harness);
  compareStates('model', model, harness);
  for (const call of model.calls.values()) {
    if (!call.delivered) continue;
    const sent = harness.sent.get(call.key);
    if (sent === undefined) fail('model', `#${call.key} was never sent`);
    compareAnswer(sent, call.expected, describeSent, (answered, expected) =>
      matches(harness, answered, expected),
    );
  }
  compareCounters('model', model, harness);
  if (model.closeRequested && harness.closeSettled !== closeResolved(model)) {
    fail(
      'model',
      `close() ${harness.closeSettled ? 'resolved' : 'pending'}, model ${closeResolved(model) ? 'resolved' : 'pending'}`,
    );
  }
}

/** Answers the isolation check has read already, per run (each is read once). */
const isolationChecked = new WeakMap<HandleHarness, Set<number>>();

// ── The invariants ──────────────────────────────────────────────────────────────────────────

export const agreesWithHandleModel: HandleInvariant = agreesWith(compareWithModel);

/** At most one live actor per handle id: each id minted once, well-formed, stopped at most once. */
export const oneLiveHandlePerId: HandleInvariant = {
  name: 'oneLiveHandle',
  afterCommand(_model, harness) {
    assertNoViolations('oneLiveHandle', harness);
    const live = harness.minted.filter((id) => harness.isLive(id)).length;
    const reported = harness.runtime.metrics().handles[KIND]?.live;
    if (reported !== live) {
      fail('oneLiveHandle', `metrics() reports ${reported} live handles, events say ${live}`);
    }
    const ids = [...harness.idByOpen.values()];
    if (new Set(ids).size !== ids.length) fail('oneLiveHandle', `two openings got one id: ${show(ids)}`);
  },
  atEnd(model, harness) {
    oneLiveHandlePerId.afterCommand?.(model, harness);
    const live = harness.minted.filter((id) => harness.isLive(id));
    if (live.length > 0) fail('oneLiveHandle', `${show(live)} still live after close()`);
  },
};

/**
 * An id reaches its owner's handle only: handlers run for their caller, on the id it named, owned by
 * it; a call with another principal's id (or one never minted) is answered "unknown or expired",
 * and no answer carries an id its caller does not hold.
 */
export const principalIsolation: HandleInvariant = {
  name: 'isolation',
  afterCommand(_model, harness) {
    assertNoViolations('isolation', harness);
    const checked = isolationChecked.get(harness) ?? new Set<number>();
    isolationChecked.set(harness, checked);
    for (const sent of harness.sent.values()) {
      if (!sent.settled || checked.has(sent.key)) continue;
      checked.add(sent.key);
      const caller = principalId(sent.principal);
      for (const [id, owner] of harness.ownerOf) {
        if (owner !== caller && sent.text.includes(id)) {
          fail('isolation', `${describeSent(sent)} answered ${sent.text}, with another principal’s id`);
        }
      }
      if (sent.handleId === undefined) continue;
      const foreign = !harness.ownerOf.has(sent.handleId) || harness.ownerOf.get(sent.handleId) !== caller;
      if (!foreign) continue;
      const reading = read(sent);
      const refused =
        reading.kind === 'unknown' ||
        (reading.kind === 'error' && reading.reason === 'shutting_down' && sent.afterClose) ||
        (reading.kind === 'nothing' && harness.cancelled.has(sent.key));
      if (!refused)
        fail('isolation', `${describeSent(sent)} on an id not its caller’s answered ${sent.text}`);
      if (sent.text.includes(sent.handleId))
        fail('isolation', `${describeSent(sent)} answered with the id back`);
    }
  },
};

/**
 * Per handle: handlers start in acceptance order, one at a time (the slot is held until the handler
 * returns, its handle stops, or `cancelGraceMs` after its caller cancelled it).
 */
export const perHandleFifo: HandleInvariant = {
  name: 'fifo',
  afterCommand(model, harness) {
    assertNoViolations('fifo', harness);
    compareStarts('fifo', model, harness);
  },
};

/**
 * Handles are independent: once everything that can run has run, a call is unanswered only if its
 * own handler hangs, or it waits behind a hung handler of its own handle, never because of another
 * handle.
 */
export const crossHandleIndependence: HandleInvariant = {
  name: 'independence',
  atQuiescence(_model, harness) {
    for (const sent of harness.sent.values()) {
      if (sent.settled) continue;
      const run = harness.runByKey.get(sent.key);
      if (run !== undefined) {
        if (run.outcome !== 'hangs')
          fail('independence', `the handler of ${describeSent(sent)} never finished`);
        continue;
      }
      const runs = sent.handleId === undefined ? [] : (harness.runs.get(sent.handleId) ?? []);
      if (!runs.some((other) => other.outcome === 'hangs' && harness.holdsSlot(other))) {
        fail('independence', `${describeSent(sent)} is unanswered though its handle is free`);
      }
    }
  },
};

/** Every `tools/call` answered exactly once (with its own id), every cancel settled, close() resolved. */
export const everyCallSettles: HandleInvariant = {
  name: 'settles',
  afterCommand(_model, harness) {
    for (const sent of harness.sent.values()) if (sent.settled) checkAnswer('settles', harness, sent);
  },
  atEnd(_model, harness) {
    for (const sent of harness.sent.values()) {
      if (!sent.settled) fail('settles', `${describeSent(sent)} never settled`);
      checkAnswer('settles', harness, sent);
    }
    for (const [key, cancel] of harness.cancels) {
      if (!cancel.settled) fail('settles', `cancel #${key} never settled`);
    }
    if (harness.closeCalls > 0 && !harness.closeSettled) fail('settles', 'close() never resolved');
  },
};

/** No handler starts on a stopped handle (checked as it starts); no cancelled call is answered. */
export const nothingAfterStop: HandleInvariant = {
  name: 'nothingAfterStop',
  afterCommand(_model, harness) {
    assertNoViolations('nothingAfterStop', harness);
    for (const key of harness.cancelledWhilePending) {
      const sent = harness.sent.get(key);
      if (sent?.settled && sent.answer !== undefined) {
        fail('nothingAfterStop', `${describeSent(sent)} was cancelled yet answered ${show(sent.answer)}`);
      }
    }
  },
};

/**
 * A call racing a stop (idle expiry, `ctx.handle.close()`) is served, or answered "unknown or
 * expired" if it arrived after the stop: one that reached a live handle of its caller's is never
 * answered as if the handle were gone, and none is dropped.
 */
export const racingStop: HandleInvariant = {
  name: 'racingStop',
  afterCommand(_model, harness) {
    for (const sent of harness.sent.values()) {
      if (!sent.settled || !sent.liveOnArrival) continue;
      if (read(sent).kind === 'unknown') {
        fail('racingStop', `${describeSent(sent)} reached a live handle yet was answered as unknown`);
      }
    }
  },
  atEnd(model, harness) {
    racingStop.afterCommand?.(model, harness);
    for (const sent of harness.sent.values()) {
      if (!sent.settled) fail('racingStop', `${describeSent(sent)} was dropped: never answered`);
      if (sent.answer === undefined && !harness.cancelled.has(sent.key)) {
        fail('racingStop', `${describeSent(sent)} was dropped: answered with nothing`);
      }
    }
  },
};

/**
 * Each handle's state is what its completed calls made it: its counter equals the number of
 * increments answered with a result, and those answers were 1, 2, … n (no increment lost or
 * counted twice); and equals the model's.
 */
export const stateIntegrity: HandleInvariant = {
  name: 'state',
  afterCommand(model, harness) {
    for (const [id, view] of harness.views) {
      const counted: number[] = [];
      for (const sent of harness.sent.values()) {
        if (sent.handleId !== id || !sent.settled) continue;
        const reading = read(sent);
        if (reading.kind === 'counted') counted.push(reading.n as number);
      }
      counted.sort((a, b) => a - b);
      const wanted = counted.map((_, index) => index + 1);
      if (show(counted) !== show(wanted) || view.state.n !== counted.length) {
        fail('state', `${id} holds n = ${view.state.n}, its increments answered ${show(counted)}`);
      }
    }
    compareStates('state', model, harness);
  },
};

/** `metrics().handles` agree with the model and with the events: live, started, stopped, refused. */
export const handleAccounting: HandleInvariant = {
  name: 'accounting',
  afterCommand(model, harness) {
    compareCounters('accounting', model, harness);
    const metrics = harness.runtime.metrics().handles[KIND];
    const stops: Record<string, number> = { idle: 0, removed: 0, swept: 0, closed: 0, lease_lost: 0 };
    for (const reasons of harness.stopReasons.values()) {
      for (const reason of reasons) stops[reason] = (stops[reason] ?? 0) + 1;
    }
    if (metrics?.started !== harness.minted.length || show(metrics?.stopped) !== show(stops)) {
      fail(
        'accounting',
        `metrics() ${show(metrics)}, events: ${harness.minted.length} started, stopped ${show(stops)}`,
      );
    }
  },
};

export const allHandleInvariants: readonly HandleInvariant[] = [
  agreesWithHandleModel,
  oneLiveHandlePerId,
  principalIsolation,
  perHandleFifo,
  crossHandleIndependence,
  everyCallSettles,
  nothingAfterStop,
  racingStop,
  stateIntegrity,
  handleAccounting,
];
