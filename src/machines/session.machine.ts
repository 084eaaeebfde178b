/**
 * The lifecycle of one MCP session (2025-era revisions), as a table of states.
 *
 *   awaitingInitialize ──initialize──► initialized ──initialized──► ready
 *          │                               │                          │
 *          └─── idle.check [isIdle] / sweep [isIdleFor] / remove / leaseLost ┴──► stopped (final)
 *                                 close ──► stopping ──drained [hasNoWork] / drainExpired──► stopped
 *
 * Ordinary messages never become events of this machine: they flow through the session's mailbox
 * (the `host`), which reads the current state to decide whether to accept them. Only lifecycle changes
 * are events, so a busy session costs no transition per message. The machine does no I/O itself; its
 * named actions ask the host, which owns the mailbox and the timers, to act.
 *
 * A quiet session may put its actor away between lifecycle events (`restAfterMs`) and revive it
 * from a persisted snapshot of `awaitingInitialize`, `initialized` or `ready`: nothing here changes
 * for that, since a restored actor runs no entry actions and those states have none.
 */
import { assign, setup } from 'xstate';
import { keyedActorActions, keyedActorGuards } from './keyedActorHost.js';
import type { KeyedActorOutput, SessionStopReason } from './stopReason.js';

export type { SessionStopReason } from './stopReason.js';

/** What the machine needs from the runtime side of a session: its mailbox and timers. */
export interface SessionHost {
  /** One synchronous re-check: mailbox empty, nothing in flight or outbound, idle deadline passed. */
  isIdle(): boolean;
  /** Like {@link isIdle}, with a caller's threshold instead of the idle timeout. */
  isIdleFor(thresholdMs: number): boolean;
  /** True when nothing is queued, in flight or outbound. */
  hasNoWork(): boolean;
  /** Arms the idle timer again for the time that remains. */
  rearmIdleTimer(): void;
  /** Stops taking new requests; queued and running ones go on. */
  beginDrain(): void;
  /** Settles every queued request and aborts every running one; clears all timers. */
  releaseAll(reason: SessionStopReason): void;
}

export interface SessionMachineContext {
  readonly sessionId: string;
  /** The principal the session is bound to (MCP security: `<user_id>:<session_id>`), if any. */
  readonly owner: string | undefined;
  readonly host: SessionHost;
  readonly protocolVersion: string | undefined;
  readonly clientInfo: Readonly<Record<string, unknown>> | undefined;
  readonly clientCapabilities: Readonly<Record<string, unknown>> | undefined;
  readonly stopReason: SessionStopReason | undefined;
  /** The minimum level of `notifications/message` the client asked for with `logging/setLevel`. */
  readonly logLevel: string | undefined;
}

export interface SessionMachineInput {
  readonly sessionId: string;
  readonly owner: string | undefined;
  readonly host: SessionHost;
}

export type SessionMachineEvent =
  | {
      readonly type: 'initialize';
      readonly protocolVersion: string;
      readonly clientInfo: Readonly<Record<string, unknown>>;
      readonly clientCapabilities: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'initialized' }
  | { readonly type: 'setLogLevel'; readonly level: string }
  | { readonly type: 'idle.check' }
  | { readonly type: 'sweep'; readonly thresholdMs: number }
  | { readonly type: 'remove' }
  | { readonly type: 'leaseLost' }
  | { readonly type: 'close' }
  | { readonly type: 'drained' }
  | { readonly type: 'drainExpired' };

/** What the machine outputs when it stops: the session id is its key. */
export type SessionMachineOutput = KeyedActorOutput;

export const sessionMachine = setup({
  types: {
    context: {} as SessionMachineContext,
    events: {} as SessionMachineEvent,
    input: {} as SessionMachineInput,
    output: {} as SessionMachineOutput,
  },
  guards: {
    ...keyedActorGuards,
  },
  actions: {
    recordHandshake: assign(({ event }) =>
      event.type === 'initialize'
        ? {
            protocolVersion: event.protocolVersion,
            clientInfo: event.clientInfo,
            clientCapabilities: event.clientCapabilities,
          }
        : {},
    ),
    recordLogLevel: assign(({ event }) => (event.type === 'setLogLevel' ? { logLevel: event.level } : {})),
    ...keyedActorActions,
    beginDrain: ({ context }) => context.host.beginDrain(),
    stopIdle: assign({ stopReason: 'idle' as const }),
    stopSwept: assign({ stopReason: 'swept' as const }),
    stopRemoved: assign({ stopReason: 'removed' as const }),
    stopLeaseLost: assign({ stopReason: 'lease_lost' as const }),
    stopClosed: assign({ stopReason: 'closed' as const }),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    sessionId: input.sessionId,
    owner: input.owner,
    host: input.host,
    protocolVersion: undefined,
    clientInfo: undefined,
    clientCapabilities: undefined,
    stopReason: undefined,
    logLevel: undefined,
  }),
  initial: 'awaitingInitialize',
  // Stop rules shared by every live state; `stopping` overrides the ones that do not apply there.
  on: {
    'idle.check': [
      { guard: 'isIdle', target: '.stopped', actions: 'stopIdle' },
      { actions: 'rearmIdleTimer' },
    ],
    sweep: { guard: 'isIdleFor', target: '.stopped', actions: 'stopSwept' },
    remove: { target: '.stopped', actions: 'stopRemoved' },
    // In a cluster: this instance lost the session's claim; it stops at once, even while draining.
    leaseLost: { target: '.stopped', actions: 'stopLeaseLost' },
    close: { target: '.stopping', actions: 'stopClosed' },
    setLogLevel: { actions: 'recordLogLevel' },
  },
  states: {
    awaitingInitialize: {
      on: { initialize: { target: 'initialized', actions: 'recordHandshake' } },
    },
    // Answered `initialize`, waiting for `notifications/initialized`. Requests are served here too:
    // over HTTP the notification and the next request travel on separate connections.
    initialized: {
      on: { initialized: 'ready' },
    },
    ready: {},
    // Draining for `close()`: no new requests; queued and running ones may finish until the deadline.
    stopping: {
      entry: 'beginDrain',
      always: { guard: 'hasNoWork', target: 'stopped' },
      on: {
        drained: { guard: 'hasNoWork', target: 'stopped' },
        drainExpired: 'stopped',
        'idle.check': {},
        sweep: {},
        close: {},
      },
    },
    stopped: {
      type: 'final',
      entry: 'releaseAll',
    },
  },
  output: ({ context }) => ({
    key: context.sessionId,
    owner: context.owner,
    reason: context.stopReason ?? 'removed',
  }),
});
