/**
 * The model: plain data saying which session ids exist, what each session has received and started,
 * in what order, and what every message must be answered. `transitions.ts` moves it; `compare.ts`
 * holds the runtime up against it after every command.
 */
import type { SessionRuntimeErrorCode, SpawnPolicy, StopReason } from '../../src/index.js';
import type { RunModel } from './raceRun.js';

export type HandlerOutcome = 'resolves' | 'rejects' | 'hangs';

/** One run's configuration, drawn by fast-check. */
export interface ScenarioConfig {
  readonly sessionIds: readonly string[];
  readonly maxConcurrentRequests: number;
  readonly mailboxCapacity: number;
  readonly maxSessions: number;
  readonly spawnPolicy: SpawnPolicy;
  readonly idleTimeoutMs: number;
  /** How long a cancelled running request keeps its slot (0: none; `Infinity`: until it returns). */
  readonly cancelGraceMs: number;
  /** When a running request is abandoned and answered `request_timeout` (`Infinity`: never). */
  readonly requestTimeoutMs: number;
}

/** What the runtime must answer a message, once the model knows. */
export type Expected =
  | { readonly kind: 'result' }
  | { readonly kind: 'handlerError' }
  | { readonly kind: 'error'; readonly reason: SessionRuntimeErrorCode }
  | { readonly kind: 'nothing' };

/**
 * `initialize`, `ping`, `work` and `peek` are requests; `initialized`, `notice` (a list-changed
 * notification) and `cancel` are notifications; `response` is a client's answer to a
 * server-initiated request. `work` runs in its session's order (FIFO, `maxConcurrentRequests`
 * slots); `peek` is a `tools/call` of an interleaving tool (`interleave: true`): it starts at once
 * beside whatever runs, holds no slot, and at most `mailboxCapacity` of them run at once.
 */
export type MessageKind =
  | 'initialize'
  | 'ping'
  | 'work'
  | 'peek'
  | 'initialized'
  | 'notice'
  | 'cancel'
  | 'response';

/** Kinds whose answer carries their id. */
export const isRequestKind = (kind: MessageKind): boolean =>
  kind === 'initialize' || kind === 'ping' || kind === 'work' || kind === 'peek';

/** Kinds that run a handler: an ordered `work` or an interleaving `peek`. */
export const isCallKind = (kind: MessageKind): boolean => kind === 'work' || kind === 'peek';

/** One message a client sent. Its `key` is also its JSON-RPC id and, for a call, the handler's tag. */
export interface ModelMessage {
  readonly key: number;
  readonly sessionId: string;
  readonly kind: MessageKind;
  /** For a call (`work`, `peek`): what its handler does once started. */
  readonly outcome: HandlerOutcome;
  /** For `cancel`: the request id it cancels. */
  readonly target: number;
  delivered: boolean;
  expected: Expected | undefined;
  /** For an accepted call: the session generation that took it, and where it is. */
  generation: number;
  phase: 'unsent' | 'queued' | 'running' | 'settled';
  /**
   * For a started call: whether the runtime still waits for its handler (of a live session). For
   * `work` that is a concurrency slot; a `peek` holds none, but counts towards `mailboxCapacity`.
   */
  holdsSlot: boolean;
  /** For a started call: when its handler started; the runtime stops waiting `requestTimeoutMs` later. */
  startedAt: number;
  /** For a cancelled running call: when its grace ends and the runtime stops waiting for it. */
  graceUntil: number;
}

export type ModelPhase = 'awaitingInitialize' | 'ready' | 'stopping';

/** One live session (one generation of an id). */
export interface ModelSession {
  readonly sessionId: string;
  /** 1 for the first session of this id, 2 for the one after it stopped, … */
  readonly generation: number;
  phase: ModelPhase;
  lastActivity: number;
  /** Accepted ordered requests waiting, oldest first (an interleaving one never waits). */
  readonly mailbox: number[];
  /**
   * Started requests the runtime waits for (`info().inFlight`): until the handler returns, its
   * request times out, or (cancelled) its grace ends, whichever is first. The `work` among them hold
   * the concurrency slots; the `peek` among them count towards `mailboxCapacity`.
   */
  readonly slots: number[];
  /** Every request this session accepted, in dispatch order. */
  readonly accepted: number[];
  /** Every request whose handler started, in start order. */
  readonly started: number[];
}

export interface ModelCounters {
  accepted: number;
  completed: number;
  failed: number;
  cancelled: number;
  sessionsStarted: number;
  readonly sessionsStopped: Record<StopReason, number>;
  readonly rejected: Record<string, number>;
}

/** The session runtime as the model sees it; its configuration, clock and close state as every run model (`RunModel`). */
export interface Model extends RunModel<ScenarioConfig> {
  readonly sessions: Map<string, ModelSession>;
  /** Every session generation ever started, live or not. */
  readonly history: ModelSession[];
  readonly spawns: Map<string, number>;
  /** Stop reasons per id, in order. */
  readonly stops: Map<string, StopReason[]>;
  readonly messages: ModelMessage[];
  readonly counters: ModelCounters;
  /** Slots held over all live sessions (`metrics().inFlight`): a stopped session gives its back. */
  handlersRunning: number;
  closeRequested: boolean;
}

export function createModel(config: ScenarioConfig): Model {
  return {
    config,
    now: 0,
    directory: 'accepting',
    drainDeadline: undefined,
    sessions: new Map(),
    history: [],
    spawns: new Map(),
    stops: new Map(),
    messages: [],
    counters: {
      accepted: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      sessionsStarted: 0,
      sessionsStopped: { idle: 0, removed: 0, swept: 0, closed: 0, lease_lost: 0 },
      rejected: {},
    },
    handlersRunning: 0,
    closeRequested: false,
  };
}

/** Registers a message the client is about to send; it reaches the runtime at {@link deliver}. */
export function compose(
  model: Model,
  sessionId: string,
  kind: MessageKind,
  details: { readonly outcome?: HandlerOutcome; readonly target?: number } = {},
): ModelMessage {
  const message: ModelMessage = {
    key: model.messages.length + 1,
    sessionId,
    kind,
    outcome: details.outcome ?? 'resolves',
    target: details.target ?? 0,
    delivered: false,
    expected: undefined,
    generation: 0,
    phase: 'unsent',
    holdsSlot: false,
    startedAt: 0,
    graceUntil: Number.POSITIVE_INFINITY,
  };
  model.messages.push(message);
  return message;
}

/** How many of the session's waited-for handlers are of `kind` (`work`: the slots taken). */
export const holdersOf = (model: Model, session: ModelSession, kind: 'work' | 'peek'): number =>
  session.slots.filter((key) => messageAt(model, key).kind === kind).length;

export const hasNoWork = (session: ModelSession): boolean =>
  session.mailbox.length === 0 && session.slots.length === 0;

export function messageAt(model: Model, key: number): ModelMessage {
  const message = model.messages[key - 1];
  if (message === undefined) throw new Error(`model: no message #${key}`);
  return message;
}

/** `metrics().queued`: requests waiting in live mailboxes. */
export const queuedNow = (model: Model): number =>
  [...model.sessions.values()].reduce((sum, session) => sum + session.mailbox.length, 0);
