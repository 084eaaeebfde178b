/**
 * The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) on the MCP 2026-07-28 path: the
 * `Directory<Task>` of live tasks and the wire methods around it. The runtime hands it the
 * `tools/call` requests of tools that may run as tasks, and `tasks/get`, `tasks/update`,
 * `tasks/cancel`; everything else never reaches it.
 *
 * - **Negotiated per request**: a task is created only for a request whose `_meta` declares the
 *   extension (`clientCapabilities.extensions["io.modelcontextprotocol/tasks"]`); an `optional`
 *   tool then runs as a plain call, a `required` one is refused -32021 with
 *   `data.requiredCapabilities`. `tasks/*` from a client that did not declare it are -32021 too.
 * - **Created before answered**: `CreateTaskResult` is sent once the task is in the directory, so a
 *   `tasks/get` right after finds it (SEP-2663, "Task Creation").
 * - **Unguessable, bound**: a task id is 144 random bits (`crypto.randomBytes`), bound to the
 *   principal that created it; another principal's id is answered exactly as an unknown one
 *   (-32602), as is an expired one. In a cluster the id is claimed (`placement.claim`) before the
 *   task starts: a refused claim is `overloaded`, an unavailable placement `cluster_unavailable`.
 * - **Bounded**: `maxTasks` live tasks (`overloaded`, -32011) and `maxTasksPerPrincipal` per
 *   principal (`too_many_tasks`, -32023), both with `data.limit` and `data.retryAfterSeconds`.
 */
import { randomBytes } from 'node:crypto';
import type { AnyActorRef } from 'xstate';
import type { RequestEnvelope } from '../protocol/envelope.js';
import { errorResponse, markRefusal } from '../protocol/errors.js';
import type { IncomingRequest } from '../protocol/incoming.js';
import type { JsonRpcId, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { isRecord } from '../protocol/jsonrpc.js';
import { checkRequestParams } from '../protocol/params.js';
import type { TaskSupport } from '../protocol/tasks.js';
import {
  BEFORE_TASK,
  createTaskResult,
  declaresTasks,
  detailedTask,
  TASK_ARGUMENTS,
  TASK_METHODS,
  TASKS_REQUIRED_CAPABILITIES,
  taskIdOf,
} from '../protocol/tasks.js';
import type { RuntimeConfig } from './config.js';
import type { ClaimRefusal, LookupRefusal } from './Directory.js';
import { Directory } from './Directory.js';
import type { MailboxEnvironment } from './Mailbox.js';
import type { MetricsRecorder } from './metrics.js';
import { PlacementUnavailableError } from './placement.js';
import type { SnapshotEntry } from './snapshot.js';
import type { TaskSettings, TaskWork } from './Task.js';
import { Task } from './Task.js';
import type { DispatchOptions, DispatchResult } from './types.js';

/** How one tool runs as a task (from its definition's `execution.taskSupport` and `beforeTask`). */
export interface TaskTool {
  readonly taskSupport: Exclude<TaskSupport, 'forbidden'>;
  /** The tool has a `beforeTask` step, run on the `tools/call` itself before the task exists. */
  readonly beforeTask: boolean;
}

/** The tasks settings, validated, with defaults applied (see `SessionRuntimeOptions.tasks`). */
export interface TasksConfig {
  /** ms a finished task is kept for `tasks/get` (its idle timeout after the work ended). */
  readonly ttlMs: number;
  /** ms a client is asked to wait between polls (`pollIntervalMs`). */
  readonly pollIntervalMs: number;
  /** ms the work of one task may run, input waits included; `Infinity` for no bound. */
  readonly timeoutMs: number;
  /** Live tasks in the runtime. */
  readonly maxTasks: number;
  /** Live tasks per principal (anonymous tasks count only against `maxTasks`). */
  readonly maxTasksPerPrincipal: number;
}

/** The defaults of {@link TasksConfig}. */
export const DEFAULT_TASKS_CONFIG: TasksConfig = Object.freeze({
  ttlMs: 3_600_000,
  pollIntervalMs: 1_000,
  timeoutMs: 3_600_000,
  maxTasks: 10_000,
  maxTasksPerPrincipal: 100,
});

/** Runs a request the way every other 2026-07-28 request runs (a `StatelessRequest`); unstamped answer. */
export type StatelessRun = (
  message: IncomingRequest,
  options: DispatchOptions | undefined,
) => Promise<DispatchResult>;

/** What a task's status change is told to (`notifications/tasks` on `subscriptions/listen`). */
export type TaskChangeListener = (
  taskId: string,
  owner: string | undefined,
  task: Record<string, unknown>,
) => void;

/** @internal */
export class Tasks {
  private readonly directory: Directory<Task>;
  /** The work of the task being created: read by the directory's `create`, in the same step. */
  private creating: TaskWork | undefined;
  private readonly settings: TaskSettings;
  private readonly metrics: MetricsRecorder;
  /** Told of every change a client can see; set by the runtime when it serves `notifications/tasks`. */
  listener: TaskChangeListener | undefined;

  /**
   * @param options the runtime's settings.
   * @param environment the mailbox environment of the runtime (its handlers, metrics, events).
   * @param config the tasks settings.
   * @param tools the tools that may run as tasks, by name.
   */
  constructor(
    private readonly options: RuntimeConfig,
    environment: MailboxEnvironment,
    private readonly config: TasksConfig,
    private readonly tools: ReadonlyMap<string, TaskTool>,
  ) {
    this.settings = { ttlMs: config.ttlMs, pollIntervalMs: config.pollIntervalMs };
    this.metrics = environment.metrics;
    const { placement } = options;
    // A task's mailbox runs its one request; its idle timeout is its ttl; it never rests.
    const taskEnvironment: MailboxEnvironment = {
      ...environment,
      options: {
        ...options,
        idleTimeoutMs: config.ttlMs,
        requestTimeoutMs: config.timeoutMs,
        restAfterMs: Number.POSITIVE_INFINITY,
        maxConcurrentRequests: 1,
      },
    };
    const changed = (task: Task) => this.listener?.(task.key, task.owner, detailedTask(task.view()));
    this.directory = new Directory<Task>(
      {
        maxEntries: config.maxTasks,
        maxPerPrincipal: config.maxTasksPerPrincipal,
        // Unauthenticated callers are not one principal here: `maxTasks` alone bounds their tasks.
        anonymousIsOnePrincipal: false,
        create: (taskId: string, owner: string | undefined, parent: AnyActorRef) =>
          new Task(taskId, owner, taskEnvironment, parent, this.creating as TaskWork, this.settings, changed),
        started: () => {},
        stopped: () => {},
        refused: (key, reason, limit) => {
          if (reason === 'overloaded') {
            environment.events.safeEmit('overload', { sessionId: key, reason: 'overloaded', limit });
          }
        },
        inspect: options.inspect,
      },
      placement === undefined ? undefined : { placement, kind: 'task' },
    );
  }

  /** Whether this runtime serves the extension: some tool may run as a task. */
  get served(): boolean {
    return this.tools.size > 0;
  }

  /** Live tasks. */
  get size(): number {
    return this.directory.size;
  }

  /** Live tasks by status (for the gauges, at collection time). */
  byStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const task of this.directory.values()) {
      if (task.live) counts[task.status] = (counts[task.status] ?? 0) + 1;
    }
    return counts;
  }

  /** Live tasks whose lifecycle actor rests: none (a task never rests); here for the gauges' symmetry. */
  resting(): number {
    let resting = 0;
    for (const task of this.directory.values()) if (task.isResting) resting++;
    return resting;
  }

  /** Whether `method` is one of the extension's own (`tasks/get`, `tasks/update`, `tasks/cancel`). */
  handles(method: string): boolean {
    return TASK_METHODS.has(method);
  }

  /**
   * A `tools/call`: `undefined` when it is a plain call (no such task tool, or an `optional` one
   * for a client that did not declare the extension); else its answer: -32021 for a `required`
   * tool and such a client, the `beforeTask` step's own answer while it gathers input
   * (`input_required`) or fails, or `CreateTaskResult` once the task exists.
   */
  call(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options: DispatchOptions | undefined,
    runStateless: StatelessRun,
  ): Promise<DispatchResult> | undefined {
    const name = message.params.name;
    const tool = typeof name === 'string' ? this.tools.get(name) : undefined;
    if (tool === undefined) return undefined;
    if (!declaresTasks(envelope.clientCapabilities)) {
      if (tool.taskSupport === 'optional') return undefined;
      return Promise.resolve(this.missingExtension(message.id, `Tool ${name} runs only as a task`));
    }
    const invalid = checkRequestParams(message.id, message.method, message.params);
    if (invalid !== undefined) return undefined;
    if (!tool.beforeTask) return this.create(message, envelope, options);
    const step = { ...message, params: { ...message.params, [BEFORE_TASK]: true } };
    return runStateless(step, options).then((response) => {
      if (response === undefined || 'error' in response) return response;
      const prepared = (response.result as Record<PropertyKey, unknown>)[TASK_ARGUMENTS];
      // `input_required`, or the step's `isError` result: the call's answer as it is.
      if (prepared === undefined) return response;
      // The multi-round-trip phase is over: its answers are not the task's (SEP-2663).
      const { inputResponses: _responses, requestState: _state, ...rest } = message.params;
      const params = { ...rest, [TASK_ARGUMENTS]: prepared };
      return this.create({ ...message, params }, envelope, options);
    });
  }

  /**
   * Creates the task (in the directory, started) and answers `CreateTaskResult`, or a refusal. In a
   * cluster the id is claimed first, so `CreateTaskResult` (which reveals it) follows the claim.
   */
  private create(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options: DispatchOptions | undefined,
  ): Promise<JsonRpcResponse> {
    const principal = options?.principal;
    const taskId = randomBytes(18).toString('base64url');
    const create = (): JsonRpcResponse => {
      this.creating = { message, envelope, principal };
      let task: Task | LookupRefusal;
      try {
        task = this.directory.getOrCreate(taskId, true, principal?.id);
      } finally {
        this.creating = undefined;
      }
      if (typeof task === 'string') return this.refusal(message.id, task);
      return { jsonrpc: '2.0', id: message.id, result: createTaskResult(task.view()) };
    };
    if (this.options.placement === undefined) return Promise.resolve(create());
    return this.directory
      .claimed(taskId, create)
      .then((outcome) => (isClaimRefusal(outcome) ? this.claimRefusal(message.id, outcome) : outcome));
  }

  /** A claim of a new task's id that failed: another instance holds it, or the placement is down. */
  private claimRefusal(id: JsonRpcId, refusal: ClaimRefusal): JsonRpcResponse {
    if (refusal === 'claim_refused') {
      this.metrics.reject('claim_refused');
      // 144 random bits do not collide: a placement that refuses a fresh id is broken.
      return errorResponse(id, 'overloaded', 'Too many tasks', {
        retryAfterSeconds: this.options.retryAfterSeconds,
        limit: this.config.maxTasks,
      });
    }
    this.metrics.reject('cluster_unavailable');
    return errorResponse(id, 'cluster_unavailable', undefined, {
      retryAfterSeconds: refusal.retryAfterSeconds,
    });
  }

  /**
   * The live tasks (for `runtime.snapshot()`), typed by what the snapshot reads: naming `Task` in
   * this public signature would put the task machine's XState types in the package's declarations.
   */
  values(): IterableIterator<SnapshotEntry & { readonly status: string }> {
    return this.directory.values();
  }

  /** Whether task `taskId` is live here, whoever owns it (one this instance no longer holds stops now). */
  live(taskId: string): boolean {
    return this.directory.get(taskId) !== undefined;
  }

  /** The placement told us it lost `taskId`: its task stops now. */
  lost(taskId: string): void {
    this.directory.lost(taskId);
  }

  /**
   * `tasks/get` (the task as `DetailedTask`), `tasks/update` (an empty ack once the answers are
   * taken) or `tasks/cancel` (an empty ack; idempotent). -32021 for a client that did not declare
   * the extension; -32602 for a missing, unknown, expired or another principal's `taskId`, and for
   * `inputResponses` that are not an object or hold an invalid answer to an outstanding request.
   */
  /** Whether `taskId` names a live task of `principal`. */
  has(taskId: string, principal: string | undefined): boolean {
    return this.directory.reach(taskId, principal) !== undefined;
  }

  serve(
    message: IncomingRequest,
    envelope: RequestEnvelope,
    options: DispatchOptions | undefined,
  ): JsonRpcResponse {
    const { id, method, params } = message;
    if (!declaresTasks(envelope.clientCapabilities)) {
      return this.missingExtension(id, `${method} needs the ${'io.modelcontextprotocol/tasks'} extension`);
    }
    const taskId = taskIdOf(params);
    if (taskId === undefined)
      return errorResponse(id, 'invalid_params', 'Expected `taskId` to be a non-empty string');
    const task = this.directory.reach(taskId, options?.principal?.id);
    if (task === undefined) return errorResponse(id, 'invalid_params', 'Task not found (unknown or expired)');
    if (method === 'tasks/get') return { jsonrpc: '2.0', id, result: detailedTask(task.view()) };
    if (method === 'tasks/update') {
      const responses = params.inputResponses;
      if (!isRecord(responses)) {
        return errorResponse(id, 'invalid_params', 'Expected `inputResponses` to be an object');
      }
      const problem = task.update(responses);
      if (problem !== undefined) return errorResponse(id, 'invalid_params', problem);
      return { jsonrpc: '2.0', id, result: {} };
    }
    task.cancelTask();
    return { jsonrpc: '2.0', id, result: {} };
  }

  /** Starts shutdown: no new tasks; finished ones stop, running ones may finish until {@link expire}. */
  close(): Promise<void> {
    const closed = this.directory.emptied();
    this.directory.close();
    return closed;
  }

  /** The drain is over: tasks still running stop now, `cancelled`. */
  expire(): void {
    for (const task of [...this.directory.values()]) if (task.live) task.actor.send({ type: 'drainExpired' });
  }

  private missingExtension(id: JsonRpcId, message: string): JsonRpcResponse {
    return errorResponse(id, 'missing_required_client_capability', message, {
      requiredCapabilities: TASKS_REQUIRED_CAPABILITIES,
    });
  }

  private refusal(id: JsonRpcId, refusal: LookupRefusal): JsonRpcResponse {
    const retryAfterSeconds = this.options.retryAfterSeconds;
    switch (refusal) {
      case 'overloaded':
        return errorResponse(id, 'overloaded', 'Too many tasks', {
          retryAfterSeconds,
          limit: this.config.maxTasks,
        });
      case 'too_many_per_principal':
        return errorResponse(id, 'too_many_tasks', undefined, {
          retryAfterSeconds,
          limit: this.config.maxTasksPerPrincipal,
        });
      default:
        // Never accepted (the runtime closed, e.g. while the new id's claim was pending): a refusal.
        return markRefusal(errorResponse(id, 'shutting_down', undefined, { retryAfterSeconds }));
    }
  }
}

function isClaimRefusal(outcome: JsonRpcResponse | ClaimRefusal): outcome is ClaimRefusal {
  return outcome === 'claim_refused' || outcome instanceof PlacementUnavailableError;
}
