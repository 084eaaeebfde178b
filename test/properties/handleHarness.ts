/**
 * The real side of a handle race run: a runtime on a `ManualClock` serving a `counter` handle kind
 * (`counter_open`, `counter_inc`, `counter_close`) whose handler steps fast-check's scheduler
 * releases, three principals calling through 2025 sessions or `runtime.serve`, a network whose
 * deliveries the scheduler orders, and everything the runtime did as observed from outside: handler
 * starts (on which handle id, for whom), answers, `handleStarted`/`handleStopped` events.
 *
 * Checks that must happen at the very moment something occurs (a handler starting beside another on
 * its handle, on a stopped handle, or on another principal's) are recorded as violations tagged with
 * their invariant, because an exception thrown inside a handler would only become its answer.
 */
import type { Scheduler } from 'fast-check';
import { z } from 'zod';
import type {
  DispatchResult,
  HandleCallContext,
  HandleView,
  SessionRuntime,
  SessionRuntimeOptions,
  ToolReturn,
} from '../../src/index.js';
import { defineHandle, defineTool, parseMessage } from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import type { HandleScenarioConfig, ModelCall, PrincipalName, ToolName, Via } from './handleModel.js';
import { principalId, principals } from './handleModel.js';
import type { HandleRuntimeFactory } from './handleSubject.js';
import type { HandlerOutcome } from './model.js';
import { ScheduledHarness } from './raceRun.js';

export type HandleInvariantName =
  | 'model'
  | 'oneLiveHandle'
  | 'isolation'
  | 'fifo'
  | 'independence'
  | 'settles'
  | 'nothingAfterStop'
  | 'racingStop'
  | 'state'
  | 'accounting';

/** The kind's name: ids are `counter_` and 24 base64url characters. */
export const KIND = 'counter';
/** A well-formed id no handle has (144 zero bits). */
export const UNKNOWN_ID = `${KIND}_${'A'.repeat(24)}`;

export interface Counter {
  n: number;
}

/** A `tools/call` as sent: what the properties know of it without asking the model. */
export interface SentCall {
  readonly key: number;
  readonly principal: PrincipalName;
  readonly via: Via;
  readonly tool: ToolName;
  readonly outcome: HandlerOutcome;
  /** For `inc` and `close`: the id sent as `counterId`. */
  readonly handleId: string | undefined;
  /**
   * Whether, by what the runtime reported so far, the id named a live handle of the caller's that
   * no handler had closed, when the call arrived.
   */
  readonly liveOnArrival: boolean;
  /** Whether close() had been called when the call arrived. */
  readonly afterClose: boolean;
  settled: boolean;
  answer: DispatchResult;
  /** The answer as JSON, once settled. */
  text: string;
}

export type HandleStimulus =
  | { readonly kind: 'delivered'; readonly keys: readonly number[] }
  | { readonly kind: 'cancelled'; readonly key: number }
  | { readonly kind: 'returned'; readonly key: number };

export interface HandleRun {
  readonly key: number;
  readonly tool: ToolName;
  readonly handleId: string;
  readonly outcome: HandlerOutcome;
  readonly startedAt: number;
  returned: boolean;
  /** Clock time its signal aborted for its caller's cancel, if it did. */
  cancelledAt: number | undefined;
}

const sessionOf = (principal: PrincipalName) => `s-${principal}`;
const accessOf = (principal: PrincipalName) => {
  const id = principalId(principal);
  return id === undefined ? {} : { principal: { id } };
};

/**
 * A `tools/call` of the 2026-07-28 revision, as the HTTP transport hands it to `runtime.serve`: its
 * arguments, spread (`runtime.serve(...modernCall(1, 'cart_open', {}), access)`).
 */
export function modernCall(id: number, name: string, args: Record<string, unknown>) {
  const message = parseMessage({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name,
      arguments: args,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  return [message, envelope] as const;
}

type Tools = NonNullable<SessionRuntimeOptions<unknown>['tools']>;

/**
 * The `counter` kind and its three tools for one configuration, defined once (defining a tool
 * derives its JSON Schema, which costs more than a whole run's dispatches); each call reaches its
 * run's harness as `ctx.context`.
 */
const toolsByConfig = new Map<string, Tools>();

function toolsFor(config: HandleScenarioConfig): Tools {
  const cacheKey = JSON.stringify([
    config.idleTimeoutMs,
    config.mailboxCapacity,
    config.maxHandles,
    config.maxPerPrincipal,
  ]);
  const cached = toolsByConfig.get(cacheKey);
  if (cached !== undefined) return cached;
  const counter = defineHandle<Counter>({
    name: KIND,
    create: () => ({ n: 0 }),
    idleTimeoutMs: config.idleTimeoutMs,
    mailboxCapacity: config.mailboxCapacity,
    maxHandles: config.maxHandles,
    maxPerPrincipal: config.maxPerPrincipal,
  });
  const inputSchema = { tag: z.number(), outcome: z.enum(['resolves', 'rejects', 'hangs']) };
  const takes = { ...inputSchema, counterId: counter.idSchema };
  const harnessOf = (ctx: { readonly context: unknown }) => ctx.context as HandleHarness;
  const tools: Tools = [
    defineTool({
      name: 'counter_open',
      opens: counter,
      inputSchema,
      handler: ({ tag, outcome }, ctx) => harnessOf(ctx).tool('open', tag, outcome, ctx),
    }),
    defineTool({
      name: 'counter_inc',
      handle: counter,
      inputSchema: takes,
      handler: ({ tag, outcome }, ctx) => harnessOf(ctx).tool('inc', tag, outcome, ctx),
    }),
    defineTool({
      name: 'counter_close',
      handle: counter,
      inputSchema: takes,
      handler: ({ tag, outcome }, ctx) => harnessOf(ctx).tool('close', tag, outcome, ctx),
    }),
  ];
  toolsByConfig.set(cacheKey, tools);
  return tools;
}

export class HandleHarness extends ScheduledHarness<HandleInvariantName, HandleStimulus> {
  readonly runtime: SessionRuntime;
  readonly sent = new Map<number, SentCall>();
  /** Answers to the cancel notifications sent on sessions (each must settle too). */
  readonly cancels = new Map<number, { settled: boolean; answer: DispatchResult }>();
  /** Handle ids by the key of the `open` call that minted them (learnt as its handler starts). */
  readonly idByOpen = new Map<number, string>();
  /** Every id `handleStarted` reported, in order. */
  readonly minted: string[] = [];
  readonly stopReasons = new Map<string, string[]>();
  readonly ownerOf = new Map<string, string | undefined>();
  /** `ctx.handle` of each handle, as its opening handler saw it (to read its state). */
  readonly views = new Map<string, HandleView<Counter>>();
  /** Handler runs per handle id, in start order. */
  readonly runs = new Map<string, HandleRun[]>();
  readonly runByKey = new Map<number, HandleRun>();
  /** Keys of the calls that named each id, in arrival order (an opening first). */
  readonly arrivals = new Map<string, number[]>();
  /** Calls whose cancel reached the runtime (or aborted a 2026 request before it was sent). */
  readonly cancelled = new Set<number>();
  /** Of those, the ones still unanswered when their cancel arrived: they must get nothing. */
  readonly cancelledWhilePending = new Set<number>();
  /** Ids on which a handler called `ctx.handle.close()`. */
  readonly closing = new Set<string>();
  private readonly controllers = new Map<number, AbortController>();

  constructor(
    factory: HandleRuntimeFactory,
    readonly config: HandleScenarioConfig,
    scheduler: Scheduler,
  ) {
    super(scheduler);
    const tools = toolsFor(config);
    this.runtime = factory({
      tools,
      // The tools find this harness as their `ctx.context`.
      context: this,
      clock: this.clock,
      cancelGraceMs: config.cancelGraceMs,
      requestTimeoutMs: Number.POSITIVE_INFINITY,
      // Sessions are only the 2025 path to the handles: they never expire, and they run every call
      // as it arrives, so that only the handles order them.
      idleTimeoutMs: Number.POSITIVE_INFINITY,
      maxConcurrentRequests: 1_000,
      mailboxCapacity: 1_000,
    });
    this.runtime.events.on('handleStarted', ({ handleId }) => this.onStarted(handleId));
    this.runtime.events.on('handleStopped', ({ handleId, reason }) => this.onStopped(handleId, reason));
    for (const principal of principals) {
      const access = accessOf(principal);
      void this.runtime.dispatch(
        sessionOf(principal),
        {
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: principal, version: '1' },
          },
        },
        access,
      );
      void this.runtime.dispatch(
        sessionOf(principal),
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        access,
      );
    }
  }

  isLive(handleId: string): boolean {
    return this.minted.includes(handleId) && !this.stopReasons.has(handleId);
  }

  /** The id a call names for model handle `target`; the unknown id if no handle was minted for it. */
  idOf(target: number): string {
    return this.idByOpen.get(target) ?? UNKNOWN_ID;
  }

  /**
   * Whether a handler still holds its handle's slot now, by the documented rule: until it returns,
   * its handle stops, or `cancelGraceMs` after its caller cancelled it, whichever comes first.
   */
  holdsSlot(run: HandleRun): boolean {
    if (run.returned || !this.isLive(run.handleId)) return false;
    return run.cancelledAt === undefined || this.clock.now() < run.cancelledAt + this.config.cancelGraceMs;
  }

  // ── The network ───────────────────────────────────────────────────────────────────────────

  /** Hands calls to the runtime now, in order, in one synchronous step. */
  deliverNow(calls: readonly ModelCall[]): void {
    this.stimuli.push({ kind: 'delivered', keys: calls.map((call) => call.key) });
    for (const call of calls) this.dispatch(call);
  }

  /** Hands calls to the runtime when the scheduler says the network delivers them. */
  deliverLater(calls: readonly ModelCall[]): void {
    const what = calls.map((call) => `${call.tool}#${call.key}`).join(',');
    void this.network(calls[0]?.principal ?? '', what).then(() => this.deliverNow(calls));
  }

  /** Cancels a call now: `notifications/cancelled` on its session, or its `serve` signal aborts. */
  cancelNow(call: ModelCall, cancelKey: number): void {
    this.stimuli.push({ kind: 'cancelled', key: call.key });
    this.cancelled.add(call.key);
    if (this.sent.get(call.key)?.settled === false) this.cancelledWhilePending.add(call.key);
    if (call.via === 'serve') {
      this.controllerOf(call.key).abort();
      return;
    }
    const record = { settled: false, answer: undefined as DispatchResult };
    this.cancels.set(cancelKey, record);
    void this.runtime
      .dispatch(
        sessionOf(call.principal),
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.key } },
        accessOf(call.principal),
      )
      .then((answer) => {
        record.settled = true;
        record.answer = answer;
      });
  }

  cancelLater(call: ModelCall, cancelKey: number): void {
    void this.network(call.principal, `cancel#${call.key}`).then(() => this.cancelNow(call, cancelKey));
  }

  private controllerOf(key: number): AbortController {
    let controller = this.controllers.get(key);
    if (controller === undefined) {
      controller = new AbortController();
      this.controllers.set(key, controller);
    }
    return controller;
  }

  private dispatch(call: ModelCall): void {
    const handleId = call.tool === 'open' ? undefined : this.idOf(call.target);
    const owner = principalId(call.principal);
    const sent: SentCall = {
      key: call.key,
      principal: call.principal,
      via: call.via,
      tool: call.tool,
      outcome: call.outcome,
      handleId,
      liveOnArrival:
        handleId !== undefined &&
        this.isLive(handleId) &&
        this.ownerOf.get(handleId) === owner &&
        !this.closing.has(handleId),
      afterClose: this.closeCalls > 0,
      settled: false,
      answer: undefined,
      text: '',
    };
    this.sent.set(call.key, sent);
    const args: Record<string, unknown> = { tag: call.key, outcome: call.outcome };
    if (handleId !== undefined) {
      args.counterId = handleId;
      // Recorded before dispatch: the handler may start inside it.
      this.arrivals.set(handleId, [...(this.arrivals.get(handleId) ?? []), call.key]);
    }
    const name = `counter_${call.tool}`;
    const access = accessOf(call.principal);
    let answer: Promise<DispatchResult>;
    if (call.via === 'session') {
      answer = this.runtime.dispatch(
        sessionOf(call.principal),
        { jsonrpc: '2.0', id: call.key, method: 'tools/call', params: { name, arguments: args } },
        access,
      );
    } else {
      answer = this.runtime.serve(...modernCall(call.key, name, args), {
        ...access,
        signal: this.controllerOf(call.key).signal,
      });
    }
    void answer.then((value) => {
      sent.settled = true;
      sent.answer = value;
      sent.text = JSON.stringify(value) ?? 'undefined';
    });
  }

  // ── The tools ─────────────────────────────────────────────────────────────────────────────

  /**
   * Every tool (called through {@link toolsFor}): reads the counter, waits for its scheduled step (or hangs), then, unless the runtime
   * gave up on it meanwhile (its signal aborted), writes `n + 1` (`inc`). A read-modify-write across
   * an `await`: two calls running at once on one handle lose an increment.
   */
  async tool(
    tool: ToolName,
    key: number,
    outcome: HandlerOutcome,
    ctx: HandleCallContext<unknown, Counter>,
  ): Promise<ToolReturn> {
    const run = this.onHandlerStart(tool, key, outcome, ctx);
    if (tool === 'close') ctx.handle.close();
    const before = ctx.handle.state.n;
    // A fresh promise per hang: one shared forever-pending promise would keep every run alive.
    if (outcome === 'hangs') return new Promise<never>(() => {});
    await this.steps[outcome](tool, key);
    run.returned = true;
    this.stimuli.push({ kind: 'returned', key });
    if (outcome === 'rejects') throw new Error(`handler of #${key} rejected`);
    if (ctx.signal.aborted) throw new Error(`handler of #${key} abandoned`);
    if (tool !== 'inc') return tool;
    ctx.handle.state.n = before + 1;
    return { content: [{ type: 'text', text: String(before + 1) }], structuredContent: { n: before + 1 } };
  }

  private onHandlerStart(
    tool: ToolName,
    key: number,
    outcome: HandlerOutcome,
    ctx: HandleCallContext<unknown, Counter>,
  ): HandleRun {
    const handleId = ctx.handle.id;
    const principal = ctx.auth?.id;
    const sent = this.sent.get(key);
    if (tool === 'open') {
      this.idByOpen.set(key, handleId);
      this.ownerOf.set(handleId, principal);
      this.views.set(handleId, ctx.handle);
      this.arrivals.set(handleId, [key]);
    }
    if (sent === undefined || principalId(sent.principal) !== principal) {
      this.violate('isolation', `the handler of #${key} runs for ${principal}, not its caller`);
    }
    if (this.ownerOf.get(handleId) !== principal) {
      this.violate(
        'isolation',
        `#${key} of ${principal ?? 'anon'} runs on ${handleId}, which ${this.ownerOf.get(handleId) ?? 'anon'} holds`,
      );
    }
    const arrivals = this.arrivals.get(handleId) ?? [];
    if (!arrivals.includes(key)) {
      this.violate('isolation', `#${key} runs on ${handleId}, an id it never named`);
    }
    if (!this.isLive(handleId)) {
      this.violate('nothingAfterStop', `#${key} started on ${handleId} after it stopped`);
    }
    const runs = this.runs.get(handleId) ?? [];
    const previous = runs.at(-1);
    if (previous !== undefined && arrivals.indexOf(previous.key) > arrivals.indexOf(key)) {
      this.violate('fifo', `on ${handleId}, #${key} started after #${previous.key}, which arrived later`);
    }
    const busy = runs.find((other) => this.holdsSlot(other));
    if (busy !== undefined) {
      this.violate('fifo', `on ${handleId}, #${key} started while #${busy.key} still holds the handle`);
    }
    const run: HandleRun = {
      key,
      tool,
      handleId,
      outcome,
      startedAt: this.clock.now(),
      returned: false,
      cancelledAt: undefined,
    };
    const { signal } = ctx;
    signal.addEventListener('abort', () => {
      if ((signal.reason as { code?: unknown } | undefined)?.code === 'request_cancelled') {
        run.cancelledAt = this.clock.now();
      }
    });
    this.runs.set(handleId, [...runs, run]);
    this.runByKey.set(key, run);
    if (tool === 'close') this.closing.add(handleId);
    return run;
  }

  // ── Events ────────────────────────────────────────────────────────────────────────────────

  private onStarted(handleId: string): void {
    if (this.minted.includes(handleId)) {
      this.violate('oneLiveHandle', `handle id ${handleId} was minted twice`);
    }
    if (!/^counter_[A-Za-z0-9_-]{24}$/.test(handleId)) {
      this.violate('oneLiveHandle', `handle id ${handleId} is not counter_ and 144 random bits`);
    }
    this.minted.push(handleId);
  }

  private onStopped(handleId: string, reason: string): void {
    if (!this.minted.includes(handleId)) {
      this.violate('oneLiveHandle', `handle ${handleId} stopped without having started`);
    }
    const reasons = this.stopReasons.get(handleId) ?? [];
    if (reasons.length > 0) this.violate('oneLiveHandle', `handle ${handleId} stopped twice`);
    this.stopReasons.set(handleId, [...reasons, reason]);
  }
}
