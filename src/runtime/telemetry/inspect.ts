/**
 * The `inspect` runtime option: XState v5's actor inspection, typed without XState's own types so
 * that they stay out of the package's public declarations.
 */

/**
 * One inspection event of XState v5 (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`,
 * `@xstate.microstep`, `@xstate.action`). Every event names its actor (`actorRef`, whose `id`
 * is `keyed` for a session, handle or task, and whose snapshot's `context` holds its key)
 * and the root of its system (`rootId`: one directory per kind); `@xstate.event` carries `event`
 * and `sourceRef`, `@xstate.snapshot` carries `snapshot` and the `event` that led to it.
 */
export interface ActorInspectionEvent {
  readonly type: string;
  readonly rootId: string;
  readonly actorRef: unknown;
}

/**
 * Receives every inspection event of the runtime's actors: a function, or an observer with `next`
 * (such as `createBrowserInspector().inspect` or `createSkyInspector().inspect` of
 * `@statelyai/inspect`). Declared with method syntax so that an observer typed with XState's own
 * `InspectionEvent` is accepted as it is.
 */
export type InspectionObserver =
  | { bivariantHandler(event: ActorInspectionEvent): void }['bivariantHandler']
  | { next?(event: ActorInspectionEvent): void };
