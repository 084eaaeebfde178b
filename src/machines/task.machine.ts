/**
 * The lifecycle of one task (the `io.modelcontextprotocol/tasks` extension, SEP-2663), as a table of
 * states. The state is the task's status on the wire:
 *
 *   working ◄──resume──► input_required
 *      │ complete / fail / cancel │
 *      ▼                          ▼
 *   completed · failed · cancelled ──idle.check [isIdle] / sweep [isIdleFor]──► stopped (final)
 *
 *   remove / leaseLost ──► stopped (from any state)
 *   close  ──► a finished task stops at once; a running one goes on (`closing`) until its work
 *              ends (then it stops) or the drain is over (`drainExpired`: stopped, and the host
 *              settles it as cancelled)
 *
 * A finished task stays for its ttl (the host's idle timeout, counted from when its work ended) so
 * that `tasks/get` finds its result; then the idle check stops it and its directory forgets it.
 * `completed`, `failed` and `cancelled` are terminal: a later outcome of the work (a handler that
 * returns after `tasks/cancel`) changes nothing. The machine does no I/O: its named actions ask the
 * host (the `Task` keyed actor) to act.
 */
import { assign, setup } from 'xstate';
import { keyedActorActions, keyedActorGuards } from './keyedActorHost.js';
import type { KeyedActorOutput, SessionStopReason } from './stopReason.js';

/** A task's status (SEP-2663, "Task Status"). */
export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** The statuses after which nothing changes. */
export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** What the machine needs from the runtime side of a task: its mailbox and timer. */
export interface TaskHost {
  /** Nothing running, and the ttl has passed since the work ended. */
  isIdle(): boolean;
  /** Like {@link isIdle}, with a caller's threshold instead of the ttl. */
  isIdleFor(thresholdMs: number): boolean;
  /** True when the work's handler holds no slot. */
  hasNoWork(): boolean;
  /** Arms the timer again for the time that remains. */
  rearmIdleTimer(): void;
  /** Cancels the running work (its signal aborts); its late outcome is dropped. */
  cancelWork(): void;
  /** Settles what is still pending and clears the timer: the task stops. */
  releaseAll(reason: SessionStopReason): void;
}

export interface TaskMachineContext {
  readonly taskId: string;
  /** The principal the task is bound to: only it may reach the task. */
  readonly owner: string | undefined;
  readonly host: TaskHost;
  readonly stopReason: SessionStopReason | undefined;
  /** `close()` was asked while the work ran: stop once it ends. */
  readonly closing: boolean;
}

export interface TaskMachineInput {
  readonly taskId: string;
  readonly owner: string | undefined;
  readonly host: TaskHost;
}

export type TaskMachineEvent =
  /** The work asked the client for input (`ctx.request`). */
  | { readonly type: 'input' }
  /** Every outstanding input request is answered. */
  | { readonly type: 'resume' }
  /** The work ended with a result (a tool's `isError` result included). */
  | { readonly type: 'complete' }
  /** The work ended with a JSON-RPC error. */
  | { readonly type: 'fail' }
  /** `tasks/cancel`, or the work's request was cancelled. */
  | { readonly type: 'cancel' }
  | { readonly type: 'idle.check' }
  | { readonly type: 'sweep'; readonly thresholdMs: number }
  | { readonly type: 'remove' }
  | { readonly type: 'leaseLost' }
  | { readonly type: 'close' }
  | { readonly type: 'drained' }
  | { readonly type: 'drainExpired' };

/** What the machine outputs when it stops: the task id is its key. */
export type TaskMachineOutput = KeyedActorOutput;

/**
 * The rules every terminal state shares: stop once the ttl has passed since the work ended, on a
 * sweep, and on `close()` (at once when nothing runs, else once the cancelled handler gives its slot
 * back or the drain is over). Outcome events are ignored: the status is final.
 */
const terminal = {
  tags: ['terminal'],
  always: { guard: 'closingWithNoWork', target: 'stopped' },
  on: {
    'idle.check': [
      { guard: 'isIdle', target: 'stopped', actions: 'stopIdle' },
      { actions: 'rearmIdleTimer' },
    ],
    sweep: { guard: 'isIdleFor', target: 'stopped', actions: 'stopSwept' },
    close: [{ guard: 'hasNoWork', target: 'stopped', actions: 'stopClosed' }, { actions: 'markClosing' }],
    drained: { guard: 'closingWithNoWork', target: 'stopped' },
    drainExpired: { target: 'stopped', actions: 'stopClosed' },
  },
} as const;

export const taskMachine = setup({
  types: {
    context: {} as TaskMachineContext,
    events: {} as TaskMachineEvent,
    input: {} as TaskMachineInput,
    output: {} as TaskMachineOutput,
  },
  guards: {
    ...keyedActorGuards,
    closingWithNoWork: ({ context }) => context.closing && context.host.hasNoWork(),
  },
  actions: {
    ...keyedActorActions,
    cancelWork: ({ context }) => context.host.cancelWork(),
    markClosing: assign({ closing: true, stopReason: 'closed' as const }),
    stopIdle: assign({ stopReason: 'idle' as const }),
    stopSwept: assign({ stopReason: 'swept' as const }),
    stopRemoved: assign({ stopReason: 'removed' as const }),
    stopLeaseLost: assign({ stopReason: 'lease_lost' as const }),
    stopClosed: assign({ stopReason: 'closed' as const }),
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({
    taskId: input.taskId,
    owner: input.owner,
    host: input.host,
    stopReason: undefined,
    closing: false,
  }),
  initial: 'working',
  on: {
    remove: { target: '.stopped', actions: 'stopRemoved' },
    leaseLost: { target: '.stopped', actions: 'stopLeaseLost' },
    // While the work runs the idle check only re-arms (the host says "not idle" anyway).
    'idle.check': { actions: 'rearmIdleTimer' },
  },
  states: {
    working: {
      on: {
        input: 'input_required',
        complete: 'completed',
        fail: 'failed',
        cancel: { target: 'cancelled', actions: 'cancelWork' },
        close: { actions: 'markClosing' },
        drainExpired: { target: 'stopped', actions: 'stopClosed' },
      },
    },
    input_required: {
      on: {
        resume: 'working',
        complete: 'completed',
        fail: 'failed',
        cancel: { target: 'cancelled', actions: 'cancelWork' },
        close: { actions: 'markClosing' },
        drainExpired: { target: 'stopped', actions: 'stopClosed' },
      },
    },
    completed: terminal,
    failed: terminal,
    cancelled: terminal,
    stopped: {
      type: 'final',
      entry: 'releaseAll',
    },
  },
  output: ({ context }) => ({
    key: context.taskId,
    owner: context.owner,
    reason: context.stopReason ?? 'removed',
  }),
});
