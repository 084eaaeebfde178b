/**
 * The lifecycle of one state handle (the SEP-2567 pattern: cross-request state referenced by an
 * explicit id the client passes on each call), as a table of states.
 *
 *   live ──idle.check [isIdle] / sweep [isIdleFor] / remove / leaseLost──► stopped (final)
 *     └──close──► stopping ──drained [hasNoWork] / drainExpired / leaseLost──► stopped
 *
 * Like the session machine, it sees lifecycle changes only: the calls on a handle flow through its
 * mailbox (the `host`) and never become events. `remove` is the handle's own end (a tool closed it,
 * or its creation failed); `close` is the runtime's shutdown.
 */
import { assign, setup } from 'xstate';
import type { KeyedActorHost } from './keyedActorHost.js';
import { keyedActorActions, keyedActorGuards } from './keyedActorHost.js';
import type { KeyedActorOutput, SessionStopReason } from './stopReason.js';

/** What the machine needs from the runtime side of a handle: its mailbox and timer. */
export type HandleHost = KeyedActorHost;

export interface HandleMachineInput {
  /** The handle id: the actor's key in its directory. */
  readonly key: string;
  /** The principal the handle is bound to, if any. */
  readonly owner: string | undefined;
  readonly host: HandleHost;
}

export interface HandleMachineContext extends HandleMachineInput {
  readonly stopReason: SessionStopReason | undefined;
}

export type HandleMachineEvent =
  | { readonly type: 'idle.check' }
  | { readonly type: 'sweep'; readonly thresholdMs: number }
  | { readonly type: 'remove' }
  | { readonly type: 'leaseLost' }
  | { readonly type: 'close' }
  | { readonly type: 'drained' }
  | { readonly type: 'drainExpired' };

/** The states a handle's lifecycle actor may be in. */
export type HandleMachineState = 'live' | 'stopping' | 'stopped';

export const handleMachine = setup({
  types: {
    context: {} as HandleMachineContext,
    events: {} as HandleMachineEvent,
    input: {} as HandleMachineInput,
    output: {} as KeyedActorOutput,
  },
  guards: {
    ...keyedActorGuards,
  },
  actions: {
    ...keyedActorActions,
    stopIdle: assign({ stopReason: 'idle' as const }),
    stopSwept: assign({ stopReason: 'swept' as const }),
    stopRemoved: assign({ stopReason: 'removed' as const }),
    stopLeaseLost: assign({ stopReason: 'lease_lost' as const }),
    stopClosed: assign({ stopReason: 'closed' as const }),
  },
}).createMachine({
  id: 'handle',
  context: ({ input }) => ({ key: input.key, owner: input.owner, host: input.host, stopReason: undefined }),
  initial: 'live',
  states: {
    live: {
      on: {
        'idle.check': [
          { guard: 'isIdle', target: 'stopped', actions: 'stopIdle' },
          { actions: 'rearmIdleTimer' },
        ],
        sweep: { guard: 'isIdleFor', target: 'stopped', actions: 'stopSwept' },
        remove: { target: 'stopped', actions: 'stopRemoved' },
        leaseLost: { target: 'stopped', actions: 'stopLeaseLost' },
        close: { target: 'stopping', actions: 'stopClosed' },
      },
    },
    // Draining for the runtime's `close()`: no new calls; queued and running ones may finish.
    stopping: {
      always: { guard: 'hasNoWork', target: 'stopped' },
      on: {
        drained: { guard: 'hasNoWork', target: 'stopped' },
        drainExpired: 'stopped',
        remove: 'stopped',
        leaseLost: { target: 'stopped', actions: 'stopLeaseLost' },
      },
    },
    stopped: {
      type: 'final',
      entry: 'releaseAll',
    },
  },
  output: ({ context }) => ({
    key: context.key,
    owner: context.owner,
    reason: context.stopReason ?? 'removed',
  }),
});
