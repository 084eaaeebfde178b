/**
 * The real side of a race run: a runtime (real or fixture) on a `ManualClock`, a `work` handler (run
 * in its session's order) and a `peek` tool declared `interleave: true` (run at once beside it),
 * whose steps fast-check's scheduler releases, a network whose deliveries it orders, and everything
 * the runtime did, as observed from outside: handler starts, answers, events.
 *
 * Checks that must happen at the very moment something occurs (a second live session, a handler
 * starting on a stopped session) are recorded as violations, tagged with their invariant, because an
 * event listener's exception would be swallowed by the runtime's `safeEmit`.
 */
import type { Scheduler } from 'fast-check';
import { z } from 'zod';
import type { DispatchResult, HandlerContext } from '../../src/index.js';
import { defineTool, reasonOf } from '../../src/index.js';
import type { HandlerOutcome, MessageKind, ModelMessage, ScenarioConfig } from './model.js';
import { isCallKind } from './model.js';
import { ScheduledHarness } from './raceRun.js';
import type { RuntimeFactory, RuntimeUnderTest } from './subject.js';

export type InvariantName =
  | 'model'
  | 'oneLiveSession'
  | 'fifo'
  | 'concurrency'
  | 'independence'
  | 'settles'
  | 'nothingAfterStop'
  | 'accounting'
  | 'racingStop'
  | 'interleave';

/** The interleaving tool's name: `peek` messages are `tools/call`s of it. */
export const PEEK_TOOL = 'peek';

/** The JSON-RPC code of a handler's own error (distinct from every runtime code). */
export const HANDLER_ERROR_CODE = 4_242;

/** A message as sent: what the properties know of it without asking the model. */
export interface SentMessage {
  readonly key: number;
  readonly sessionId: string;
  readonly kind: MessageKind;
  readonly outcome: HandlerOutcome;
  readonly target: number;
  /** Whether the id had a live session (by the runtime's own events) when the message arrived. */
  liveOnArrival: boolean;
  /** The generation of the id (count of `sessionStarted`) right after the message arrived. */
  generation: number;
  /** For `cancel`: whether its target was still unanswered when the cancel arrived. */
  targetPending: boolean;
  /** Clock time it reached the runtime. */
  arrivedAt: number;
  /** How many stimuli had happened when it reached the runtime (none may come before a `peek` starts). */
  stimuliAtArrival: number;
  /** Interleaving handlers its session was waiting for when it arrived (by the documented rule). */
  interleavingAtArrival: number;
  settled: boolean;
  answer: DispatchResult;
}

export type Stimulus =
  | { readonly kind: 'delivered'; readonly keys: readonly number[] }
  | { readonly kind: 'returned'; readonly key: number };

interface HandlerRun {
  readonly key: number;
  readonly sessionId: string;
  readonly generation: number;
  readonly outcome: HandlerOutcome;
  /** A `peek`: runs beside the ordered handlers, in no slot of theirs. */
  readonly interleaved: boolean;
  returned: boolean;
  /** Clock time the handler started. */
  readonly startedAt: number;
  /** Clock time its signal aborted for a client's cancel, if it did. */
  cancelledAt: number | undefined;
}

export function initializeMessage(key: number) {
  return {
    jsonrpc: '2.0' as const,
    id: key,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'model', version: '1' } },
  };
}

function wireMessage(message: SentMessage): unknown {
  switch (message.kind) {
    case 'initialize':
      return initializeMessage(message.key);
    case 'ping':
      return { jsonrpc: '2.0', id: message.key, method: 'ping' };
    case 'response':
      return { jsonrpc: '2.0', id: message.key, result: {} };
    case 'initialized':
      return { jsonrpc: '2.0', method: 'notifications/initialized' };
    case 'notice':
      return { jsonrpc: '2.0', method: 'notifications/roots/list_changed' };
    case 'cancel':
      return { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: message.target } };
    case 'work':
      return {
        jsonrpc: '2.0',
        id: message.key,
        method: 'work',
        params: { tag: message.key, outcome: message.outcome },
      };
    case 'peek':
      return {
        jsonrpc: '2.0',
        id: message.key,
        method: 'tools/call',
        params: { name: PEEK_TOOL, arguments: { tag: message.key, outcome: message.outcome } },
      };
  }
}

export class Harness extends ScheduledHarness<InvariantName, Stimulus> {
  readonly runtime: RuntimeUnderTest;
  readonly sent = new Map<number, SentMessage>();
  readonly spawned = new Map<string, number>();
  readonly stopped = new Map<string, number>();
  readonly stopReasons = new Map<string, string[]>();
  /** Handler runs by session generation (`id#generation`), in start order. */
  readonly runs = new Map<string, HandlerRun[]>();
  readonly runByKey = new Map<number, HandlerRun>();
  /** Call keys (`work` and `peek`) by session generation, in the order they reached the runtime. */
  readonly arrivals = new Map<string, number[]>();
  private readonly unsettledAtIdleStop: { sessionId: string; reason: string; key: number }[] = [];

  constructor(
    factory: RuntimeFactory,
    readonly config: ScenarioConfig,
    scheduler: Scheduler,
  ) {
    super(scheduler);
    this.runtime = factory({
      clock: this.clock,
      handlers: { work: (params, context) => this.work(params, context, false) },
      // Through the runtime's own `interleaves` predicate, as `createSessionRuntime` derives it.
      tools: [
        defineTool({
          name: PEEK_TOOL,
          interleave: true,
          inputSchema: z.object({ tag: z.number(), outcome: z.enum(['resolves', 'rejects', 'hangs']) }),
          handler: (args, context) => this.work(args, context, true) as Promise<string>,
        }),
      ],
      idleTimeoutMs: config.idleTimeoutMs,
      maxConcurrentRequests: config.maxConcurrentRequests,
      mailboxCapacity: config.mailboxCapacity,
      maxSessions: config.maxSessions,
      spawnPolicy: config.spawnPolicy,
      cancelGraceMs: config.cancelGraceMs,
      requestTimeoutMs: config.requestTimeoutMs,
      scheduler,
    });
    this.runtime.events.on('sessionStarted', ({ sessionId }) => this.onStarted(sessionId));
    this.runtime.events.on('sessionStopped', ({ sessionId, reason }) => this.onStopped(sessionId, reason));
  }

  generationOf(sessionId: string): number {
    return this.spawned.get(sessionId) ?? 0;
  }

  isLive(sessionId: string): boolean {
    return this.generationOf(sessionId) > (this.stopped.get(sessionId) ?? 0);
  }

  /**
   * Whether a handler still holds its slot now, by the documented rule: until it returns,
   * `requestTimeoutMs` after it started, or `cancelGraceMs` after a client cancelled it, whichever
   * comes first.
   */
  holdsSlot(run: HandlerRun): boolean {
    const now = this.clock.now();
    if (run.returned || now >= run.startedAt + this.config.requestTimeoutMs) return false;
    return run.cancelledAt === undefined || now < run.cancelledAt + this.config.cancelGraceMs;
  }

  // ── The network ───────────────────────────────────────────────────────────────────────────

  /** Hands messages to the runtime now, in order, in one synchronous step. */
  deliverNow(messages: readonly ModelMessage[]): void {
    this.stimuli.push({ kind: 'delivered', keys: messages.map((message) => message.key) });
    for (const message of messages) this.dispatch(message);
  }

  /** Hands messages to the runtime when the scheduler says the network delivers them. */
  deliverLater(messages: readonly ModelMessage[]): void {
    const label = messages.map((message) => `${message.kind}#${message.key}`).join(',');
    const sessionId = messages[0]?.sessionId ?? '';
    void this.network(sessionId, label).then(() => this.deliverNow(messages));
  }

  private dispatch(message: ModelMessage): void {
    const sent: SentMessage = {
      key: message.key,
      sessionId: message.sessionId,
      kind: message.kind,
      outcome: message.outcome,
      target: message.target,
      liveOnArrival: this.isLive(message.sessionId),
      generation: 0,
      targetPending: message.kind === 'cancel' && this.sent.get(message.target)?.settled === false,
      arrivedAt: this.clock.now(),
      stimuliAtArrival: this.stimuli.length,
      interleavingAtArrival: this.interleavingRunning(
        `${message.sessionId}#${this.generationOf(message.sessionId)}`,
      ),
      settled: false,
      answer: undefined,
    };
    this.sent.set(message.key, sent);
    if (isCallKind(message.kind)) {
      // Recorded before dispatch: the handler may start inside it.
      const arrival = `${message.sessionId}#${this.generationOf(message.sessionId)}`;
      this.arrivals.set(arrival, [...(this.arrivals.get(arrival) ?? []), message.key]);
    }
    const answer = this.runtime.dispatch(message.sessionId, wireMessage(sent));
    sent.generation = this.generationOf(message.sessionId);
    void answer.then((value) => {
      sent.settled = true;
      sent.answer = value;
    });
  }

  // ── The handler ───────────────────────────────────────────────────────────────────────────

  /** The handler of `work` and (`interleaved`) of the `peek` tool, which answers its tag as text. */
  private async work(
    params: Readonly<Record<string, unknown>>,
    context: Pick<HandlerContext, 'sessionId' | 'signal'>,
    interleaved: boolean,
  ): Promise<{ tag: number } | string> {
    const key = params.tag as number;
    const outcome = params.outcome as HandlerOutcome;
    const run = this.onHandlerStart(context.sessionId, key, outcome, interleaved);
    const { signal } = context;
    signal.addEventListener('abort', () => {
      if ((signal.reason as { code?: unknown } | undefined)?.code === 'request_cancelled') {
        run.cancelledAt = this.clock.now();
      }
    });
    // A fresh promise per hang: one shared forever-pending promise would keep every run's runtime alive.
    if (outcome === 'hangs') return new Promise<never>(() => {});
    await this.steps[outcome](context.sessionId, key);
    run.returned = true;
    this.stimuli.push({ kind: 'returned', key });
    if (outcome === 'rejects') {
      throw Object.assign(new Error(`handler of #${key} rejected`), {
        code: HANDLER_ERROR_CODE,
        data: { key },
      });
    }
    return interleaved ? String(key) : { tag: key };
  }

  private onHandlerStart(
    sessionId: string,
    key: number,
    outcome: HandlerOutcome,
    interleaved: boolean,
  ): HandlerRun {
    const generation = this.generationOf(sessionId);
    const id = `${sessionId}#${generation}`;
    if (!this.isLive(sessionId)) {
      this.violate('nothingAfterStop', `handler of #${key} started while session ${sessionId} is stopped`);
    }
    const arrivals = this.arrivals.get(id) ?? [];
    if (!arrivals.includes(key)) {
      this.violate('nothingAfterStop', `handler of #${key} started in ${id}, which never received it`);
    }
    const runs = this.runs.get(id) ?? [];
    if (interleaved) this.checkInterleavedStart(id, key);
    else {
      const previous = runs.findLast((other) => !other.interleaved);
      if (previous !== undefined && arrivals.indexOf(previous.key) > arrivals.indexOf(key)) {
        this.violate('fifo', `in ${id}, #${key} started after #${previous.key}, which arrived later`);
      }
      // Only ordered handlers take slots: the interleaving ones beside them do not count.
      const running = runs.filter((other) => !other.interleaved && this.holdsSlot(other)).length + 1;
      if (running > this.config.maxConcurrentRequests) {
        this.violate(
          'concurrency',
          `in ${id}, ${running} ordered handlers run at once (maxConcurrentRequests ${this.config.maxConcurrentRequests})`,
        );
      }
    }
    const run: HandlerRun = {
      key,
      sessionId,
      generation,
      outcome,
      interleaved,
      returned: false,
      startedAt: this.clock.now(),
      cancelledAt: undefined,
    };
    this.runs.set(id, [...runs, run]);
    this.runByKey.set(key, run);
    return run;
  }

  /**
   * An interleaving handler starts at once: in the very step its request reached the runtime (no
   * handler returned, no message arrived, no time passed since), so it never waited behind the
   * ordered ones; and at most `mailboxCapacity` interleaving handlers are waited for at once.
   */
  private checkInterleavedStart(id: string, key: number): void {
    const sent = this.sent.get(key);
    if (
      sent !== undefined &&
      (sent.stimuliAtArrival !== this.stimuli.length || sent.arrivedAt !== this.clock.now())
    ) {
      this.violate(
        'interleave',
        `in ${id}, interleaving #${key} waited: it started ${this.stimuli.length - sent.stimuliAtArrival} event(s) after it arrived (at ${sent.arrivedAt} ms, started at ${this.clock.now()} ms)`,
      );
    }
    const running = this.interleavingRunning(id) + 1;
    if (running > this.config.mailboxCapacity) {
      this.violate(
        'interleave',
        `in ${id}, ${running} interleaving handlers run at once (mailboxCapacity ${this.config.mailboxCapacity})`,
      );
    }
  }

  /** Interleaving handlers of a session generation (`id#generation`) waited for now. */
  private interleavingRunning(id: string): number {
    let running = 0;
    for (const run of this.runs.get(id) ?? []) if (run.interleaved && this.holdsSlot(run)) running++;
    return running;
  }

  /**
   * Checked after every command: an accepted interleaving call never waits (an ordered one may wait
   * its turn), and one refused `mailbox_full` found `mailboxCapacity` interleaving calls running.
   */
  checkInterleaving(): void {
    for (const sent of this.sent.values()) {
      if (sent.kind !== 'peek') continue;
      if (!sent.settled && !this.runByKey.has(sent.key)) {
        this.violate(
          'interleave',
          `interleaving #${sent.key} (${sent.sessionId}) is unanswered and not started`,
        );
      }
      const error =
        sent.settled && sent.answer !== undefined && 'error' in sent.answer ? sent.answer.error : undefined;
      const full = error !== undefined && reasonOf(error) === 'mailbox_full';
      if (full && sent.interleavingAtArrival < this.config.mailboxCapacity) {
        this.violate(
          'interleave',
          `interleaving #${sent.key} (${sent.sessionId}) refused mailbox_full with ${sent.interleavingAtArrival} running (mailboxCapacity ${this.config.mailboxCapacity})`,
        );
      }
    }
  }

  // ── Events ────────────────────────────────────────────────────────────────────────────────

  private onStarted(sessionId: string): void {
    this.spawned.set(sessionId, this.generationOf(sessionId) + 1);
    const live = this.generationOf(sessionId) - (this.stopped.get(sessionId) ?? 0);
    if (live > 1) this.violate('oneLiveSession', `${live} live sessions for id ${sessionId}`);
  }

  private onStopped(sessionId: string, reason: string): void {
    const generation = (this.stopped.get(sessionId) ?? 0) + 1;
    this.stopped.set(sessionId, generation);
    this.stopReasons.set(sessionId, [...(this.stopReasons.get(sessionId) ?? []), reason]);
    if (generation > this.generationOf(sessionId)) {
      this.violate('oneLiveSession', `session ${sessionId} stopped more often than it started`);
    }
    // An idle stop happens only with nothing to do: every message the session took is answered
    // before it. (A removed or closed session answers its leftovers in the stop itself; `settles`
    // checks them.) Checked once the answers have reached us: a request that timed out in the same
    // clock step as the stop is answered before it, but we see the answer a few reactions later.
    if (reason !== 'idle' && reason !== 'swept') return;
    for (const key of this.arrivals.get(`${sessionId}#${generation}`) ?? []) {
      if (this.sent.get(key)?.settled === false) this.unsettledAtIdleStop.push({ sessionId, reason, key });
    }
  }

  /**
   * Requests unanswered as far as we knew when their session stopped idle: each must have been
   * answered before the stop, never by it (`session_closed`), and never left unanswered.
   */
  checkIdleStops(): void {
    for (const { sessionId, reason, key } of this.unsettledAtIdleStop.splice(0)) {
      const sent = this.sent.get(key);
      const answer = sent?.answer as { error?: { data?: { reason?: unknown } } } | undefined;
      if (sent?.settled !== true || answer?.error?.data?.reason === 'session_closed') {
        this.violate('racingStop', `session ${sessionId} stopped (${reason}) with #${key} unanswered`);
      }
    }
  }
}
