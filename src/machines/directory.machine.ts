/**
 * The directory: the parent of every keyed actor of one kind (sessions, state handles or tasks), and
 * the lifecycle of that kind as a whole.
 *
 *   accepting ──close──► draining ──[noLiveSessions]──► closed (final)
 *
 * The id → session map is deliberately not XState state: spawning thousands of children into one
 * parent copies its `children` object on every spawn (O(N²)). Sessions are created with
 * `createActor(sessionMachine, { parent })` into a plain `Map` owned by the host (insert-if-absent,
 * one synchronous step), and tell this actor when they stop through XState's own
 * `xstate.done.actor.*` event, which the `forget` action turns into a map removal.
 *
 * A session at rest (idle, nothing queued, running or outbound) gives its actor back with `rest`:
 * the directory stops that child (XState lets only a parent stop a child) and the session keeps a
 * compact record in the map until its next lifecycle event revives an actor from it. Resting is not
 * stopping: the session stays live and no done event follows.
 */
import type { AnyActorRef, DoneActorEvent } from 'xstate';
import { enqueueActions, setup, stopChild } from 'xstate';
import type { KeyedActorOutput } from './stopReason.js';

/**
 * The actor id every keyed actor's lifecycle actor is created with. One id for all: XState memoises
 * transition candidates per event type on the parent's state nodes, so a per-actor id
 * (`xstate.done.actor.x:123`) would grow that cache forever; the stopped actor's key travels in the
 * done event's output instead.
 */
export const KEYED_ACTOR_ID = 'keyed';

/** What the machine needs from the runtime side of the directory. */
export interface DirectoryHost {
  /** Removes a stopped actor from the map and reports it. */
  forget(output: KeyedActorOutput): void;
  /**
   * Asks every live actor to drain and stop; an idle one stops at once. The lifecycle actors of
   * those that stopped while awake come back to this machine (their parent) in `retire` events.
   */
  closeEntries(): void;
  /** `retire` events sent and not yet handled. */
  retiring(): number;
  /** A `retire` event was handled. */
  retired(): void;
  /** Live actors now. */
  liveEntries(): number;
}

export interface DirectoryMachineContext {
  readonly host: DirectoryHost;
}

export type DirectoryMachineEvent =
  | DoneActorEvent<KeyedActorOutput, typeof KEYED_ACTOR_ID>
  | { readonly type: 'rest'; readonly actor: AnyActorRef }
  | { readonly type: 'retire'; readonly actors: readonly AnyActorRef[] }
  | { readonly type: 'close' };

export const directoryMachine = setup({
  types: {
    context: {} as DirectoryMachineContext,
    events: {} as DirectoryMachineEvent,
    input: {} as { readonly host: DirectoryHost },
  },
  guards: {
    noLiveEntries: ({ context }) => context.host.liveEntries() === 0 && context.host.retiring() === 0,
  },
  actions: {
    forget: ({ context, event }) => {
      if (event.type === 'xstate.done.actor.keyed') context.host.forget(event.output);
    },
    stopResting: stopChild(({ event }) => (event as { readonly actor: AnyActorRef }).actor),
    // One event stops a batch: XState runs the stops of one macrostep from an array it shifts one
    // by one, so a single event for 1M actors would cost O(N²).
    stopRetired: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'retire') return;
      for (const actor of event.actors) enqueue.stopChild(actor);
      context.host.retired();
    }),
    closeEntries: ({ context }) => context.host.closeEntries(),
  },
}).createMachine({
  id: 'directory',
  context: ({ input }) => ({ host: input.host }),
  initial: 'accepting',
  on: {
    'xstate.done.actor.keyed': { actions: 'forget' },
    rest: { actions: 'stopResting' },
    retire: { actions: 'stopRetired' },
  },
  states: {
    accepting: {
      on: { close: 'draining' },
    },
    draining: {
      entry: 'closeEntries',
      always: { guard: 'noLiveEntries', target: 'closed' },
    },
    closed: { type: 'final' },
  },
});
