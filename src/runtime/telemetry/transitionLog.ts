/**
 * `createTransitionLog()`: a value for the `inspect` runtime option that keeps the latest
 * lifecycle transitions of the runtime's actors (sessions, state handles, tasks and their
 * directories) in a bounded ring, with shortened ids and no payload, so that one actor's
 * transitions can be read back, by code or on the dashboard (`dashboard: { transitions }`).
 */
import { displayId } from '../RecentEvents.js';
import type { ActorInspectionEvent } from './inspect.js';

/** The lifecycle actors the runtime inspects, by their machine's id. */
export type TransitionActorKind = 'session' | 'handle' | 'task' | 'directory';

/** An actor's status after a transition, as XState names it. */
export type TransitionActorStatus = 'active' | 'done' | 'stopped' | 'error';

/** One lifecycle transition of one actor. */
export interface ActorTransition {
  /** Its place in the log: 1 for the first transition recorded, then one more each. */
  readonly seq: number;
  /** When it was recorded: `Date.now()` (ms since the epoch). */
  readonly at: number;
  readonly kind: TransitionActorKind;
  /**
   * The actor's key (session id, handle id or task id) cut by the dashboard's `shortId`: its
   * first 8 characters and `…`, never the whole key (a session id is a credential). A directory
   * has no key: its id is its XState system id (`x:0`, `x:1`, …), which names nothing outside
   * the process.
   */
  readonly id: string;
  /** The state value before; `null` for the actor's first state. Nested values as JSON. */
  readonly from: string | null;
  /** The state value after (the same as `from` when only the status changed, as on a stop). */
  readonly to: string;
  /**
   * The type of the event that caused it (`initialize`, `remove`, `close`, `xstate.init`, …): `rest`
   * when the actor was put away (status `stopped`, value kept), `close` when it stopped idle at shutdown.
   */
  readonly event: string;
  readonly status: TransitionActorStatus;
}

/** See {@link createTransitionLog}. */
export interface TransitionLogOptions {
  /**
   * Transitions kept; the oldest goes when one more comes. An integer from 1 to 100,000; each
   * transition kept takes about 110 to 160 bytes of heap.
   * @default 200
   */
  readonly capacity?: number;
  /**
   * Which actors to record, asked once per actor with its kind and its whole key (a directory's
   * key is its system id). To watch one session: `({ key }) => key === sessionId`. A filter that
   * throws keeps nothing (the actor is not recorded; its work goes on).
   * @default every actor
   */
  readonly filter?: (actor: { readonly kind: TransitionActorKind; readonly key: string }) => boolean;
}

/** What {@link TransitionLog.entries} returns. */
export interface TransitionQuery {
  /** Only this actor's, by its shortened id as listed (`id` of {@link ActorTransition}). */
  readonly id?: string;
  /** Only this actor's, by its whole key (compared by its shortened form). */
  readonly key?: string;
  /** Only transitions recorded after this `seq`. */
  readonly after?: number;
  /**
   * At most this many, newest first.
   * @default every one kept
   */
  readonly limit?: number;
}

/** A bounded log of lifecycle transitions, fed by the `inspect` runtime option. */
export interface TransitionLog {
  /** Pass as `createSessionRuntime({ inspect })`; ignores every event but `@xstate.snapshot`. */
  readonly inspect: (event: ActorInspectionEvent) => void;
  /** Transitions kept at most. */
  readonly capacity: number;
  /** Transitions kept now. */
  readonly size: number;
  /** The kept transitions that match `query`, newest first. */
  entries(query?: TransitionQuery): ActorTransition[];
  /** Forgets every kept transition (`seq` goes on counting). */
  clear(): void;
}

/** The default {@link TransitionLogOptions.capacity}. */
export const TRANSITION_LOG_CAPACITY = 200;
const MAX_CAPACITY = 100_000;
/** A state value or event type longer than this is cut (machines name theirs in a word). */
const MAX_TEXT = 64;

const KINDS: Readonly<Record<string, TransitionActorKind>> = {
  session: 'session',
  handle: 'handle',
  task: 'task',
  directory: 'directory',
};

/** What is known of one inspected actor: held in a `WeakMap`, so it goes with the actor. */
interface Tracked {
  /** `undefined`: an actor that is not recorded (another machine, or refused by `filter`). */
  readonly kind: TransitionActorKind | undefined;
  readonly id: string;
  value: string | null;
  status: string;
  /**
   * Why the directory is about to stop this actor's lifecycle actor, told by the event it got
   * (`rest` or `retire`): the stop that follows is then logged as going to rest, or as the stop
   * at shutdown it is (`→ stopped`, `close`), instead of a bare `xstate.stop`.
   */
  stopping?: 'rest' | 'close';
}

interface SnapshotLike {
  readonly value?: unknown;
  readonly status?: unknown;
  readonly machine?: { readonly id?: unknown };
  readonly context?: { readonly sessionId?: unknown; readonly key?: unknown; readonly taskId?: unknown };
}

function cut(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}…`;
}

function stateText(value: unknown): string {
  return cut(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
}

/** The actor's whole key: its context's `sessionId`, `key` or `taskId`; a directory's system id. */
function keyOf(kind: TransitionActorKind, snapshot: SnapshotLike, actorRef: unknown): string {
  const context = snapshot.context ?? {};
  const key =
    kind === 'session'
      ? context.sessionId
      : kind === 'handle'
        ? context.key
        : kind === 'task'
          ? context.taskId
          : (actorRef as { readonly id?: unknown }).id;
  return typeof key === 'string' ? key : '';
}

/**
 * Whether `filter` keeps the actor. A filter that throws keeps nothing: it runs inside XState's
 * inspection, where a throw would fail the step that started the actor (an `initialize`).
 */
function kept(
  filter: NonNullable<TransitionLogOptions['filter']>,
  kind: TransitionActorKind,
  key: string,
): boolean {
  try {
    return Boolean(filter({ kind, key }));
  } catch {
    return false;
  }
}

/**
 * A bounded log of the lifecycle transitions of a runtime's actors: pass its `inspect` as the
 * runtime's `inspect` option, and its `entries()` list, newest first, what changed: the actor's
 * kind and shortened id, the state before and after, the event type that caused it, and when.
 * Only `@xstate.snapshot` events whose state value or status changed are recorded (an actor's
 * first state, each change, a final state, a stop); every other inspection event returns at once.
 * Nothing of a payload is kept: state values and event types are the machines' own names.
 *
 * Memory: `capacity` transitions of about 110 bytes each (160 when every transition is another
 * actor's; 200 kept: at most about 32 kB), plus a few words per live actor in a `WeakMap` that
 * goes with the actor. Time: an event that is not `@xstate.snapshot` returns after one string
 * comparison; a transition recorded costs about 150 ns.
 *
 * @throws TypeError when `capacity` is not an integer from 1 to 100,000, or `filter` is not a function.
 * @example
 * const transitions = createTransitionLog();
 * const runtime = createSessionRuntime({ tools, inspect: transitions.inspect });
 * createNodeHandler(runtime, { dashboard: { transitions } });
 * transitions.entries({ key: sessionId }); // [{ kind: 'session', from: 'initialized', to: 'ready', event: 'initialized', … }, …]
 */
export function createTransitionLog(options: TransitionLogOptions = {}): TransitionLog {
  const capacity = options.capacity ?? TRANSITION_LOG_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new TypeError(`createTransitionLog: capacity must be an integer from 1 to ${MAX_CAPACITY}`);
  }
  const { filter } = options;
  if (filter !== undefined && typeof filter !== 'function') {
    throw new TypeError('createTransitionLog: filter must be a function');
  }
  const ring: (ActorTransition | undefined)[] = new Array(capacity);
  const actors = new WeakMap<object, Tracked>();
  let next = 0;
  let size = 0;
  let seq = 0;

  const track = (actorRef: object, snapshot: SnapshotLike): Tracked => {
    const machineId = snapshot.machine?.id;
    const kind = typeof machineId === 'string' ? KINDS[machineId] : undefined;
    const key = kind === undefined ? '' : keyOf(kind, snapshot, actorRef);
    const recorded = kind !== undefined && (filter === undefined || kept(filter, kind, key));
    const tracked: Tracked = {
      kind: recorded ? kind : undefined,
      id: kind === undefined || kind === 'directory' ? key : displayId(kind, key),
      value: null,
      status: '',
    };
    actors.set(actorRef, tracked);
    return tracked;
  };

  /** The directory stops `ref`'s lifecycle actor next, because of `why`. */
  const willStop = (ref: unknown, why: 'rest' | 'close'): void => {
    const tracked = typeof ref === 'object' && ref !== null ? actors.get(ref) : undefined;
    if (tracked !== undefined) tracked.stopping = why;
  };

  /** A directory's `rest` (one actor put away) or `retire` (idle actors stopped at shutdown). */
  const directoryEvent = (sent: {
    readonly type?: unknown;
    readonly actor?: unknown;
    readonly actors?: unknown;
  }) => {
    if (sent.type === 'rest') willStop(sent.actor, 'rest');
    else if (sent.type === 'retire' && Array.isArray(sent.actors)) {
      for (const ref of sent.actors) willStop(ref, 'close');
    }
  };

  const inspect = (event: ActorInspectionEvent): void => {
    if (event.type === '@xstate.event') {
      const sent = (event as { readonly event?: { readonly type?: unknown } }).event;
      if (sent !== undefined && (sent.type === 'rest' || sent.type === 'retire')) directoryEvent(sent);
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const {
      actorRef,
      snapshot,
      event: cause,
    } = event as ActorInspectionEvent & {
      readonly snapshot?: SnapshotLike;
      readonly event?: { readonly type?: unknown };
    };
    if (typeof actorRef !== 'object' || actorRef === null || snapshot === undefined) return;
    const tracked = actors.get(actorRef) ?? track(actorRef, snapshot);
    if (tracked.kind === undefined) return;
    const status = typeof snapshot.status === 'string' ? snapshot.status : 'active';
    const { stopping } = tracked;
    // Stopped idle at shutdown, with no event through its machine: logged as the machine's own
    // stop would be.
    const value = stopping === 'close' && status === 'stopped' ? 'stopped' : stateText(snapshot.value);
    if (value === tracked.value && status === tracked.status) return;
    const causeType = status === 'stopped' && stopping !== undefined ? stopping : cause?.type;
    ring[next] = {
      seq: ++seq,
      at: Date.now(),
      kind: tracked.kind,
      id: tracked.id,
      from: tracked.value,
      to: value,
      event: typeof causeType === 'string' ? cut(causeType) : '',
      status: status as TransitionActorStatus,
    };
    next = (next + 1) % capacity;
    if (size < capacity) size++;
    tracked.value = value;
    tracked.status = status;
  };

  return {
    inspect,
    capacity,
    get size() {
      return size;
    },
    entries(query: TransitionQuery = {}): ActorTransition[] {
      const { key, id } = query;
      // A whole key is shown one way for a handle and another for any other kind.
      const handleId = key === undefined ? undefined : displayId('handle', key);
      const otherId = key === undefined ? id : displayId('session', key);
      const after = query.after ?? 0;
      const limit = query.limit ?? capacity;
      const out: ActorTransition[] = [];
      for (let i = 1; i <= size && out.length < limit; i++) {
        const transition = ring[(next - i + capacity) % capacity] as ActorTransition;
        if (transition.seq <= after) break;
        const wanted = key !== undefined && transition.kind === 'handle' ? handleId : otherId;
        if (wanted !== undefined && transition.id !== wanted) continue;
        out.push(transition);
      }
      return out;
    },
    clear() {
      ring.fill(undefined);
      next = 0;
      size = 0;
    },
  };
}
