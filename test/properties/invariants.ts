/**
 * The invariants, each a named set of checks run after every command, once every scheduled task has
 * run (quiescence, before shutdown), and after shutdown. Each throws an `Error` naming the invariant.
 */

import {
  cancelledByClient,
  checkShape,
  compareCounters,
  compareStarts,
  compareWithModel,
  describeSent,
  errorOf,
  fail,
} from './compare.js';
import type { Harness, InvariantName } from './harness.js';
import type { Model } from './model.js';
import { isCallKind, isRequestKind } from './model.js';
import type { RunInvariant } from './raceRun.js';
import { agreesWith, assertNoViolations, show } from './raceRun.js';

export type Invariant = RunInvariant<Model, Harness, InvariantName>;

// ── The invariants ──────────────────────────────────────────────────────────────────────────

export const agreesWithModel: Invariant = agreesWith(compareWithModel);

export const oneLiveSessionPerId: Invariant = {
  name: 'oneLiveSession',
  afterCommand(model, harness) {
    assertNoViolations('oneLiveSession', harness);
    for (const sessionId of model.config.sessionIds) {
      const spawned = harness.generationOf(sessionId);
      const allowed = model.spawns.get(sessionId) ?? 0;
      if (spawned > allowed) {
        fail('oneLiveSession', `${sessionId} spawned ${spawned} times, model allows ${allowed}`);
      }
    }
  },
  atEnd(model, harness) {
    oneLiveSessionPerId.afterCommand?.(model, harness);
    for (const sessionId of model.config.sessionIds) {
      const spawned = harness.generationOf(sessionId);
      const expected = model.spawns.get(sessionId) ?? 0;
      if (spawned !== expected) {
        fail('oneLiveSession', `${sessionId} spawned ${spawned} times, model ${expected}`);
      }
    }
  },
};

export const perSessionFifo: Invariant = {
  name: 'fifo',
  afterCommand(model, harness) {
    assertNoViolations('fifo', harness);
    compareStarts('fifo', model, harness);
  },
};

/**
 * The slots a live session's ordered handlers take, by the runtime's own count: `info().inFlight`
 * counts every handler it waits for, so the interleaving ones (by the documented rule) come off.
 */
function orderedInFlight(harness: Harness, sessionId: string, inFlight: number): number {
  const runs = harness.runs.get(`${sessionId}#${harness.generationOf(sessionId)}`) ?? [];
  return inFlight - runs.filter((run) => run.interleaved && harness.holdsSlot(run)).length;
}

export const concurrencyLimit: Invariant = {
  name: 'concurrency',
  afterCommand(model, harness) {
    assertNoViolations('concurrency', harness);
    for (const sessionId of model.config.sessionIds) {
      const info = harness.runtime.info(sessionId);
      if (info === undefined) continue;
      const ordered = orderedInFlight(harness, sessionId, info.inFlight);
      if (ordered > model.config.maxConcurrentRequests) {
        fail('concurrency', `${sessionId} reports ${ordered} ordered handlers in flight`);
      }
    }
  },
};

/**
 * Work-conserving per session: a request waits only for its own session's running ordered handlers
 * (never for another session's, nor for the interleaving ones beside them, which take no slot).
 */
function checkIndependence(model: Model, harness: Harness, quiescent: boolean): void {
  for (const sessionId of model.config.sessionIds) {
    const info = harness.runtime.info(sessionId);
    if (info === undefined || info.queued === 0) continue;
    const runs = harness.runs.get(`${sessionId}#${harness.generationOf(sessionId)}`) ?? [];
    const running = runs.filter((run) => harness.holdsSlot(run));
    const ordered = orderedInFlight(harness, sessionId, info.inFlight);
    if (ordered < model.config.maxConcurrentRequests) {
      fail(
        'independence',
        `${sessionId} has ${info.queued} queued with a free slot (${ordered} ordered of ${info.inFlight} in flight)`,
      );
    }
    if (quiescent && running.some((run) => run.outcome !== 'hangs')) {
      fail('independence', `${sessionId} has requests queued behind handlers that could have finished`);
    }
  }
  if (!quiescent) return;
  // Once everything that can run has run, a request is unanswered only if its own handler hangs, or
  // if it is ordered and waits behind its own session's hung ordered handlers; never because of
  // another session, nor of interleaving handlers.
  for (const sent of harness.sent.values()) {
    if (!isCallKind(sent.kind) || sent.settled) continue;
    const run = harness.runByKey.get(sent.key);
    if (run?.outcome === 'hangs') continue;
    if (run !== undefined) fail('independence', `handler of #${sent.key} (${sent.sessionId}) never finished`);
    if (sent.kind === 'peek') {
      fail('independence', `interleaving #${sent.key} (${sent.sessionId}) is unanswered and never started`);
    }
    const runs = harness.runs.get(`${sent.sessionId}#${sent.generation}`) ?? [];
    const hung = runs.filter(
      (each) => each.outcome === 'hangs' && !each.interleaved && harness.holdsSlot(each),
    ).length;
    if (hung < model.config.maxConcurrentRequests) {
      fail(
        'independence',
        `#${sent.key} (work to ${sent.sessionId}) is unanswered though its session has a free slot`,
      );
    }
  }
}

export const crossSessionIndependence: Invariant = {
  name: 'independence',
  afterCommand: (model, harness) => checkIndependence(model, harness, false),
  atQuiescence: (model, harness) => checkIndependence(model, harness, true),
};

export const everyPromiseSettles: Invariant = {
  name: 'settles',
  afterCommand(_model, harness) {
    const cancelled = cancelledByClient(harness);
    for (const sent of harness.sent.values()) if (sent.settled) checkShape('settles', sent, cancelled);
  },
  atEnd(_model, harness) {
    const cancelled = cancelledByClient(harness);
    for (const sent of harness.sent.values()) {
      if (!sent.settled) fail('settles', `${describeSent(sent)} never settled`);
      checkShape('settles', sent, cancelled);
    }
    if (harness.closeCalls > 0 && !harness.closeSettled) fail('settles', 'close() never resolved');
  },
};

export const nothingAfterStop: Invariant = {
  name: 'nothingAfterStop',
  afterCommand(_model, harness) {
    assertNoViolations('nothingAfterStop', harness);
    for (const cancel of harness.sent.values()) {
      if (cancel.kind !== 'cancel' || !cancel.targetPending) continue;
      const target = harness.sent.get(cancel.target);
      if (target?.settled && target.answer !== undefined) {
        fail(
          'nothingAfterStop',
          `#${target.key} was cancelled by #${cancel.key} yet answered ${show(target.answer)}`,
        );
      }
    }
  },
  atEnd: (model, harness) => nothingAfterStop.afterCommand?.(model, harness),
};

export const accounting: Invariant = {
  name: 'accounting',
  afterCommand: (model, harness) => compareCounters('accounting', model, harness),
  atEnd(model, harness) {
    compareCounters('accounting', model, harness);
    const metrics = harness.runtime.metrics();
    const { accepted, completed, failed, cancelled, queued } = metrics;
    if (accepted !== completed + failed + cancelled) {
      fail(
        'accounting',
        `accepted ${accepted} ≠ completed ${completed} + failed ${failed} + cancelled ${cancelled}`,
      );
    }
    if (queued !== 0) fail('accounting', `${queued} still queued after close`);
  },
};

/** A message racing a stop is handled by a live session or refused as not found; never dropped. */
export const racingStop: Invariant = {
  name: 'racingStop',
  afterCommand(_model, harness) {
    harness.checkIdleStops();
    assertNoViolations('racingStop', harness);
    for (const sent of harness.sent.values()) {
      if (!sent.settled || errorOf(sent.answer)?.reason !== 'session_not_found') continue;
      if (sent.liveOnArrival) {
        fail('racingStop', `${describeSent(sent)} refused as not found by a live session`);
      }
    }
  },
  atEnd(model, harness) {
    racingStop.afterCommand?.(model, harness);
    const cancelled = cancelledByClient(harness);
    for (const sent of harness.sent.values()) {
      if (!isRequestKind(sent.kind)) continue;
      if (!sent.settled) fail('racingStop', `${describeSent(sent)} was dropped: never answered`);
      if (sent.answer === undefined && !cancelled.has(sent.key)) {
        fail('racingStop', `${describeSent(sent)} was dropped: answered with nothing`);
      }
    }
  },
};

/**
 * Interleaving calls (`peek`, a tool declared `interleave: true`): each starts at once, in the step
 * it reached the runtime, beside whatever its session runs, never waiting behind the ordered ones;
 * at most `mailboxCapacity` of them run at once, and one is refused `mailbox_full` only when that
 * many run.
 */
export const interleaving: Invariant = {
  name: 'interleave',
  afterCommand(_model, harness) {
    harness.checkInterleaving();
    assertNoViolations('interleave', harness);
  },
  atEnd: (model, harness) => interleaving.afterCommand?.(model, harness),
};

export const allInvariants: readonly Invariant[] = [
  agreesWithModel,
  oneLiveSessionPerId,
  perSessionFifo,
  concurrencyLimit,
  crossSessionIndependence,
  everyPromiseSettles,
  nothingAfterStop,
  accounting,
  racingStop,
  interleaving,
];
