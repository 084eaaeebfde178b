/**
 * A keyed actor: an id in a directory, its {@link Mailbox}, its lifecycle actor (XState), one timer
 * and residency. What sessions, state handles and tasks share; what each adds is its lifecycle
 * machine, the messages that change it, and the record it keeps while it rests.
 *
 * - **The timer.** One per actor, for the next of three checks: the earliest request deadline
 *   (`requestTimeoutMs`), the idle deadline (`idleTimeoutMs`; the machine decides whether to stop)
 *   and, while the lifecycle actor is awake, the rest check (`restAfterMs`). One timer rather than
 *   one more per request: a Node timer is an object and a list insertion and removal on every
 *   message, for a deadline rarely reached.
 * - **Residency.** A quiet actor (live, no work, no traffic for `restAfterMs`) puts its lifecycle
 *   actor away and keeps a compact record instead (an idle XState actor is most of a session's
 *   heap); the next lifecycle event revives it from the record in the same synchronous step.
 *   Ordinary requests never need the lifecycle actor, so they never revive it.
 *
 * Every lifecycle machine of a keyed actor accepts the {@link KeyedActorEvent}s, reaches a final
 * state when it stops, and asks its host (this class) through the `SessionHost`-shaped guards and
 * actions (`isIdle`, `isIdleFor`, `hasNoWork`, `rearmIdleTimer`).
 */
import type { AnyActorRef } from 'xstate';
import { Mailbox } from './Mailbox.js';

/** The lifecycle events every keyed actor's machine accepts. */
export type KeyedActorEvent =
  | { readonly type: 'idle.check' }
  | { readonly type: 'sweep'; readonly thresholdMs: number }
  | { readonly type: 'remove' }
  | { readonly type: 'leaseLost' }
  | { readonly type: 'close' }
  | { readonly type: 'drained' }
  | { readonly type: 'drainExpired' };

/** What this class uses of an XState actor (an `Actor<typeof someMachine>` is one). */
export interface LifecycleActor {
  start(): unknown;
  send(event: KeyedActorEvent): void;
  getSnapshot(): { readonly status: string; readonly value: unknown };
}

/**
 * Stands in for the lifecycle actor of an actor stopped by {@link KeyedActor.stopQuietly}: one
 * shared object, stopped, that ignores events.
 */
const STOPPED_AT_REST: LifecycleActor = {
  start: () => undefined,
  send: () => undefined,
  getSnapshot: () => ({ status: 'stopped', value: 'stopped' }),
};

/**
 * @typeParam TActor the lifecycle actor's type.
 * @typeParam TRecord what the actor keeps of its lifecycle actor while resting.
 * @internal
 */
export abstract class KeyedActor<TActor extends LifecycleActor, TRecord> extends Mailbox {
  /** The lifecycle actor while awake (and after it stopped); `undefined` while resting. */
  protected awake: TActor | undefined;
  /** The resting record while resting; `undefined` while awake. */
  protected resting: TRecord | undefined;
  private idleTimer: unknown;
  /**
   * When the timer falls due, in ms after {@link Mailbox.createdAt}, or -1 when none is armed
   * (not `Infinity`: a small integer is stored in the object, any other number in a box of its own).
   */
  private timerDueAfterMs = -1;
  /** The timer's callback: a bound method is 48 bytes where an arrow property and its context are 96. */
  private readonly onIdleTimer: () => void = this.idleTimerFired.bind(this);

  /**
   * The lifecycle actor's parent: the directory's actor, the only one XState lets stop it. It
   * receives `{ type: 'rest', actor }` when this actor puts its lifecycle actor away.
   */
  protected abstract readonly parent: AnyActorRef;
  /**
   * The record to keep while resting, or `undefined` if the lifecycle actor may not rest now
   * (stopping, stopped, or in a state that has entry work).
   */
  protected abstract recordOf(actor: TActor): TRecord | undefined;
  /** A new (not started) lifecycle actor in the state and with the context `record` keeps. */
  protected abstract revive(record: TRecord): TActor;

  /** The lifecycle actor, revived first if it rests: every event for it goes through here. */
  get actor(): TActor {
    return this.awake ?? this.wake();
  }

  /** True while the lifecycle actor is put away. */
  get isResting(): boolean {
    return this.resting !== undefined && this.awake === undefined;
  }

  /** Not stopped. A resting actor is live: only its lifecycle actor is put away. */
  get live(): boolean {
    return this.awake === undefined || this.awake.getSnapshot().status === 'active';
  }

  /** Starts the lifecycle actor and the timer. */
  start(): void {
    this.actor.start();
    this.armIdleTimer();
  }

  /** Asks the lifecycle machine to drain and stop (its directory is closing). */
  close(): void {
    this.actor.send({ type: 'close' });
  }

  /**
   * In a cluster: this instance no longer holds the actor's id. It stops at once (`lease_lost`):
   * queued requests answered, running ones aborted, as on `remove`.
   */
  lose(): void {
    this.actor.send({ type: 'leaseLost' });
  }

  /**
   * Shutdown's fast path: an actor with no work stops at once, in this synchronous step, without a
   * lifecycle event of its own (one event through its machine and one done event to the directory
   * cost about 20-30 µs an actor, half a minute at 1M). The same re-check as the machine's guard
   * (`hasNoWork`) in the same step, so nothing accepted can be left in it. A resting actor is not
   * revived only to be stopped; an awake one in a state it could rest in is put to rest now and its
   * lifecycle actor pushed onto `retired`, for the directory (its parent, the only one XState lets
   * stop it) to stop with the others in one step. An actor with work, or in a state with entry work
   * (`recordOf` gives nothing), drains through its machine. `release` lets go of what the actor holds
   * (its timer, its listener). Returns whether the actor stopped.
   */
  protected stopQuietly(release: () => void, retired: LifecycleActor[]): boolean {
    if (!this.hasNoWork()) return false;
    const actor = this.awake;
    if (actor !== undefined) {
      if (actor.getSnapshot().status !== 'active') return false;
      const record = this.recordOf(actor);
      if (record === undefined) return false;
      this.resting = record;
      retired.push(actor);
    } else if (this.resting === undefined) return false;
    // The resting record stays: what the actor reports of itself is still read from it.
    this.awake = STOPPED_AT_REST as TActor;
    release();
    return true;
  }

  // ── What the lifecycle machine asks ───────────────────────────────────────────────────────

  /** True when nothing is queued or running; an actor with more kinds of work adds them. */
  hasNoWork(): boolean {
    return this.mailboxEmpty();
  }

  isIdleFor(thresholdMs: number): boolean {
    return this.hasNoWork() && this.environment.options.clock.now() - this.lastActivity >= thresholdMs;
  }

  isIdle(): boolean {
    return this.isIdleFor(this.environment.options.idleTimeoutMs);
  }

  rearmIdleTimer(): void {
    this.armIdleTimer();
  }

  /**
   * `sweepIdle`: asks the machine to stop the actor if it is idle for `thresholdMs`. A resting
   * actor that the machine's guard would refuse anyway is not revived just to be asked.
   */
  sweep(thresholdMs: number): void {
    if (this.resting !== undefined && !this.isIdleFor(thresholdMs)) return;
    this.actor.send({ type: 'sweep', thresholdMs });
  }

  /**
   * Milliseconds from `now` (a clock reading) to the idle deadline, `idleTimeoutMs` after the
   * latest activity: negative once past it, `Infinity` without an idle timeout.
   */
  idleLeftMs(now: number): number {
    return this.lastActivity + this.environment.options.idleTimeoutMs - now;
  }

  // ── The timer ─────────────────────────────────────────────────────────────────────────────

  protected watchDeadline(startedAfterMs: number): void {
    // While the lifecycle actor is awake the timer is due within `restAfterMs` anyway, so a
    // request rarely has to move it.
    const dueAfterMs = this.timerDueAfterMs;
    if (dueAfterMs < 0 || dueAfterMs > startedAfterMs + this.environment.options.requestTimeoutMs) {
      this.armIdleTimer();
    }
  }

  /** Clears the timer for good (the actor stops). */
  protected stopTimer(): void {
    if (this.idleTimer === undefined) return;
    this.environment.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /**
   * The timer fell due. Before the idle deadline the machine is not asked: its `isIdle` guard
   * could only refuse.
   */
  private idleTimerFired(): void {
    this.idleTimer = undefined;
    this.timerDueAfterMs = -1;
    const { clock, idleTimeoutMs } = this.environment.options;
    const now = clock.now();
    this.timeOutOverdue(now);
    if (!this.live) return;
    if (now - this.lastActivity < idleTimeoutMs) {
      this.restIfQuiet(now);
      this.armIdleTimer();
      return;
    }
    this.actor.send({ type: 'idle.check' });
    // A draining actor ignores idle checks, but the deadlines of its running requests still
    // need the timer.
    if (this.idleTimer === undefined && this.holders.length > 0 && this.live) this.armIdleTimer();
  }

  /**
   * (Re)arms the timer: the idle deadline, the rest check if the lifecycle actor is awake, or the
   * earliest request deadline, whichever comes first.
   */
  private armIdleTimer(): void {
    const { clock, idleTimeoutMs, restAfterMs } = this.environment.options;
    if (this.idleTimer !== undefined) {
      clock.clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      this.timerDueAfterMs = -1;
    }
    const now = clock.now();
    const idleLeft = this.lastActivity + idleTimeoutMs - now;
    // Due but not idle (work in flight): look again after a whole timeout.
    let delayMs = idleLeft > 0 ? idleLeft : idleTimeoutMs;
    if (this.awake !== undefined && restAfterMs < delayMs) {
      const restLeft = this.lastActivity + restAfterMs - now;
      delayMs = restLeft > 0 ? restLeft : restAfterMs;
    }
    if (this.holders.length > 0) {
      const deadlineLeft = this.earliestDeadlineAfterMs() - (now - this.createdAt);
      if (deadlineLeft < delayMs) delayMs = Math.max(deadlineLeft, 0);
    }
    if (!Number.isFinite(delayMs)) return;
    this.idleTimer = clock.setTimeout(this.onIdleTimer, delayMs);
    this.timerDueAfterMs = now + delayMs - this.createdAt;
  }

  // ── Residency ─────────────────────────────────────────────────────────────────────────────

  /**
   * Puts the lifecycle actor away if the actor is quiet: live in a state it may rest in, nothing
   * queued, running or outbound, and no traffic for `restAfterMs`. One synchronous step: the
   * record is written and the lifecycle actor detached before anything else can reach it, and the
   * directory (its parent) stops it.
   */
  private restIfQuiet(now: number): void {
    const actor = this.awake;
    if (actor === undefined || now - this.lastActivity < this.environment.options.restAfterMs) return;
    if (actor.getSnapshot().status !== 'active' || !this.hasNoWork()) return;
    const record = this.recordOf(actor);
    if (record === undefined) return;
    this.resting = record;
    this.awake = undefined;
    this.parent.send({ type: 'rest', actor });
  }

  /** Revives the lifecycle actor from the resting record, in the state and with the context it had. */
  private wake(): TActor {
    const actor = this.revive(this.resting as TRecord);
    this.awake = actor;
    this.resting = undefined;
    actor.start();
    // Awake again, so a rest check is due `restAfterMs` after the latest traffic: move the timer
    // from the idle deadline to it. With no timer armed we are inside its callback, revived for
    // `idle.check`, and the machine either stops the actor or re-arms.
    if (this.idleTimer !== undefined) this.armIdleTimer();
    return actor;
  }
}
