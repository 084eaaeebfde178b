/**
 * The id → actor map of one kind of keyed actor, and its parent XState actor. Keyed by any id: a
 * session id today, a state handle's or a task's id in time; what differs per kind comes in
 * through a {@link DirectoryPolicy} (how to create an entry, its limits, what to report).
 *
 * Insert-if-absent is one synchronous step (`map.get` then `map.set` with no `await` between), so
 * under any interleaving of callers one id has at most one live actor.
 *
 * The stop rule (our answer to Akka's buffering and Orleans' locked re-check): an actor stops only
 * from its machine's guarded transition, which re-checks in the same synchronous step that its
 * mailbox is empty and nothing runs; the stopped actor leaves the map in that same step. So a
 * message either arrives before the check (the check fails, the timer re-arms, the message is
 * served) or after it (the id is absent: a fresh actor if the message may create one, else a
 * definitive "not found"). No message can land in a stopping mailbox and be lost.
 */
import type { Actor, AnyActorRef } from 'xstate';
import { createActor } from 'xstate';
import type { DirectoryHost } from '../machines/directory.machine.js';
import { directoryMachine } from '../machines/directory.machine.js';
import type { KeyedActorOutput, SessionStopReason } from '../machines/stopReason.js';
import type { LifecycleActor } from './KeyedActor.js';
import type { ActorKey, Placement } from './placement.js';
import { PlacementUnavailableError } from './placement.js';
import type { InspectionObserver } from './telemetry/inspect.js';
import { recordLeaseChange } from './telemetry/leaseChanges.js';

/**
 * Why the directory could not hand out an actor: no live actor with that id may be reached (and
 * none may be created), `maxEntries` or `maxPerPrincipal` reached, or the directory is closing.
 */
export type LookupRefusal = 'not_found' | 'overloaded' | 'too_many_per_principal' | 'shutting_down';

/**
 * Why a claimed creation ({@link Directory.claimed}) did not happen: another instance holds the id
 * (`claim_refused`), or the placement's store could not answer (its error).
 */
export type ClaimRefusal = 'claim_refused' | PlacementUnavailableError;

/** The placement a directory's ids are claimed on, and the namespace of its kind (`session:<id>`). */
export interface DirectoryPlacement {
  readonly placement: Placement;
  readonly kind: ActorKey['kind'];
}

/** What the directory needs of an entry (a `KeyedActor` is one). */
export interface DirectoryEntry {
  /** The entry's id in the directory. */
  readonly key: string;
  /** Not stopped. */
  readonly live: boolean;
  /** The principal the entry is bound to. */
  readonly owner: string | undefined;
  /** Starts the entry's lifecycle actor and timer; called once, right after it entered the map. */
  start(): void;
  /** Asks the entry to drain and stop (the directory is closing). */
  close(): void;
  /** Stops the entry at once (`lease_lost`): this instance no longer holds its id. */
  lose(): void;
  /**
   * Stops the entry at once if it has no work (shutdown's fast path), in one synchronous step; true
   * if it did. An entry whose lifecycle actor was awake pushes that actor onto `retired`, for the
   * directory to stop. An entry without it, or that answers false, is asked to `close()`.
   */
  stopNow?(reason: 'closed', retired: LifecycleActor[]): boolean;
}

/** What one kind of keyed actor tells its directory. */
export interface DirectoryPolicy<TEntry extends DirectoryEntry> {
  /** Live entries at most. */
  readonly maxEntries: number;
  /** Live entries per principal at most (`Infinity` for no limit). */
  readonly maxPerPrincipal: number;
  /**
   * Whether entries without an owner (unauthenticated callers) count against `maxPerPrincipal` as
   * one principal's. When false they are not limited per principal, only by `maxEntries`.
   */
  readonly anonymousIsOnePrincipal: boolean;
  /** A new entry for `key` bound to `owner`, whose lifecycle actor has `parent` as its parent. */
  create(key: string, owner: string | undefined, parent: AnyActorRef): TEntry;
  /** An entry started. */
  started(key: string): void;
  /** An entry stopped and left the map (`entry`: the one that stopped, when it was still in the map). */
  stopped(key: string, owner: string | undefined, reason: SessionStopReason, entry?: TEntry): void;
  /** An entry could not be created for `key`: a limit of `limit` was reached. */
  refused(key: string, reason: 'overloaded' | 'too_many_per_principal', limit: number): void;
  /** Receives the directory actor's inspection events (the `inspect` runtime option). */
  readonly inspect?: InspectionObserver | undefined;
}

/** Lifecycle actors stopped by one `retire` event at shutdown. */
const RETIRE_BATCH = 256;
/** How long one turn of the event loop may spend stopping retired lifecycle actors (ms). */
const RETIRE_SLICE_MS = 8;
/** Retire batches sent in the step that closes (about 8 ms of stops); any more go in the background. */
const RETIRE_AT_ONCE = 4;

/** @internal */
export class Directory<TEntry extends DirectoryEntry> implements DirectoryHost {
  private readonly entries = new Map<string, TEntry>();
  /** Live entries per principal, for `maxPerPrincipal` (`undefined`: the unauthenticated ones, if counted). */
  private readonly perOwner = new Map<string | undefined, number>();
  readonly actor: Actor<typeof directoryMachine>;
  /** `close()` was called (the machine's snapshot says so only once its step is done). */
  private closeRequested = false;
  /** `retire` events counted and not yet handled by the directory's actor. */
  private pendingRetirements = 0;
  /** Batches of lifecycle actors of entries stopped idle at shutdown, not yet sent in a `retire`. */
  private readonly toRetire: (readonly AnyActorRef[])[] = [];
  /** Resolves {@link emptied}; set while someone waits. */
  private resolveEmptied: (() => void) | undefined;
  private emptiedPromise: Promise<void> | undefined;
  /** Calls of {@link claimed} whose creator has not run yet. */
  private claimsInFlight = 0;
  /** Claims in flight, by key: a second creator of one key waits on the first's claim (in order). */
  private readonly claiming = new Map<string, Promise<boolean | PlacementUnavailableError>>();

  /**
   * @param policy what differs per kind.
   * @param cluster with a placement: ids are claimed before their actor starts
   *   ({@link Directory.claimed}), checked (`holds`) before an entry is handed out, and released
   *   when their actor stops.
   */
  constructor(
    private readonly policy: DirectoryPolicy<TEntry>,
    private readonly cluster?: DirectoryPlacement,
  ) {
    this.actor = createActor(
      directoryMachine,
      policy.inspect === undefined
        ? { input: { host: this } }
        : { input: { host: this }, inspect: policy.inspect },
    );
    this.actor.start();
  }

  /** The placement id of `key` (`<kind>:<key>`). */
  private placementId(key: string): string {
    return `${(this.cluster as DirectoryPlacement).kind}:${key}`;
  }

  get size(): number {
    return this.entries.size;
  }

  get accepting(): boolean {
    // `closeRequested` first: `close()` stops idle entries inside the machine's step, whose
    // snapshot still says `accepting` until the step ends, and a listener told of such a stop
    // must not be able to create a new entry that nothing would close.
    return !this.closeRequested && this.actor.getSnapshot().value === 'accepting';
  }

  /**
   * The live entry for `key`, if any. With a placement, an entry whose id this instance no longer
   * holds (`placement.holds`, synchronous) stops now (`lease_lost`) and counts as absent.
   */
  get(key: string): TEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.live) {
      const { cluster } = this;
      if (cluster === undefined || cluster.placement.holds(this.placementId(key))) return entry;
      // `holds` may have told the placement's `onLost` already, which stopped the entry (`lost`).
      if (entry.live) {
        recordLeaseChange('loss', cluster.kind);
        entry.lose();
      }
      return undefined;
    }
    // Stopped, and its done event is still on its way to us (we are inside one of our own
    // actions): it is gone all the same.
    this.entries.delete(key);
    return undefined;
  }

  /**
   * The placement told us it lost `key`: its live entry, if any, stops now (`lease_lost`).
   */
  lost(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.live === true) {
      if (this.cluster !== undefined) recordLeaseChange('loss', this.cluster.kind);
      entry.lose();
    }
  }

  /**
   * With a placement: claims `key` for this instance, then runs `create` (which creates the entry,
   * e.g. with {@link getOrCreate}) in the step the claim settles in. A claim left without a live
   * entry (`create` refused) is released at once. Claims of one key share one call of
   * `placement.claim`, so that creators of one key go on in the order they came. Resolves with
   * `create`'s value, `claim_refused` when another instance holds `key`, or the placement's
   * {@link PlacementUnavailableError}; never rejects. Without a placement, `create` runs at once.
   */
  claimed<T>(key: string, create: () => T): Promise<T | ClaimRefusal> {
    const { cluster } = this;
    if (cluster === undefined) return Promise.resolve(create());
    const id = this.placementId(key);
    // Counted until its creator has run: `close()` must not resolve while a creation is pending.
    this.claimsInFlight += 1;
    let claim = this.claiming.get(key);
    if (claim === undefined) {
      claim = cluster.placement.claim(id).then(
        (claimed) => {
          this.claiming.delete(key);
          return claimed;
        },
        (error: unknown) => {
          this.claiming.delete(key);
          // The contract says a placement rejects only so; anything else is read as the same.
          return error instanceof PlacementUnavailableError
            ? error
            : new PlacementUnavailableError('Placement failed', 1, { cause: error });
        },
      );
      this.claiming.set(key, claim);
    }
    return claim
      .then((claimed) => {
        if (claimed instanceof PlacementUnavailableError) return claimed;
        // Held a moment ago, and still (an earlier creator of this key may have given it back).
        if (!claimed || !cluster.placement.holds(id)) {
          recordLeaseChange('claim_refused', cluster.kind);
          return 'claim_refused';
        }
        recordLeaseChange('claim', cluster.kind);
        const created = create();
        if (this.entries.get(key) === undefined && !this.claiming.has(key)) {
          recordLeaseChange('release', cluster.kind);
          cluster.placement.release(id);
        }
        return created;
      })
      .finally(() => {
        this.claimsInFlight -= 1;
        this.checkEmptied();
      });
  }

  /** The live entry for `key` if `owner` may reach it; another principal's entry is "not found". */
  reach(key: string, owner: string | undefined): TEntry | undefined {
    const entry = this.get(key);
    return entry !== undefined && entry.owner === owner ? entry : undefined;
  }

  /**
   * Insert-if-absent: the live entry for `key`, or a new one bound to `owner` if `mayCreate` and
   * the limits allow. Another principal's entry is reported as absent and never replaced.
   */
  getOrCreate(key: string, mayCreate: boolean, owner: string | undefined): TEntry | LookupRefusal {
    const existing = this.get(key);
    // Another principal's entry is answered exactly as an unknown id would be, shutdown included,
    // or the difference would tell which ids are live.
    if (existing !== undefined && existing.owner === owner) return existing;
    if (!this.accepting) return 'shutting_down';
    if (existing !== undefined || !mayCreate) return 'not_found';
    const { policy } = this;
    if (this.entries.size >= policy.maxEntries) {
      policy.refused(key, 'overloaded', policy.maxEntries);
      return 'overloaded';
    }
    const counted = this.counts(owner);
    if (counted && (this.perOwner.get(owner) ?? 0) >= policy.maxPerPrincipal) {
      policy.refused(key, 'too_many_per_principal', policy.maxPerPrincipal);
      return 'too_many_per_principal';
    }
    const entry = policy.create(key, owner, this.actor);
    this.entries.set(key, entry);
    if (counted) this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    entry.start();
    policy.started(key);
    return entry;
  }

  /** Whether `owner`'s entries count against `maxPerPrincipal`. */
  private counts(owner: string | undefined): boolean {
    return owner !== undefined || this.policy.anonymousIsOnePrincipal;
  }

  /** Every live entry, for sweeps and shutdown. */
  values(): IterableIterator<TEntry> {
    return this.entries.values();
  }

  /** Starts shutdown: refuse new entries, drain the live ones. */
  close(): void {
    this.closeRequested = true;
    this.actor.send({ type: 'close' });
    this.checkEmptied();
  }

  /**
   * Resolves once `close()` was called, every entry has stopped and left the map (its work
   * answered, its stop reported, its id released) and no claimed creation is still pending (it is
   * refused, `shutting_down`, and its claim released, once its claim settles). The lifecycle
   * actors of entries that stopped idle may still be being released then, in the background (see
   * {@link closeEntries}); the directory's own actor reaches `closed` after the last of them.
   */
  emptied(): Promise<void> {
    this.emptiedPromise ??= new Promise<void>((resolve) => {
      this.resolveEmptied = resolve;
    });
    this.checkEmptied();
    return this.emptiedPromise;
  }

  private checkEmptied(): void {
    if (!this.closeRequested || this.entries.size > 0 || this.claimsInFlight > 0) return;
    if (this.resolveEmptied === undefined) return;
    this.resolveEmptied();
    this.resolveEmptied = undefined;
  }

  // ── DirectoryHost ─────────────────────────────────────────────────────────────────────────

  forget(output: KeyedActorOutput): void {
    const current = this.entries.get(output.key);
    // Forget the entry that stopped, never a fresh one that took its id meanwhile.
    const stopped = current !== undefined && !current.live ? current : undefined;
    if (stopped !== undefined) this.entries.delete(output.key);
    // Its claim goes back, unless a fresh entry took the id meanwhile (it holds the same claim).
    if (this.cluster !== undefined && !this.entries.has(output.key)) {
      recordLeaseChange('release', this.cluster.kind);
      this.cluster.placement.release(this.placementId(output.key));
    }
    if (this.counts(output.owner)) {
      const left = (this.perOwner.get(output.owner) ?? 1) - 1;
      if (left === 0) this.perOwner.delete(output.owner);
      else this.perOwner.set(output.owner, left);
    }
    this.policy.stopped(output.key, output.owner, output.reason, stopped);
    this.checkEmptied();
  }

  closeEntries(): void {
    const retired: LifecycleActor[] = [];
    for (const entry of [...this.entries.values()]) {
      // An idle entry stops here and now; any other drains through its machine. Either way the
      // directory forgets it once it stopped (here, or on its machine's done event).
      if (entry.stopNow?.('closed', retired) === true) {
        this.forget({ key: entry.key, owner: entry.owner, reason: 'closed' });
      } else entry.close();
    }
    // The lifecycle actors of the entries that stopped awake: the machine (their parent) stops
    // them, a batch an event. The first few batches go now (sent from inside the machine's own
    // action, they run right after it); the rest in the background. Each XState stop costs about
    // 8 µs (most of a close at 1M awake sessions), and nothing depends on it any more: the entries
    // have stopped, been reported and left the map. The background slices run on unref'd timers,
    // so they never hold the process open; the directory's actor reaches `closed` after the last.
    for (let start = 0; start < retired.length; start += RETIRE_BATCH) {
      this.pendingRetirements += 1;
      const actors = retired.slice(start, start + RETIRE_BATCH) as unknown as readonly AnyActorRef[];
      if (start < RETIRE_AT_ONCE * RETIRE_BATCH) this.actor.send({ type: 'retire', actors });
      else this.toRetire.push(actors);
    }
    if (this.toRetire.length > 0) this.scheduleRetirement();
  }

  /** Sends the next `retire` batches, for at most {@link RETIRE_SLICE_MS} a turn. */
  private scheduleRetirement(): void {
    const timer = setTimeout(() => {
      const until = performance.now() + RETIRE_SLICE_MS;
      let actors = this.toRetire.shift();
      while (actors !== undefined) {
        this.actor.send({ type: 'retire', actors });
        if (performance.now() >= until) break;
        actors = this.toRetire.shift();
      }
      if (this.toRetire.length > 0) this.scheduleRetirement();
    }, 0);
    // Node's timers: unref'd, so these never hold the process open (a runtime without `unref`, none).
    (timer as { unref?: () => void }).unref?.();
  }

  retiring(): number {
    return this.pendingRetirements;
  }

  retired(): void {
    this.pendingRetirements -= 1;
  }

  liveEntries(): number {
    return this.entries.size;
  }
}
