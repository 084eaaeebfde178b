/**
 * The handle model's transitions: the documented rules of state handles (minting under the kind's
 * limits, reaching only one's own live handle, one call at a time in acceptance order, cancellation
 * and its grace, `ctx.handle.close()`, idle expiry, the drain) restated on plain data. Each mirrors
 * one thing a client, a handler, the clock or the operator does to the real runtime.
 */
import type { StopReason } from '../../src/index.js';
import type { HandleExpected, HandleModel, ModelCall, ModelHandle } from './handleModel.js';
import { callAt, hasNoWork, isLive, liveHandles, UNKNOWN_HANDLE } from './handleModel.js';
import type { Consider } from './raceRun.js';
import { passTime } from './raceRun.js';

function settle(call: ModelCall, expected: HandleExpected): void {
  call.expected = expected;
  call.phase = 'settled';
}

// ── Delivery ──────────────────────────────────────────────────────────────────────────────────

/** The `tools/call` reaches the runtime now (through its session, or `serve`). */
export function deliverCall(model: HandleModel, call: ModelCall): void {
  call.delivered = true;
  // Once close() began, the edge refuses new requests: a draining session, or `serve`.
  if (model.directory !== 'accepting') {
    settle(call, { kind: 'error', reason: 'shutting_down' });
    return;
  }
  // A 2026 request whose signal aborted before it arrived is accepted as cancelled and never runs.
  if (call.aborted) {
    settle(call, { kind: 'nothing' });
    return;
  }
  if (call.tool === 'open') open(model, call);
  else callOnHandle(model, call);
}

/** The opening tool: a new handle under the kind's limits, the call running on it at once. */
function open(model: HandleModel, call: ModelCall): void {
  const live = liveHandles(model);
  if (live.length >= model.config.maxHandles) {
    model.counters.refused++;
    settle(call, { kind: 'error', reason: 'overloaded' });
    return;
  }
  // Unauthenticated callers share one count, as one principal (`HandleDefinition.maxPerPrincipal`).
  const held = live.filter((handle) => handle.owner === call.principal).length;
  if (held >= model.config.maxPerPrincipal) {
    model.counters.refused++;
    settle(call, { kind: 'tooMany' });
    return;
  }
  const handle: ModelHandle = {
    key: call.key,
    owner: call.principal,
    phase: 'live',
    lastActivity: model.now,
    mailbox: [],
    slot: undefined,
    accepted: [],
    started: [],
    closeRequested: false,
    value: 0,
    returned: false,
    stopReason: undefined,
  };
  model.handles.set(handle.key, handle);
  model.counters.started++;
  call.target = handle.key;
  accept(model, handle, call);
}

/** A tool that takes a handle: only its owner reaches it while it lives; then FIFO, bounded. */
function callOnHandle(model: HandleModel, call: ModelCall): void {
  const handle = call.target === UNKNOWN_HANDLE ? undefined : model.handles.get(call.target);
  // Unknown, stopped and another principal's ids are answered alike.
  if (handle === undefined || !isLive(handle) || handle.owner !== call.principal) {
    settle(call, { kind: 'unknown' });
    return;
  }
  handle.lastActivity = model.now;
  if (handle.phase === 'stopping') {
    settle(call, { kind: 'error', reason: 'shutting_down' });
    return;
  }
  if (handle.closeRequested) {
    settle(call, { kind: 'unknown' });
    return;
  }
  if (handle.mailbox.length >= model.config.mailboxCapacity) {
    settle(call, { kind: 'error', reason: 'mailbox_full' });
    return;
  }
  accept(model, handle, call);
}

function accept(model: HandleModel, handle: ModelHandle, call: ModelCall): void {
  call.phase = 'queued';
  handle.accepted.push(call.key);
  handle.mailbox.push(call.key);
  pump(model, handle);
}

/** Starts the oldest waiting call when the handle's one slot is free. */
function pump(model: HandleModel, handle: ModelHandle): void {
  if (handle.slot !== undefined) return;
  const key = handle.mailbox.shift();
  if (key === undefined) return;
  const call = callAt(model, key);
  handle.slot = key;
  handle.started.push(key);
  call.phase = 'running';
  call.holdsSlot = true;
  // The close tool calls `ctx.handle.close()` as it starts.
  if (call.tool === 'close') handle.closeRequested = true;
}

/** The runtime stops waiting for a handler: the slot comes back and the queue moves on. */
function giveBackSlot(model: HandleModel, handle: ModelHandle, call: ModelCall): void {
  call.holdsSlot = false;
  handle.slot = undefined;
  handle.lastActivity = model.now;
  pump(model, handle);
  afterWork(model, handle);
}

/** A closed handle, or one draining for `close()`, stops once nothing is queued or running. */
function afterWork(model: HandleModel, handle: ModelHandle): void {
  if (!hasNoWork(handle)) return;
  if (handle.phase === 'stopping') stop(model, handle, 'closed');
  else if (handle.phase === 'live' && handle.closeRequested) stop(model, handle, 'removed');
}

/**
 * Stops a handle: its calls still queued or running are answered (`shutting_down` when the runtime
 * closes, else "unknown or expired"); a running handler's slot is given back (nothing waits for it).
 * A handle draining for `close()` stops as `closed`, whatever ends it.
 */
function stop(model: HandleModel, handle: ModelHandle, reason: StopReason): void {
  const effective = handle.phase === 'stopping' ? 'closed' : reason;
  if (handle.slot !== undefined) callAt(model, handle.slot).holdsSlot = false;
  handle.slot = undefined;
  const answer: HandleExpected =
    effective === 'closed' ? { kind: 'error', reason: 'shutting_down' } : { kind: 'unknown' };
  for (const key of handle.accepted) {
    const call = callAt(model, key);
    if (call.phase === 'queued' || call.phase === 'running') settle(call, answer);
  }
  handle.mailbox.length = 0;
  handle.phase = 'stopped';
  handle.stopReason = effective;
  model.counters.stopped[effective]++;
  if (model.directory === 'draining' && liveHandles(model).length === 0) model.directory = 'closed';
}

// ── What clients, handlers, the clock and the operator do ─────────────────────────────────────

/**
 * The client cancels `call` (`notifications/cancelled` on its session, or its `serve` signal): a
 * queued call leaves the mailbox; a running one is answered with nothing and keeps its slot for the
 * cancel grace (or until its handler returns). A cancelled opening leaves no handle. A session
 * ignores a cancel for a request it has not received; a 2026 request aborted before it is sent is
 * never run.
 */
export function cancelCall(model: HandleModel, call: ModelCall): void {
  if (!call.delivered) {
    if (call.via === 'serve') call.aborted = true;
    return;
  }
  if (call.phase !== 'queued' && call.phase !== 'running') return;
  const handle = model.handles.get(call.target) as ModelHandle;
  if (call.phase === 'queued') {
    handle.mailbox.splice(handle.mailbox.indexOf(call.key), 1);
    settle(call, { kind: 'nothing' });
    afterWork(model, handle);
    return;
  }
  settle(call, { kind: 'nothing' });
  if (call.holdsSlot) {
    if (model.config.cancelGraceMs <= 0) giveBackSlot(model, handle, call);
    else call.graceUntil = model.now + model.config.cancelGraceMs;
  }
  if (call.tool === 'open' && isLive(handle)) stop(model, handle, 'removed');
}

/**
 * The handler of call `key` returned (its scheduled step was released). One the runtime stopped
 * waiting for (past its cancel grace, or its handle stopped) changes nothing. An opening that threw
 * leaves no handle.
 */
export function handlerReturned(model: HandleModel, key: number): void {
  const call = callAt(model, key);
  if (!call.holdsSlot) return;
  const handle = model.handles.get(call.target) as ModelHandle;
  if (call.phase === 'running') {
    if (call.outcome === 'rejects') settle(call, { kind: 'failed' });
    else if (call.tool === 'open') {
      handle.returned = true;
      settle(call, { kind: 'opened' });
    } else if (call.tool === 'inc') {
      handle.value++;
      settle(call, { kind: 'counted', n: handle.value });
    } else settle(call, { kind: 'closed' });
  }
  giveBackSlot(model, handle, call);
  if (call.tool === 'open' && call.outcome === 'rejects' && isLive(handle)) stop(model, handle, 'removed');
}

/** Offers everything time brings about: an idle stop, a slot given back after its grace, the drain deadline. */
function listDue(model: HandleModel, consider: Consider): void {
  for (const handle of liveHandles(model)) {
    if (handle.phase === 'live' && hasNoWork(handle)) {
      consider(handle.lastActivity + model.config.idleTimeoutMs, () => stop(model, handle, 'idle'));
    }
    if (handle.slot !== undefined) {
      const call = callAt(model, handle.slot);
      consider(call.graceUntil, () => giveBackSlot(model, handle, call));
    }
  }
  if (model.directory === 'draining' && model.drainDeadline !== undefined) {
    consider(model.drainDeadline, () => {
      model.drainDeadline = undefined;
      for (const handle of liveHandles(model)) stop(model, handle, 'closed');
    });
  }
}

/** Time passes: in time order, idle handles stop, graces end, the drain deadline expires. */
export function advance(model: HandleModel, ms: number): void {
  passTime(model, ms, (consider) => listDue(model, consider));
}

/** `runtime.close({ drainMs })`: no new calls; handles drain until the deadline, then stop. */
export function close(model: HandleModel, drainMs: number): void {
  model.closeRequested = true;
  if (model.directory !== 'accepting') return;
  model.directory = 'draining';
  for (const handle of liveHandles(model)) {
    handle.phase = 'stopping';
    afterWork(model, handle);
  }
  if (liveHandles(model).length === 0) {
    model.directory = 'closed';
    return;
  }
  if (drainMs <= 0) {
    for (const handle of liveHandles(model)) stop(model, handle, 'closed');
    return;
  }
  model.drainDeadline = model.now + drainMs;
}

/**
 * Whether `close()` has resolved: every handle stopped and every request that reached the runtime
 * answered (sessions and sessionless requests drain beside the handles).
 */
export function closeResolved(model: HandleModel): boolean {
  if (!model.closeRequested || liveHandles(model).length > 0) return false;
  for (const call of model.calls.values()) if (call.delivered && call.phase !== 'settled') return false;
  return true;
}
