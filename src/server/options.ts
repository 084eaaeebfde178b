/**
 * Runtime options: one typed object, validated once at construction, with documented defaults.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PromptDefinition } from '../features/prompts.js';
import type { ResourceDefinition, ResourceTemplateDefinition } from '../features/resources.js';
import type { ToolDefinition } from '../features/tools.js';
import type { Clock } from '../runtime/clock.js';
import { systemClock } from '../runtime/clock.js';
import type { RuntimeConfig, SpawnPolicy } from '../runtime/config.js';
import { assertOptionsObject, optionsTypeError } from '../runtime/optionsError.js';
import type { Placement } from '../runtime/placement.js';
import type { TasksConfig } from '../runtime/Tasks.js';
import { DEFAULT_TASKS_CONFIG } from '../runtime/Tasks.js';
import type { InspectionObserver } from '../runtime/telemetry/inspect.js';
import type { RequestHandler } from '../runtime/types.js';

export type { SpawnPolicy };

/**
 * Options of {@link createSessionRuntime}.
 *
 * @typeParam TContext the type of the shared `context` every handler receives.
 */
export interface SessionRuntimeOptions<TContext = undefined> {
  /**
   * Who the server is, sent in the `initialize` answer.
   * @default { name: 'mcp-session-runtime', version: '0.1.0' }
   */
  readonly serverInfo?: { readonly name: string; readonly version: string; readonly [key: string]: unknown };
  /** Instructions for the client's model, sent in the `initialize` answer. */
  readonly instructions?: string;
  /**
   * Capabilities merged over the ones derived from what is registered (`tools` when tools exist,
   * `resources`, `prompts`, `logging` when a handler of theirs exists).
   * @default {}
   */
  readonly capabilities?: Readonly<Record<string, unknown>>;
  /** Handlers by method name. A handler given here replaces a built-in one of the same name. */
  readonly handlers?: Readonly<Record<string, RequestHandler<TContext>>>;
  /**
   * Tools from `defineTool`, served as `tools/list` and `tools/call`. Each is checked here too (a
   * plain object works as well as `defineTool`'s result); a bad one, or two of one name, throw a
   * `TypeError`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  readonly tools?: readonly ToolDefinition<any, TContext, any>[];
  /** Resources at fixed URIs, from `defineResource` (checked; URIs unique). Sessions may subscribe to them. */
  readonly resources?: readonly ResourceDefinition<TContext>[];
  /** Resource templates, from `defineResourceTemplate` (checked; templates unique). */
  readonly resourceTemplates?: readonly ResourceTemplateDefinition<TContext>[];
  /** Prompts, from `definePrompt` (checked; names unique). */
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  readonly prompts?: readonly PromptDefinition<any, TContext>[];
  /** A value shared by every handler as `context.context`. */
  readonly context?: TContext;
  /**
   * Requests a session may hold waiting (not counting running ones); more get `mailbox_full`.
   * @default 256
   */
  readonly mailboxCapacity?: number;
  /**
   * Handlers of one session running at once. 1 is strict turn-taking.
   * @default 1
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Lets every tool annotated `readOnlyHint: true` interleave (as `defineTool({ interleave: true })`
   * does): its calls start at once beside the session's running request instead of waiting their
   * turn. A tool's own `interleave: false` keeps it in order.
   * @default false
   */
  readonly interleaveReadOnlyTools?: boolean;
  /**
   * Live sessions at once; an `initialize` beyond it gets `overloaded`. No session is evicted for room.
   * @default 10_000
   */
  readonly maxSessions?: number;
  /**
   * A session with no traffic and no work for this long stops itself. `Infinity` disables it.
   * @default 1_800_000 (30 minutes, as the Python SDK)
   */
  readonly idleTimeoutMs?: number;
  /**
   * A live session with no traffic and no work for this long puts its lifecycle actor away and keeps
   * a compact record (a fraction of the heap), reviving the actor on its next lifecycle event
   * (`initialize`, `notifications/initialized`, `logging/setLevel`, idle expiry, `remove`, `close`).
   * Ordinary requests are served without reviving it. `Infinity` keeps every actor for life.
   * @default 5_000
   */
  readonly restAfterMs?: number;
  /**
   * Live sessions one principal may hold (see `DispatchOptions.principal`); more get
   * `too_many_sessions` (HTTP 429), so one tenant cannot take every slot of `maxSessions`.
   * @default Infinity
   */
  readonly maxSessionsPerPrincipal?: number;
  /**
   * A handler running longer than this is abandoned: its request is answered `request_timeout`
   * (-32014), its signal aborts, its concurrency slot is given back at once, and whatever it returns
   * later is dropped. The bound that keeps a handler that never settles from holding its session's
   * slot (and the session from idling out) forever. Five times the official SDK client's default
   * request timeout (60 s), so no call such a client still waits for is cut short, and 300 s, the
   * top bucket of the MCP operation-duration histogram of the OpenTelemetry conventions. Tools that
   * run longer raise it; `Infinity` disables it.
   * @default 300_000 (5 minutes)
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long a running request cancelled by the client (`notifications/cancelled`, the dispatch's
   * `signal`) keeps its concurrency slot while its handler winds down after the abort. The slot
   * comes back when the handler returns or when this passes, whichever is first; a handler still
   * running then is abandoned and its late result dropped. `0` gives the slot back at the cancel
   * (handlers of one session may then overlap beyond `maxConcurrentRequests`); `Infinity` keeps it
   * until the handler returns or `requestTimeoutMs` passes.
   * @default 5_000
   */
  readonly cancelGraceMs?: number;
  /**
   * Which messages may create a session: `'initialize'` (MCP over HTTP: only an `initialize` request)
   * or `'any'` (get-or-create on any message; the session still enforces the handshake).
   * @default 'initialize'
   */
  readonly spawnPolicy?: SpawnPolicy;
  /**
   * Seconds a client should wait before retrying after `overloaded`, `mailbox_full` or `shutting_down`.
   * @default 1
   */
  readonly retryAfterSeconds?: number;
  /**
   * Serve `logging/setLevel` and declare the `logging` capability; handlers log with `ctx.log`.
   * @default true
   */
  readonly logging?: boolean;
  /**
   * How long a server-initiated request (`ctx.request`) waits for the client's answer.
   * @default 60_000
   */
  readonly clientRequestTimeoutMs?: number;
  /**
   * Secrets (each at least 32 bytes) that seal the `requestState` of 2026-07-28 multi-round-trip
   * answers (SEP-2322); the first seals, all open, so a new key goes first and an old one is dropped
   * after 10 minutes (the state's lifetime). Every instance that may receive a client's retry needs
   * the same keys.
   * @default one random key per runtime (enough for a single instance)
   */
  readonly requestStateKeys?: readonly (string | Uint8Array)[];
  /**
   * How many MCP 2026-07-28 `subscriptions/listen` streams one principal may hold open at once
   * (anonymous clients count together); one more is refused `overloaded`.
   * @default 16
   */
  readonly maxSubscriptionsPerPrincipal?: number;
  /**
   * How many MCP 2026-07-28 requests (served without a session) may be in progress at once, over
   * all clients; one more is refused `overloaded` (-32011, HTTP 503, `data.retryAfterSeconds`).
   * The 2025 path's bound is `maxSessions` × `maxConcurrentRequests` plus the mailboxes.
   * @default 10_000
   */
  readonly maxStatelessRequests?: number;
  /**
   * The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) on MCP 2026-07-28, served when a
   * tool has `execution.taskSupport`:
   * - `ttlMs`: how long a finished task's outcome is kept for `tasks/get`, counted from when its work
   *   ended (the task's `ttlMs` on the wire); integer ms. @default 3_600_000
   * - `pollIntervalMs`: the poll interval clients are asked to keep (`pollIntervalMs`); integer ms.
   *   @default 1_000
   * - `timeoutMs`: how long one task's work may run, input waits included; past it the task is
   *   `failed` (`request_timeout`). ms or `Infinity`. @default 3_600_000
   * - `maxTasks`: live tasks in the runtime; one more is refused `overloaded` (-32011). @default 10_000
   * - `maxTasksPerPrincipal`: live tasks of one authenticated principal; one more is refused
   *   `too_many_tasks` (-32023). @default 100
   */
  readonly tasks?: Partial<TasksConfig>;
  /**
   * Cache hints (MCP 2026-07-28, SEP-2549) of the results 2026-07-28 clients may reuse, by method:
   * `server/discover`, `tools/list`, `prompts/list`, `resources/list`, `resources/templates/list`,
   * `resources/read` (a resource's own `cacheHint` wins for its reads). `ttlMs` in ms (an integer
   * ≥ 0), `cacheScope` `public` (any user may share it) or `private`.
   * @default { ttlMs: 0, cacheScope: 'private' } for each
   */
  readonly cacheHints?: Partial<
    Record<
      | 'server/discover'
      | 'tools/list'
      | 'prompts/list'
      | 'resources/list'
      | 'resources/templates/list'
      | 'resources/read',
      { readonly ttlMs: number; readonly cacheScope: 'public' | 'private' }
    >
  >;
  /** Time source for idle expiry and timeouts; a `ManualClock` in tests. @default systemClock */
  readonly clock?: Clock;
  /**
   * Receives the XState inspection events (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`,
   * `@xstate.microstep`, `@xstate.action`) of every lifecycle actor: sessions, state handles, tasks
   * and their directories. A function, or an observer with `next` such as `@statelyai/inspect`'s
   * `createBrowserInspector().inspect`. Only lifecycle changes are XState events: ordinary
   * requests take the mailbox path and are never inspected. For debugging: every event costs a call.
   * See docs/observability.md.
   * @default undefined (no inspection)
   * @example
   * inspect: (event) => {
   *   if (event.type === '@xstate.snapshot') console.log((event as { snapshot: { value: unknown } }).snapshot.value);
   * }
   */
  readonly inspect?: InspectionObserver;
  /**
   * Runs this runtime as one instance of a cluster (`createClusterPlacement` from
   * `mcp-session-runtime/cluster`, or any object with the {@link Placement} functions):
   * - every new session, state handle and task id is claimed (`placement.claim('<kind>:<id>')`)
   *   before the answer that reveals it (`initialize`, the opening tool's result,
   *   `CreateTaskResult`). A claim another instance holds answers a session's `initialize`
   *   `session_not_found` (-32001) and a handle's or task's creation `overloaded` (-32011); a
   *   placement that cannot answer `cluster_unavailable` (-32024, `data.retryAfterSeconds`; HTTP 503
   *   with `Retry-After`). No actor starts for an id not claimed.
   * - an actor's id is released (`placement.release`) when it stops, for any reason.
   * - an id the placement reports lost (`onLost`), or no longer holds (`holds`, checked before a
   *   message reaches its actor), stops its actor at once with reason `lease_lost`; the message is
   *   answered as for an unknown id.
   * - `notifyResourceUpdated` and `notifyListChanged` are published to the other instances, and
   *   theirs are delivered here.
   * Omitted, the runtime is a cluster of one.
   * @default undefined
   */
  readonly placement?: Placement;
}

const positiveInteger = z.number().int().positive();

/** Longest delay a Node timer takes; a longer one fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2_147_483_647;

/** A duration a timer can wait: more than 0 (`'positive'`) or at least 0 ms, up to {@link MAX_TIMER_MS}. */
const milliseconds = (lowest: 'positive' | 'zero') => {
  const number = z.number({ error: 'Expected a number of milliseconds' });
  return (
    lowest === 'positive'
      ? number.positive('Expected more than 0 ms')
      : number.min(0, 'Expected 0 ms or more')
  ).max(MAX_TIMER_MS, `Expected at most ${MAX_TIMER_MS} ms (about 24.8 days; Infinity turns it off)`);
};

/** The functions of a {@link Placement}. */
const PLACEMENT_FUNCTIONS = ['claim', 'holds', 'release', 'locate', 'onLost', 'publish', 'onNotification'];

const infinity = z.custom<number>((value) => value === Number.POSITIVE_INFINITY, 'Expected Infinity');

const optionsSchema = z.strictObject({
  serverInfo: z.looseObject({ name: z.string(), version: z.string() }).optional(),
  instructions: z.string().optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  handlers: z
    .record(
      z.string(),
      z.custom<RequestHandler>((value) => typeof value === 'function'),
    )
    .optional(),
  // Each definition is checked by its own module (`defineTool`…), which names what is wrong.
  tools: z.array(z.unknown()).optional(),
  resources: z.array(z.unknown()).optional(),
  resourceTemplates: z.array(z.unknown()).optional(),
  prompts: z.array(z.unknown()).optional(),
  context: z.unknown().optional(),
  mailboxCapacity: positiveInteger.optional(),
  maxConcurrentRequests: positiveInteger.optional(),
  interleaveReadOnlyTools: z.boolean().optional(),
  maxSessions: positiveInteger.optional(),
  maxSessionsPerPrincipal: positiveInteger
    .or(z.custom<number>((value) => value === Number.POSITIVE_INFINITY))
    .optional(),
  idleTimeoutMs: milliseconds('positive').or(infinity).optional(),
  restAfterMs: milliseconds('positive').or(infinity).optional(),
  requestTimeoutMs: milliseconds('positive').or(infinity).optional(),
  cancelGraceMs: milliseconds('zero').or(infinity).optional(),
  spawnPolicy: z.enum(['initialize', 'any']).optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  logging: z.boolean().optional(),
  clientRequestTimeoutMs: milliseconds('positive').optional(),
  maxSubscriptionsPerPrincipal: positiveInteger.optional(),
  maxStatelessRequests: positiveInteger.optional(),
  tasks: z
    .strictObject({
      ttlMs: positiveInteger.optional(),
      pollIntervalMs: positiveInteger.optional(),
      timeoutMs: milliseconds('positive').or(infinity).optional(),
      maxTasks: positiveInteger.optional(),
      maxTasksPerPrincipal: positiveInteger.optional(),
    })
    .optional(),
  cacheHints: z
    .partialRecord(
      z.enum([
        'server/discover',
        'tools/list',
        'prompts/list',
        'resources/list',
        'resources/templates/list',
        'resources/read',
      ]),
      z.strictObject({
        ttlMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
        cacheScope: z.enum(['public', 'private']),
      }),
    )
    .optional(),
  requestStateKeys: z
    .array(
      z.union([
        z.string().refine((key) => Buffer.byteLength(key) >= 32, 'Expected a key of at least 32 bytes'),
        z.instanceof(Uint8Array).refine((key) => key.byteLength >= 32, 'Expected a key of at least 32 bytes'),
      ]),
    )
    .min(1)
    .optional(),
  clock: z
    .custom<Clock>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['now', 'setTimeout', 'clearTimeout'].every(
          (key) => typeof (value as Record<string, unknown>)[key] === 'function',
        ),
      'Expected a clock with now, setTimeout and clearTimeout',
    )
    .optional(),
  inspect: z
    .custom<InspectionObserver>(
      (value) =>
        typeof value === 'function' ||
        (typeof value === 'object' &&
          value !== null &&
          typeof (value as Record<string, unknown>).next === 'function'),
      'Expected a function or an observer with next',
    )
    .optional(),
  placement: z
    .custom<Placement>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Record<string, unknown>).instanceId === 'string' &&
        typeof (value as Record<string, unknown>).address === 'string' &&
        PLACEMENT_FUNCTIONS.every((key) => typeof (value as Record<string, unknown>)[key] === 'function'),
      `Expected a placement with instanceId and address (strings) and ${'claim, holds, release, locate, onLost, publish and onNotification'} (functions)`,
    )
    .optional(),
});

/** Options with every default applied: the runtime's settings and what the features serve. */
export interface ResolvedOptions<TContext> extends RuntimeConfig {
  readonly serverInfo: { readonly name: string; readonly version: string; readonly [key: string]: unknown };
  readonly instructions: string | undefined;
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly handlers: Readonly<Record<string, RequestHandler<TContext>>>;
  // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
  readonly tools: readonly ToolDefinition<any, TContext, any>[];
  readonly resources: readonly ResourceDefinition<TContext>[];
  readonly resourceTemplates: readonly ResourceTemplateDefinition<TContext>[];
  // biome-ignore lint/suspicious/noExplicitAny: prompts of any argument schema share one list
  readonly prompts: readonly PromptDefinition<any, TContext>[];
  readonly context: TContext;
  readonly interleaveReadOnlyTools: boolean;
  /** The tasks extension's settings. */
  readonly tasks: TasksConfig;
}

/**
 * Validates options once; a bad one throws `TypeError("Expected `x` to be …, got …")`, a key no
 * option has `TypeError("Unknown option `idleTimeoutMS`; did you mean `idleTimeoutMs`?")`, and
 * anything but an object or `undefined` `TypeError("Expected `options` to be an object, got …")`.
 */
export function resolveOptions<TContext>(
  given: SessionRuntimeOptions<TContext> | undefined,
): ResolvedOptions<TContext> {
  assertOptionsObject(given);
  const options = given ?? {};
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw optionsTypeError(parsed.error, options, optionsSchema);
  return {
    serverInfo: options.serverInfo ?? { name: 'mcp-session-runtime', version: '0.1.0' },
    instructions: options.instructions,
    capabilities: options.capabilities ?? {},
    handlers: options.handlers ?? {},
    tools: options.tools ?? [],
    resources: options.resources ?? [],
    resourceTemplates: options.resourceTemplates ?? [],
    prompts: options.prompts ?? [],
    context: options.context as TContext,
    mailboxCapacity: options.mailboxCapacity ?? 256,
    maxConcurrentRequests: options.maxConcurrentRequests ?? 1,
    interleaveReadOnlyTools: options.interleaveReadOnlyTools ?? false,
    maxSessions: options.maxSessions ?? 10_000,
    maxSessionsPerPrincipal: options.maxSessionsPerPrincipal ?? Number.POSITIVE_INFINITY,
    idleTimeoutMs: options.idleTimeoutMs ?? 30 * 60_000,
    restAfterMs: options.restAfterMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 300_000,
    cancelGraceMs: options.cancelGraceMs ?? 5_000,
    spawnPolicy: options.spawnPolicy ?? 'initialize',
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
    logging: options.logging ?? true,
    clientRequestTimeoutMs: options.clientRequestTimeoutMs ?? 60_000,
    requestStateKeys: options.requestStateKeys ?? [randomBytes(32)],
    maxSubscriptionsPerPrincipal: options.maxSubscriptionsPerPrincipal ?? 16,
    maxStatelessRequests: options.maxStatelessRequests ?? 10_000,
    cacheHints: options.cacheHints ?? {},
    tasks: {
      ttlMs: options.tasks?.ttlMs ?? DEFAULT_TASKS_CONFIG.ttlMs,
      pollIntervalMs: options.tasks?.pollIntervalMs ?? DEFAULT_TASKS_CONFIG.pollIntervalMs,
      timeoutMs: options.tasks?.timeoutMs ?? DEFAULT_TASKS_CONFIG.timeoutMs,
      maxTasks: options.tasks?.maxTasks ?? DEFAULT_TASKS_CONFIG.maxTasks,
      maxTasksPerPrincipal: options.tasks?.maxTasksPerPrincipal ?? DEFAULT_TASKS_CONFIG.maxTasksPerPrincipal,
    },
    clock: options.clock ?? systemClock,
    placement: options.placement,
    inspect: options.inspect,
  };
}
