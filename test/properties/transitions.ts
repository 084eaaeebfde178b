/**
 * The model's transitions: the runtime's documented rules (routing, the handshake, the mailbox,
 * cancellation, stops, idle expiry, close) restated on plain data. Each mirrors one thing a client,
 * an operator, a handler or the clock does to the real runtime.
 */
import type { SessionRuntimeErrorCode, StopReason } from '../../src/index.js';
import type { Expected, Model, ModelMessage, ModelSession } from './model.js';
import { hasNoWork, holdersOf, isCallKind, isRequestKind, messageAt } from './model.js';
import type { Consider } from './raceRun.js';
import { passTime } from './raceRun.js';

// ── Delivery: the runtime's routing, restated ─────────────────────────────────────────────────

function mayCreate(model: Model, message: ModelMessage): boolean {
  if (message.kind === 'response') return false;
  return model.config.spawnPolicy === 'any' || message.kind === 'initialize';
}

/** Why the directory refuses a message for an id without a live session (undefined: it spawns one). */
function spawnRefusal(model: Model, message: ModelMessage): SessionRuntimeErrorCode | undefined {
  if (model.directory !== 'accepting') return 'shutting_down';
  if (!mayCreate(model, message)) return 'session_not_found';
  if (model.sessions.size >= model.config.maxSessions) return 'overloaded';
  return undefined;
}

/** Why a live session refuses a request (undefined: it answers or accepts it). */
function requestRefusal(model: Model, session: ModelSession, message: ModelMessage) {
  // `ping` is answered in any state, out of band; `initialize` only as the first request.
  if (message.kind === 'ping') return undefined;
  if (message.kind === 'initialize') {
    return session.phase === 'awaitingInitialize' ? undefined : 'already_initialized';
  }
  if (session.phase === 'awaitingInitialize') return 'not_initialized';
  if (session.phase === 'stopping') return 'shutting_down';
  // An ordered request waits in the mailbox; an interleaving one never waits, and `mailboxCapacity`
  // bounds how many of those run at once instead.
  const waiting = message.kind === 'peek' ? holdersOf(model, session, 'peek') : session.mailbox.length;
  if (waiting >= model.config.mailboxCapacity) return 'mailbox_full';
  return undefined;
}

/** The message reaches the runtime now. */
export function deliver(model: Model, message: ModelMessage): void {
  message.delivered = true;
  let session = model.sessions.get(message.sessionId);
  if (session === undefined) {
    const refusal = spawnRefusal(model, message);
    if (refusal !== undefined) {
      refuse(model, message, refusal);
      return;
    }
    session = spawn(model, message.sessionId);
  }
  session.lastActivity = model.now;
  if (!isRequestKind(message.kind)) {
    notification(model, session, message);
    return;
  }
  const refusal = requestRefusal(model, session, message);
  if (refusal !== undefined) refuse(model, message, refusal);
  else if (isCallKind(message.kind)) accept(model, session, message);
  else {
    if (message.kind === 'initialize') session.phase = 'ready';
    settle(message, { kind: 'result' });
  }
}

function refuse(model: Model, message: ModelMessage, reason: SessionRuntimeErrorCode): void {
  model.counters.rejected[reason] = (model.counters.rejected[reason] ?? 0) + 1;
  settle(message, { kind: 'error', reason });
}

function settle(message: ModelMessage, expected: Expected): void {
  message.expected = expected;
  message.phase = 'settled';
}

function spawn(model: Model, sessionId: string): ModelSession {
  const generation = (model.spawns.get(sessionId) ?? 0) + 1;
  model.spawns.set(sessionId, generation);
  const session: ModelSession = {
    sessionId,
    generation,
    phase: 'awaitingInitialize',
    lastActivity: model.now,
    mailbox: [],
    slots: [],
    accepted: [],
    started: [],
  };
  model.sessions.set(sessionId, session);
  model.history.push(session);
  model.counters.sessionsStarted++;
  return session;
}

function accept(model: Model, session: ModelSession, message: ModelMessage): void {
  model.counters.accepted++;
  message.generation = session.generation;
  message.phase = 'queued';
  session.accepted.push(message.key);
  if (message.kind === 'peek') {
    // Interleaving: it starts now, beside whatever runs, and waits for nothing.
    start(model, session, message.key);
    return;
  }
  session.mailbox.push(message.key);
  pump(model, session);
}

function notification(model: Model, session: ModelSession, message: ModelMessage): void {
  // `notifications/initialized` moves `initialized` to `ready`, two states the model does not tell
  // apart; a client's `response` answers no outstanding request and only counts as activity.
  if (message.kind === 'cancel') cancel(model, session, message.target);
  settle(message, { kind: 'nothing' });
}

function cancel(model: Model, session: ModelSession, target: number): void {
  const request = model.messages[target - 1];
  if (request === undefined || !isCallKind(request.kind) || request.generation !== session.generation) return;
  if (request.sessionId !== session.sessionId) return;
  const running = request.phase === 'running';
  if (request.phase === 'queued') session.mailbox.splice(session.mailbox.indexOf(target), 1);
  else if (!running) return;
  model.counters.cancelled++;
  settle(request, { kind: 'nothing' });
  // A cancelled handler keeps its slot for the grace (it may be winding down after its abort).
  if (running && request.holdsSlot) {
    if (model.config.cancelGraceMs <= 0) {
      giveBackSlot(model, session, request);
      return;
    }
    request.graceUntil = model.now + model.config.cancelGraceMs;
  }
  afterWork(model, session);
}

/** The runtime stops waiting for a handler: its slot is given back and the queue moves on. */
function giveBackSlot(model: Model, session: ModelSession, message: ModelMessage): void {
  message.holdsSlot = false;
  model.handlersRunning--;
  session.slots.splice(session.slots.indexOf(message.key), 1);
  session.lastActivity = model.now;
  pump(model, session);
  afterWork(model, session);
}

/** When the slot of a started request is given back unless its handler returns first. */
const slotDeadline = (model: Model, message: ModelMessage): number =>
  Math.min(message.startedAt + model.config.requestTimeoutMs, message.graceUntil);

/** A slot's deadline passed: a request still waiting is answered `request_timeout`; the slot comes back. */
function slotExpired(model: Model, session: ModelSession, message: ModelMessage): void {
  if (message.phase === 'running') {
    model.counters.failed++;
    settle(message, { kind: 'error', reason: 'request_timeout' });
  }
  giveBackSlot(model, session, message);
}

/**
 * Starts queued requests while the session has free slots: only its ordered (`work`) handlers take
 * them; interleaving ones running beside them do not count.
 */
function pump(model: Model, session: ModelSession): void {
  while (
    holdersOf(model, session, 'work') < model.config.maxConcurrentRequests &&
    session.mailbox.length > 0
  ) {
    start(model, session, session.mailbox.shift() as number);
  }
}

/** The request's handler starts now; the runtime waits for it (`inFlight`). */
function start(model: Model, session: ModelSession, key: number): void {
  session.slots.push(key);
  session.started.push(key);
  const message = messageAt(model, key);
  message.phase = 'running';
  message.holdsSlot = true;
  message.startedAt = model.now;
  model.handlersRunning++;
}

/** A draining session stops once its last request is done. */
function afterWork(model: Model, session: ModelSession): void {
  if (session.phase === 'stopping' && hasNoWork(session)) stop(model, session, 'closed');
}

// ── Environment stimuli and API calls ─────────────────────────────────────────────────────────

/**
 * The handler of request `key` returned (its scheduled step was released). One the runtime has
 * stopped waiting for (timed out, past its cancel grace, or of a stopped session) changes nothing.
 */
export function handlerReturned(model: Model, key: number): void {
  const message = messageAt(model, key);
  if (!message.holdsSlot) return;
  const session = model.sessions.get(message.sessionId) as ModelSession;
  if (message.phase === 'running') {
    if (message.outcome === 'rejects') {
      model.counters.failed++;
      settle(message, { kind: 'handlerError' });
    } else {
      model.counters.completed++;
      settle(message, { kind: 'result' });
    }
  }
  giveBackSlot(model, session, message);
}

/**
 * Stops a session: every request it still holds is answered with an error; running handlers go on,
 * but their slots are given back (nothing waits for them any more).
 */
export function stop(model: Model, session: ModelSession, reason: StopReason): void {
  for (const key of session.slots) {
    messageAt(model, key).holdsSlot = false;
    model.handlersRunning--;
  }
  session.slots.length = 0;
  const code = reason === 'closed' ? 'shutting_down' : 'session_closed';
  for (const key of session.accepted) {
    const message = messageAt(model, key);
    if (message.phase !== 'queued' && message.phase !== 'running') continue;
    model.counters.failed++;
    settle(message, { kind: 'error', reason: code });
  }
  session.mailbox.length = 0;
  model.sessions.delete(session.sessionId);
  model.counters.sessionsStopped[reason]++;
  model.stops.set(session.sessionId, [...(model.stops.get(session.sessionId) ?? []), reason]);
  if (model.directory === 'draining' && model.sessions.size === 0) model.directory = 'closed';
}

export function remove(model: Model, sessionId: string): boolean {
  const session = model.sessions.get(sessionId);
  if (session === undefined) return false;
  stop(model, session, 'removed');
  return true;
}

export function sweepIdle(model: Model, thresholdMs: number): number {
  let stopped = 0;
  for (const session of [...model.sessions.values()]) {
    if (session.phase === 'stopping' || !hasNoWork(session)) continue;
    if (model.now - session.lastActivity < thresholdMs) continue;
    stop(model, session, 'swept');
    stopped++;
  }
  return stopped;
}

/** Offers everything time brings about: an idle stop, a slot given back, the drain deadline. */
function listDue(model: Model, consider: Consider): void {
  for (const session of model.sessions.values()) {
    if (session.phase !== 'stopping' && hasNoWork(session)) {
      consider(session.lastActivity + model.config.idleTimeoutMs, () => stop(model, session, 'idle'));
    }
    for (const key of session.slots) {
      const message = messageAt(model, key);
      consider(slotDeadline(model, message), () => slotExpired(model, session, message));
    }
  }
  if (model.directory === 'draining' && model.drainDeadline !== undefined) {
    consider(model.drainDeadline, () => {
      for (const session of [...model.sessions.values()]) stop(model, session, 'closed');
    });
  }
}

/**
 * Time passes: in time order, idle sessions stop once idle for the timeout, slots come back at
 * their request timeout or cancel grace (which may start queued requests, and let a session idle
 * or drain), and a close's drain deadline expires.
 */
export function advance(model: Model, ms: number): void {
  passTime(model, ms, (consider) => listDue(model, consider));
}

/** `close({ drainMs })`: refuse new sessions, let running and queued requests finish until the deadline. */
export function close(model: Model, drainMs: number): void {
  model.closeRequested = true;
  if (model.directory !== 'accepting') return;
  model.directory = 'draining';
  for (const session of [...model.sessions.values()]) {
    session.phase = 'stopping';
    afterWork(model, session);
  }
  if (model.sessions.size === 0) {
    model.directory = 'closed';
    return;
  }
  if (drainMs <= 0) {
    for (const session of [...model.sessions.values()]) stop(model, session, 'closed');
    return;
  }
  model.drainDeadline = model.now + drainMs;
}
