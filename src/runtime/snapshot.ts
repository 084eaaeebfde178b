/**
 * `runtime.snapshot()`: what a dashboard shows of a runtime, built in one pass over its live
 * actors. Counts by state for all of them, and a bounded page (the `limit` most recently active)
 * with what an operator needs to read a row: state, client, age, idle time left, load. Never a
 * whole id, never a payload. The page is kept by a bounded min-heap, so a runtime of n actors costs
 * O(n log limit), and only the `limit` chosen actors are described.
 */
import type { MethodLatency } from './methodLatency.js';
import type { RecentEvent } from './RecentEvents.js';
import { displayId } from './RecentEvents.js';
import type { SessionInfo } from './types.js';

/** Options of {@link SessionRuntime.snapshot}. */
export interface SnapshotOptions {
  /**
   * How many actors the page lists (the most recently active first), at most 500.
   * @default 50
   */
  readonly limit?: number;
}

/** One row of {@link RuntimeSnapshot.actors}. */
export interface ActorSummary {
  /** Which kind of keyed actor: a 2025-era session, a state handle, a task. */
  readonly kind: 'session' | 'handle' | 'task';
  /** The first 8 characters of its id and `…`, never the whole id (a session id is a credential). */
  readonly id: string;
  /** The handle kind (its definition's name), for a handle. */
  readonly handleKind: string | undefined;
  /** The session's lifecycle state, the handle's (`live`, `stopping`), or the task's status. */
  readonly state: string;
  /** True while its lifecycle actor is put away (it revives on its next lifecycle event). */
  readonly resting: boolean;
  /** The `clientInfo.name` of a session's `initialize`, cut to 64 characters. */
  readonly clientName: string | undefined;
  /** The protocol version a session negotiated. */
  readonly protocolVersion: string | undefined;
  /** Milliseconds since it started. */
  readonly ageMs: number;
  /** Milliseconds since its latest traffic or finished work. */
  readonly idleMs: number;
  /**
   * Milliseconds until its idle deadline (`idleTimeoutMs` after its latest activity; a task's ttl),
   * 0 once due (it stops when it has no work); `null` without an idle timeout.
   */
  readonly idleLeftMs: number | null;
  /** Handlers holding a slot. */
  readonly inFlight: number;
  /** Requests waiting in its mailbox. */
  readonly queued: number;
}

/** What {@link SessionRuntime.snapshot} returns. */
export interface RuntimeSnapshot {
  /** The runtime clock's time of the snapshot (ms). */
  readonly at: number;
  /** Live sessions, how many rest, and how many are in each lifecycle state. */
  readonly sessions: {
    readonly live: number;
    readonly resting: number;
    readonly byState: Readonly<Record<string, number>>;
  };
  /** Live state handles per kind, and how many of them rest. */
  readonly handles: Readonly<Record<string, { readonly live: number; readonly resting: number }>>;
  /** Live tasks, and how many are in each status. */
  readonly tasks: { readonly live: number; readonly byStatus: Readonly<Record<string, number>> };
  /** Actors of every kind whose lifecycle actor is put away. */
  readonly resting: number;
  /** Handlers holding a slot, over all sessions and sessionless requests (`metrics().inFlight`). */
  readonly inFlight: number;
  /** Requests waiting in mailboxes (`metrics().queued`). */
  readonly queued: number;
  /**
   * The request counters since the runtime started (as in `metrics()`); `rejected` sums every
   * reason. Two snapshots' difference over their `at` gives rates.
   */
  readonly requests: {
    readonly accepted: number;
    readonly completed: number;
    readonly failed: number;
    readonly cancelled: number;
    readonly rejected: number;
  };
  /**
   * Handler durations per method, slowest p99 first, recorded from the first `snapshot()` call on
   * (a runtime nobody watches does not time its handlers).
   */
  readonly methods: readonly MethodLatency[];
  /** The page: at most `limit` live actors, the most recently active first. */
  readonly actors: readonly ActorSummary[];
  /**
   * The latest 50 stops and refusals, newest first, recorded from the first `snapshot()` call on
   * (the runtime listens to its own events only once something asks).
   */
  readonly recent: readonly RecentEvent[];
}

/** What the snapshot reads of a keyed actor. @internal */
export interface SnapshotEntry {
  readonly createdAt: number;
  readonly lastActivity: number;
  readonly isResting: boolean;
  readonly live: boolean;
  readonly key: string;
  idleLeftMs(now: number): number;
  info(): SessionInfo;
}

/** A candidate for the page: the actor and what its row needs that `info()` does not give. @internal */
export interface SnapshotCandidate {
  readonly entry: SnapshotEntry;
  readonly kind: ActorSummary['kind'];
  readonly handleKind: string | undefined;
  readonly state: string;
}

/**
 * The `limit` candidates with the latest `lastActivity`: a binary min-heap on it, so that the
 * least recent kept is at the root and a newcomer costs one comparison when it is older still.
 * @internal
 */
export class RecentTop {
  private readonly heap: SnapshotCandidate[] = [];

  constructor(private readonly limit: number) {}

  offer(candidate: SnapshotCandidate): void {
    const { heap } = this;
    if (heap.length < this.limit) {
      heap.push(candidate);
      this.up(heap.length - 1);
    } else if (
      this.limit > 0 &&
      candidate.entry.lastActivity > (heap[0] as SnapshotCandidate).entry.lastActivity
    ) {
      heap[0] = candidate;
      this.down(0);
    }
  }

  /** The kept candidates, the most recently active first (ties: the youngest first). */
  sorted(): SnapshotCandidate[] {
    return this.heap.sort(
      (a, b) => b.entry.lastActivity - a.entry.lastActivity || b.entry.createdAt - a.entry.createdAt,
    );
  }

  private up(index: number): void {
    const { heap } = this;
    const item = heap[index] as SnapshotCandidate;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent] as SnapshotCandidate;
      if (above.entry.lastActivity <= item.entry.lastActivity) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = item;
  }

  private down(index: number): void {
    const { heap } = this;
    const item = heap[index] as SnapshotCandidate;
    const size = heap.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= size) break;
      const right = child + 1;
      if (
        right < size &&
        (heap[right] as SnapshotCandidate).entry.lastActivity <
          (heap[child] as SnapshotCandidate).entry.lastActivity
      )
        child = right;
      if ((heap[child] as SnapshotCandidate).entry.lastActivity >= item.entry.lastActivity) break;
      heap[index] = heap[child] as SnapshotCandidate;
      index = child;
    }
    heap[index] = item;
  }
}

/** The page size, checked: `TypeError` unless an integer from 0 to 500. @internal */
export function snapshotLimitOf(options: SnapshotOptions | undefined): number {
  const limit = options?.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 0 || limit > 500) {
    throw new TypeError(`Expected \`limit\` to be an integer from 0 to 500, got ${String(limit)}`);
  }
  return limit;
}

/** One row of the page, built only for the actors chosen. @internal */
export function summaryOf(candidate: SnapshotCandidate, now: number): ActorSummary {
  const { entry, kind } = candidate;
  const info = entry.info();
  const name = kind === 'session' ? info.clientInfo?.name : undefined;
  const idleLeft = entry.idleLeftMs(now);
  return {
    kind,
    id: displayId(kind, entry.key),
    handleKind: candidate.handleKind,
    state: candidate.state,
    resting: entry.isResting,
    clientName: typeof name === 'string' ? name.slice(0, 64) : undefined,
    protocolVersion: kind === 'session' ? info.protocolVersion : undefined,
    ageMs: now - entry.createdAt,
    idleMs: now - entry.lastActivity,
    idleLeftMs: Number.isFinite(idleLeft) ? Math.max(0, idleLeft) : null,
    inFlight: info.inFlight,
    queued: info.queued,
  };
}
