/**
 * The model of the state-handle race properties: plain data saying which handles exist, who owns
 * each, what each handle accepted and started, in what order, its counter's value, and what every
 * `tools/call` must be answered. `handleTransitions.ts` moves it; `handleInvariants.ts` holds the
 * runtime up against it. The session model (`model.ts`) is about session ids; this one is the same
 * rules with handle ids as keys.
 */
import type { StopReason } from '../../src/index.js';
import type { HandlerOutcome } from './model.js';
import type { RunModel } from './raceRun.js';

/** Who calls: two authenticated principals and the unauthenticated caller. */
export const principals = ['alice', 'bob', 'anon'] as const;
export type PrincipalName = (typeof principals)[number];

/** The principal's id as the runtime sees it (`undefined`: unauthenticated). */
export const principalId = (principal: PrincipalName): string | undefined =>
  principal === 'anon' ? undefined : principal;

/** Through a 2025 session (`runtime.dispatch`) or sessionless at 2026-07-28 (`runtime.serve`). */
export type Via = 'session' | 'serve';

/**
 * The tools of the scenario's `counter` handle kind: `open` creates a handle (`{ n: 0 }`), `inc`
 * reads `n`, waits for its scheduled step, then writes `n + 1`, and `close` calls
 * `ctx.handle.close()` before its step.
 */
export type ToolName = 'open' | 'inc' | 'close';

/** One run's configuration, drawn by fast-check. */
export interface HandleScenarioConfig {
  /** The kind's `idleTimeoutMs`. */
  readonly idleTimeoutMs: number;
  /** The kind's `mailboxCapacity`: calls that may wait behind the running one. */
  readonly mailboxCapacity: number;
  /** The kind's `maxHandles`. */
  readonly maxHandles: number;
  /** The kind's `maxPerPrincipal` (`Infinity`: no limit). */
  readonly maxPerPrincipal: number;
  /** The runtime's `cancelGraceMs` (0: none; `Infinity`: until the handler returns). */
  readonly cancelGraceMs: number;
}

/** What the runtime must answer a `tools/call`, once the model knows. */
export type HandleExpected =
  /** A result carrying the new handle's id in `structuredContent.counterId`. */
  | { readonly kind: 'opened' }
  /** A result with `structuredContent.n` equal to `n`. */
  | { readonly kind: 'counted'; readonly n: number }
  /** The close tool's result. */
  | { readonly kind: 'closed' }
  /** An `isError` result: unknown or expired handle. */
  | { readonly kind: 'unknown' }
  /** An `isError` result: the tool failed (its handler threw). */
  | { readonly kind: 'failed' }
  /** An `isError` result: the principal holds `maxPerPrincipal` handles. */
  | { readonly kind: 'tooMany' }
  /** A JSON-RPC error of this reason. */
  | { readonly kind: 'error'; readonly reason: 'overloaded' | 'mailbox_full' | 'shutting_down' }
  /** Nothing: the client cancelled it. */
  | { readonly kind: 'nothing' };

/** The id a call names when it names no handle the runtime minted. */
export const UNKNOWN_HANDLE = 0;

/** One `tools/call` a client sent. Its `key` is also its JSON-RPC id and its handler's tag. */
export interface ModelCall {
  readonly key: number;
  readonly principal: PrincipalName;
  readonly via: Via;
  readonly tool: ToolName;
  /** What its handler does once started. */
  readonly outcome: HandlerOutcome;
  /**
   * For `inc` and `close`: the handle named (the key of the `open` that created it), or
   * {@link UNKNOWN_HANDLE}. For `open`: the handle it created, once it did.
   */
  target: number;
  delivered: boolean;
  /** 2026 path: its signal aborted before it reached the runtime. */
  aborted: boolean;
  expected: HandleExpected | undefined;
  phase: 'unsent' | 'queued' | 'running' | 'settled';
  /** For a started call: whether its handler still holds its handle's one slot. */
  holdsSlot: boolean;
  /** For a cancelled running call: when its grace ends and its slot is given back. */
  graceUntil: number;
}

/** One handle, live or not (handle ids are never reused). */
export interface ModelHandle {
  /** The key of the `open` call that created it (its model name; the real id is minted). */
  readonly key: number;
  readonly owner: PrincipalName;
  phase: 'live' | 'stopping' | 'stopped';
  lastActivity: number;
  /** Accepted calls waiting, oldest first. */
  readonly mailbox: number[];
  /** The call holding the one slot, if any. */
  slot: number | undefined;
  /** Every call accepted, in acceptance order. */
  readonly accepted: number[];
  /** Every call whose handler started, in start order. */
  readonly started: number[];
  /** A handler called `ctx.handle.close()`: it stops once its mailbox is empty. */
  closeRequested: boolean;
  /** The counter's value: completed increments. */
  value: number;
  /** Its id was returned to its client (the `open` answered with it). */
  returned: boolean;
  stopReason: StopReason | undefined;
}

export interface HandleCounters {
  started: number;
  readonly stopped: Record<StopReason, number>;
  refused: number;
}

/** The handles as the model sees them; its configuration, clock and close state as every run model (`RunModel`). */
export interface HandleModel extends RunModel<HandleScenarioConfig> {
  /** Every handle ever created, by its key. */
  readonly handles: Map<number, ModelHandle>;
  /** Every call, by key. */
  readonly calls: Map<number, ModelCall>;
  /** Keys handed out so far (calls and cancels share them). */
  lastKey: number;
  readonly counters: HandleCounters;
  closeRequested: boolean;
}

export function createHandleModel(config: HandleScenarioConfig): HandleModel {
  return {
    config,
    now: 0,
    directory: 'accepting',
    drainDeadline: undefined,
    handles: new Map(),
    calls: new Map(),
    lastKey: 0,
    counters: {
      started: 0,
      stopped: { idle: 0, removed: 0, swept: 0, closed: 0, lease_lost: 0 },
      refused: 0,
    },
    closeRequested: false,
  };
}

/** A fresh key, for a call or a cancel. */
export const nextKey = (model: HandleModel): number => ++model.lastKey;

/** Registers a call the client is about to send; it reaches the runtime at `deliverCall`. */
export function composeCall(
  model: HandleModel,
  principal: PrincipalName,
  via: Via,
  tool: ToolName,
  outcome: HandlerOutcome,
  target: number,
): ModelCall {
  const call: ModelCall = {
    key: nextKey(model),
    principal,
    via,
    tool,
    outcome,
    target,
    delivered: false,
    aborted: false,
    expected: undefined,
    phase: 'unsent',
    holdsSlot: false,
    graceUntil: Number.POSITIVE_INFINITY,
  };
  model.calls.set(call.key, call);
  return call;
}

export function callAt(model: HandleModel, key: number): ModelCall {
  const call = model.calls.get(key);
  if (call === undefined) throw new Error(`model: no call #${key}`);
  return call;
}

export const hasNoWork = (handle: ModelHandle): boolean =>
  handle.mailbox.length === 0 && handle.slot === undefined;

export const isLive = (handle: ModelHandle): boolean => handle.phase !== 'stopped';

/** Live handles, in creation order. */
export const liveHandles = (model: HandleModel): ModelHandle[] => [...model.handles.values()].filter(isLive);

/** Handles whose id a client holds (its `open` answered with it), in creation order. */
export const returnedHandles = (model: HandleModel): ModelHandle[] =>
  [...model.handles.values()].filter((handle) => handle.returned);
