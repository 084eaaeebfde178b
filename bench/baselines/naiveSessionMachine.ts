/**
 * The naive session machine of baseline (c), the design issue 7 warns against: every message is an
 * event of the machine, and every message runs as its own invoked `fromPromise` actor (an `Actor`, a
 * mailbox and an `AbortController` each), and the idle timer is an `after` on the `idle` state, so it
 * is re-armed by re-entering the state after every message. No protocol work: the comparison is with
 * the raw chain, engine against engine.
 */
import { assign, fromPromise, setup } from 'xstate';

/** One message on its way through the naive machine. */
export interface NaiveJob {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface NaiveSessionContext {
  readonly queue: readonly NaiveJob[];
}

export type NaiveSessionEvent = { readonly type: 'message'; readonly job: NaiveJob };

/** The idle timeout the naive machine arms on every entry to `idle`: the runtime's default. */
const IDLE_TIMEOUT_MS = 30 * 60_000;

export const naiveSessionMachine = setup({
  types: {
    context: {} as NaiveSessionContext,
    events: {} as NaiveSessionEvent,
  },
  actors: {
    handleMessage: fromPromise<unknown, NaiveJob>(async ({ input }) => input.run()),
  },
  delays: { idleTimeout: IDLE_TIMEOUT_MS },
  guards: {
    hasQueued: ({ context }) => context.queue.length > 0,
  },
  actions: {
    enqueue: assign({
      queue: ({ context, event }) => [...context.queue, event.job],
    }),
    dequeue: assign({ queue: ({ context }) => context.queue.slice(1) }),
  },
}).createMachine({
  id: 'naiveSession',
  context: { queue: [] },
  initial: 'idle',
  on: { message: { actions: 'enqueue' } },
  states: {
    idle: {
      always: { guard: 'hasQueued', target: 'busy' },
      after: { idleTimeout: 'expired' },
    },
    busy: {
      invoke: {
        src: 'handleMessage',
        input: ({ context }) => context.queue[0] as NaiveJob,
        onDone: {
          target: 'idle',
          actions: [({ context, event }) => context.queue[0]?.resolve(event.output), 'dequeue'],
        },
        onError: {
          target: 'idle',
          actions: [({ context, event }) => context.queue[0]?.reject(event.error), 'dequeue'],
        },
      },
    },
    expired: { type: 'final' },
  },
});
