/**
 * The directory: the parent of every session actor, and the lifecycle of the runtime as a whole.
 *
 *   accepting ──close──► draining ──[noLiveSessions]──► closed (final)
 *
 * The id → session map is deliberately not XState state: spawning thousands of children into one
 * parent copies its `children` object on every spawn (O(N²)). Sessions are created with
 * `createActor(sessionMachine, { parent })` into a plain `Map` owned by the host (insert-if-absent,
 * one synchronous step), and tell this actor when they stop through XState's own
 * `xstate.done.actor.*` event, which the `forgetSession` action turns into a map removal.
 *
 * A session at rest (idle, nothing queued, running or outbound) gives its actor back with `rest`:
 * the directory stops that child (XState lets only a parent stop a child) and the session keeps a
 * compact record in the map until its next lifecycle event revives an actor from it. Resting is not
 * stopping: the session stays live and no done event follows.
 */
import type { AnyActorRef, DoneActorEvent } from 'xstate';
import { setup, stopChild } from 'xstate';
import type { SessionMachineOutput } from './session.machine.js';

/** What the machine needs from the runtime side of the directory. */
export interface DirectoryHost {
  /** Removes a stopped session from the map and reports it. */
  forgetSession(output: SessionMachineOutput): void;
  /** Asks every live session to drain and stop. */
  closeSessions(): void;
  /** Live sessions now. */
  liveSessions(): number;
}

export interface DirectoryMachineContext {
  readonly host: DirectoryHost;
}

export type DirectoryMachineEvent =
  | DoneActorEvent<SessionMachineOutput, 'session'>
  | { readonly type: 'rest'; readonly actor: AnyActorRef }
  | { readonly type: 'close' };

export const directoryMachine = setup({
  types: {
    context: {} as DirectoryMachineContext,
    events: {} as DirectoryMachineEvent,
    input: {} as { readonly host: DirectoryHost },
  },
  guards: {
    noLiveSessions: ({ context }) => context.host.liveSessions() === 0,
  },
  actions: {
    forgetSession: ({ context, event }) => {
      if (event.type === 'xstate.done.actor.session') context.host.forgetSession(event.output);
    },
    stopRestingSession: stopChild(({ event }) => (event as { readonly actor: AnyActorRef }).actor),
    closeSessions: ({ context }) => context.host.closeSessions(),
  },
}).createMachine({
  id: 'directory',
  context: ({ input }) => ({ host: input.host }),
  initial: 'accepting',
  on: {
    'xstate.done.actor.session': { actions: 'forgetSession' },
    rest: { actions: 'stopRestingSession' },
  },
  states: {
    accepting: {
      on: { close: 'draining' },
    },
    draining: {
      entry: 'closeSessions',
      always: { guard: 'noLiveSessions', target: 'closed' },
    },
    closed: { type: 'final' },
  },
});
