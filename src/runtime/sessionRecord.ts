/**
 * What a resting session keeps of its lifecycle actor, and how the actor is revived from it
 * (`KeyedActor` residency, the session's part). About a quarter of an awake session's heap.
 */
import type { SessionHost, SessionMachineContext, SessionStopReason } from '../machines/session.machine.js';
import type { PersistedSnapshot } from './persistedSnapshot.js';
import { persistedSnapshot } from './persistedSnapshot.js';

/** What the runtime reads of a session's machine context, awake or resting. */
export type SessionFacts = Pick<
  SessionMachineContext,
  'protocolVersion' | 'clientInfo' | 'clientCapabilities' | 'logLevel'
>;

/** The states a session may rest in: live, and with no drain under way. */
export type RestingState = 'awaitingInitialize' | 'initialized' | 'ready';

/** What a resting session keeps of its actor's snapshot: enough to revive the actor as it was. */
export interface RestingRecord extends SessionFacts {
  readonly value: RestingState;
}

function isRestingState(value: unknown): value is RestingState {
  return value === 'awaitingInitialize' || value === 'initialized' || value === 'ready';
}

/**
 * The session as the host of a revived actor. XState walks a restored snapshot's context through
 * every enumerable property to revive actor references; through the session itself that walk
 * would cross the whole runtime (options, requests, and Node's list of every idle timer), so the
 * revived context holds this view, whose one field is private and not enumerable.
 */
export class SessionHostView implements SessionHost {
  readonly #session: SessionHost;

  constructor(session: SessionHost) {
    this.#session = session;
  }

  isIdle(): boolean {
    return this.#session.isIdle();
  }

  isIdleFor(thresholdMs: number): boolean {
    return this.#session.isIdleFor(thresholdMs);
  }

  hasNoWork(): boolean {
    return this.#session.hasNoWork();
  }

  rearmIdleTimer(): void {
    this.#session.rearmIdleTimer();
  }

  beginDrain(): void {
    this.#session.beginDrain();
  }

  releaseAll(reason: SessionStopReason): void {
    this.#session.releaseAll(reason);
  }
}

/** The record to keep of a live session actor's snapshot, or `undefined` if it may not rest now. */
export function restingRecordOf(snapshot: {
  readonly value: unknown;
  readonly context: SessionMachineContext;
}): RestingRecord | undefined {
  const { value, context } = snapshot;
  if (!isRestingState(value)) return undefined;
  const { protocolVersion, clientInfo, clientCapabilities, logLevel } = context;
  return { value, protocolVersion, clientInfo, clientCapabilities, logLevel };
}

/** The persisted snapshot a session actor revives from: its record, with a fresh host view. */
export function revivedSnapshot(
  resting: RestingRecord,
  sessionId: string,
  owner: string | undefined,
  host: SessionHost,
): PersistedSnapshot<RestingState, SessionMachineContext> {
  return persistedSnapshot(resting.value, {
    sessionId,
    owner,
    host: new SessionHostView(host),
    protocolVersion: resting.protocolVersion,
    clientInfo: resting.clientInfo,
    clientCapabilities: resting.clientCapabilities,
    stopReason: undefined,
    logLevel: resting.logLevel,
  });
}
