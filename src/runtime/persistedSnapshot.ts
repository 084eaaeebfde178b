/**
 * The one place that knows the shape of XState's persisted snapshot (what
 * `actor.getPersistedSnapshot()` returns and `createActor(machine, { snapshot })` restores; XState
 * v5, "Persistence"). A resting actor revives from it.
 *
 * Built by hand rather than through `getPersistedSnapshot`, which copies the context deeply: a
 * keyed actor's context holds its host, and the copy would walk the whole runtime. Resolving the
 * state first with `machine.resolveState` would only compute the same state nodes twice (a third
 * slower). `test/runtime/persistedSnapshot.test.ts` holds this shape against what the installed
 * XState persists, so an upgrade that changes it fails there by name; `xstate` is pinned to a
 * minor range for the same reason.
 */

/** XState's persisted snapshot of an active machine with no children and no history states. */
export interface PersistedSnapshot<TValue, TContext> {
  readonly status: 'active';
  readonly value: TValue;
  readonly output: undefined;
  readonly error: undefined;
  readonly children: Record<string, never>;
  readonly historyValue: Record<string, never>;
  readonly context: TContext;
}

/**
 * The persisted snapshot of an active machine in state `value` with `context`, for
 * `createActor(machine, { snapshot })`. Only for machines without invoked or spawned children and
 * without history states (the keyed actors' lifecycle machines have neither).
 */
export function persistedSnapshot<TValue, TContext>(
  value: TValue,
  context: TContext,
): PersistedSnapshot<TValue, TContext> {
  return {
    status: 'active',
    value,
    output: undefined,
    error: undefined,
    children: {},
    historyValue: {},
    context,
  };
}
