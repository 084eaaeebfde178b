/**
 * Why a session stopped: the one definition, which the session machine records in its output and
 * the runtime publishes as `StopReason` (in `sessionStopped` events and the `sessionsStopped`
 * metrics). It sits apart from `session.machine.ts` so that the public declarations can name it
 * without importing XState's types into a consumer's program.
 */

/**
 * Why a session stopped:
 * - `idle`: no traffic and no work for the idle timeout (`idleTimeoutMs`).
 * - `removed`: `runtime.remove(sessionId)` (a transport calls it for an HTTP `DELETE`).
 * - `swept`: `runtime.sweepIdle(thresholdMs)` found it idle for at least `thresholdMs`.
 * - `closed`: `runtime.close()` stopped it.
 * - `lease_lost`: in a cluster, this instance no longer holds the id's claim (the placement said it
 *   lost it, or `placement.holds(id)` answered false when a message arrived); the id is then
 *   answered as an unknown one.
 */
export type SessionStopReason = 'idle' | 'removed' | 'swept' | 'closed' | 'lease_lost';

/**
 * What every keyed actor's lifecycle machine (session, state handle, task) outputs when it reaches
 * its final state: the directory reads it from XState's `xstate.done.actor.keyed` event.
 */
export interface KeyedActorOutput {
  /** The actor's id in its directory. */
  readonly key: string;
  /** The principal it was bound to. */
  readonly owner: string | undefined;
  readonly reason: SessionStopReason;
}
