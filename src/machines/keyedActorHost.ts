/**
 * What every keyed actor's lifecycle machine (session, state handle, task) asks its host, as the
 * guards and actions they share: one definition, each machine's `setup` spreads them in. The host
 * owns the mailbox and the timer; the machines only decide.
 */
import type { SessionStopReason } from './stopReason.js';

/** The host side every keyed actor's machine reads. */
export interface KeyedActorHost {
  /** One synchronous re-check: nothing queued, running or outbound, idle deadline passed. */
  isIdle(): boolean;
  /** Like {@link isIdle}, with a caller's threshold instead of the idle timeout. */
  isIdleFor(thresholdMs: number): boolean;
  /** True when nothing is queued, running or outbound. */
  hasNoWork(): boolean;
  /** Arms the idle timer again for the time that remains. */
  rearmIdleTimer(): void;
  /** Settles every queued request and aborts every running one; clears the timer. */
  releaseAll(reason: SessionStopReason): void;
}

interface HostArgs {
  readonly context: { readonly host: KeyedActorHost; readonly stopReason?: SessionStopReason | undefined };
  readonly event: { readonly type: string; readonly thresholdMs?: number };
}

/** The stop guards of every keyed actor's machine. */
export const keyedActorGuards = {
  isIdle: ({ context }: HostArgs) => context.host.isIdle(),
  isIdleFor: ({ context, event }: HostArgs) =>
    event.type === 'sweep' && context.host.isIdleFor(event.thresholdMs as number),
  hasNoWork: ({ context }: HostArgs) => context.host.hasNoWork(),
} as const;

/** The host actions of every keyed actor's machine. */
export const keyedActorActions = {
  rearmIdleTimer: ({ context }: HostArgs) => context.host.rearmIdleTimer(),
  releaseAll: ({ context }: HostArgs) => context.host.releaseAll(context.stopReason ?? 'removed'),
} as const;
