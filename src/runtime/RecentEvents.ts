/**
 * The latest stops and refusals of a runtime, for a dashboard: a ring buffer of the last 50 fed by
 * the runtime's own events, holding shortened ids only.
 */
import type { RuntimeEventEmitter } from './events.js';

/** One stop or refusal, as {@link RuntimeSnapshot.recent} lists it. */
export interface RecentEvent {
  /** Clock time it happened (ms). */
  readonly at: number;
  /** The runtime event it comes from. */
  readonly event: 'sessionStopped' | 'handleStopped' | 'overload' | 'handleRefused';
  /** The actor's id shortened by {@link shortId}; `undefined` when the event names none. */
  readonly id: string | undefined;
  /** The handle kind, for the handle events. */
  readonly handleKind: string | undefined;
  /** The stop reason (`idle`, `removed`, …) or the refusal reason (`overloaded`, `mailbox_full`, …). */
  readonly reason: string;
}

/** How many events are kept. */
export const RECENT_EVENTS = 50;

/**
 * An id cut to its first 8 characters and `…`: enough to tell actors apart on a screen, never
 * enough to act as one (whoever knows a whole session id can use the session). Ids of 8
 * characters or less are still cut, to 4, so that no whole id is ever shown.
 */
export function shortId(id: string): string {
  if (id === '') return '';
  return id.length > 8 ? `${id.slice(0, 8)}…` : `${id.slice(0, Math.min(4, id.length - 1))}…`;
}

/** Random bytes in a state handle's id (`<kind name>_<18 random bytes, base64url>`). @internal */
export const HANDLE_ID_RANDOM_BYTES = 18;
/** The characters of a handle id's random part (base64url of {@link HANDLE_ID_RANDOM_BYTES}). */
const HANDLE_ID_RANDOM_CHARS = Math.ceil((HANDLE_ID_RANDOM_BYTES * 4) / 3);

/**
 * An actor's id as shown ({@link shortId}). A state handle's id begins with its kind's name, which
 * the page shows beside it: its random part is shortened instead, or every handle of a kind with a
 * name of 8 characters or more would show the same `shopping…`.
 */
export function displayId(kind: string, id: string): string {
  return shortId(
    kind === 'handle' && id.length > HANDLE_ID_RANDOM_CHARS ? id.slice(-HANDLE_ID_RANDOM_CHARS) : id,
  );
}

/** @internal */
export class RecentEvents {
  private readonly ring: (RecentEvent | undefined)[] = new Array(RECENT_EVENTS);
  private next = 0;
  private size = 0;

  constructor(events: RuntimeEventEmitter, now: () => number) {
    events.on('sessionStopped', ({ sessionId, reason }) =>
      this.push({
        at: now(),
        event: 'sessionStopped',
        id: shortId(sessionId),
        handleKind: undefined,
        reason,
      }),
    );
    events.on('handleStopped', ({ kind, handleId, reason }) =>
      this.push({
        at: now(),
        event: 'handleStopped',
        id: displayId('handle', handleId),
        handleKind: kind,
        reason,
      }),
    );
    events.on('overload', ({ sessionId, reason }) =>
      this.push({
        at: now(),
        event: 'overload',
        id: sessionId === '' ? undefined : shortId(sessionId),
        handleKind: undefined,
        reason,
      }),
    );
    events.on('handleRefused', ({ kind, reason }) =>
      this.push({ at: now(), event: 'handleRefused', id: undefined, handleKind: kind, reason }),
    );
  }

  private push(event: RecentEvent): void {
    this.ring[this.next] = event;
    this.next = (this.next + 1) % RECENT_EVENTS;
    if (this.size < RECENT_EVENTS) this.size++;
  }

  /** The kept events, newest first. */
  list(): RecentEvent[] {
    const out: RecentEvent[] = [];
    for (let i = 1; i <= this.size; i++) {
      out.push(this.ring[(this.next - i + RECENT_EVENTS) % RECENT_EVENTS] as RecentEvent);
    }
    return out;
  }
}
