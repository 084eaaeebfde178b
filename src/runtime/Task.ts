/**
 * One task of the tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): a keyed actor whose
 * key is the task id and whose owner is the principal that created it. Its mailbox runs exactly one
 * request, the `tools/call` the task stands for, in its one slot, so the handler has the context
 * every handler has (`ctx.signal`, `ctx.progress`, `ctx.request`…); its lifecycle machine
 * (`task.machine.ts`) is the task's status; its idle timeout is the task's ttl, counted from when
 * the work ended, after which the task stops and its directory forgets it.
 *
 * - **Input.** A handler's `ctx.request` (elicitation, sampling, roots) inside a task is not sent to
 *   the client: it becomes an entry of the task's `inputRequests` under a key unique for the task's
 *   life, the task moves to `input_required`, and the promise resolves with the client's answer
 *   from `tasks/update` (`inputResponses`); once every outstanding request is answered the task is
 *   `working` again.
 * - **Outcome.** A result (a tool's `isError` result included) is `completed`, a JSON-RPC error is
 *   `failed` (SEP-2663, "Task Execution Errors"), `tasks/cancel` is `cancelled` (cooperative: the
 *   handler's signal aborts and it keeps its slot for `cancelGraceMs`, as any cancelled request).
 * - **Stop.** `remove`, the ttl, or `close()` (a running task may finish within the drain; one still
 *   running when it ends is `cancelled`). Every promise the work holds settles.
 */
import type { Actor, AnyActorRef } from 'xstate';
import { createActor } from 'xstate';
import { KEYED_ACTOR_ID } from '../machines/directory.machine.js';
import type { SessionStopReason } from '../machines/stopReason.js';
import type { TaskHost, TaskMachineEvent, TaskMachineInput, TaskStatus } from '../machines/task.machine.js';
import { TERMINAL_TASK_STATUSES, taskMachine } from '../machines/task.machine.js';
import type { RequestEnvelope } from '../protocol/envelope.js';
import { SessionRuntimeError } from '../protocol/errors.js';
import type { IncomingRequest } from '../protocol/incoming.js';
import type { JsonRpcErrorObject, JsonRpcNotification, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { capabilityPath, clientCapabilityFor, missingClientCapability } from '../protocol/lifecycle.js';
import type { TaskInputRequest, TaskView } from '../protocol/tasks.js';
import { isInputResponse } from './inputRound.js';
import { KeyedActor } from './KeyedActor.js';
import type { MailboxEnvironment } from './Mailbox.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import type { PendingRequest } from './PendingRequest.js';
import type { Principal, SessionInfo } from './types.js';

/** What a task shows besides its status: its ttl and poll interval as advertised (ms). */
export interface TaskSettings {
  /** ms a finished task is kept (its idle timeout); `null` on the wire when unlimited. */
  readonly ttlMs: number;
  /** ms a client is asked to wait between polls. */
  readonly pollIntervalMs: number;
}

/** The request a task runs, and who asked for it. */
export interface TaskWork {
  /** The `tools/call` the task stands for (its params may carry `TASK_ARGUMENTS`). */
  readonly message: IncomingRequest;
  /** The creating request's `_meta`: the client's capabilities and identity, for the task's life. */
  readonly envelope: RequestEnvelope;
  readonly principal: Principal | undefined;
}

/** The events that change a task's status, and the status each leads to. */
type StatusEvent = Extract<
  TaskMachineEvent,
  { readonly type: 'input' | 'resume' | 'complete' | 'fail' | 'cancel' }
>;

const statusAfter: Readonly<Record<StatusEvent['type'], TaskStatus>> = {
  input: 'input_required',
  resume: 'working',
  complete: 'completed',
  fail: 'failed',
  cancel: 'cancelled',
};

/** An input request the work awaits. */
interface PendingInput extends TaskInputRequest {
  readonly resolve: (value: Record<string, unknown>) => void;
  readonly reject: (error: Error) => void;
}

/** @internal */
export class Task extends KeyedActor<Actor<typeof taskMachine>, never> implements TaskHost, TaskMachineInput {
  /** The status on the wire: the machine's state while it runs, what it ended as once stopped. */
  private current: TaskStatus = 'working';
  private message: string | undefined;
  /** Epoch ms of the latest change a client can see. */
  private updatedAt: number;
  private result: Readonly<Record<string, unknown>> | undefined;
  private error: JsonRpcErrorObject | undefined;
  /** Outstanding input requests by key; created on the first. */
  private inputs: Map<string, PendingInput> | undefined;
  /** Every key this task has used: unique for the task's life (SEP-2663, "Task Update Requests"). */
  private usedKeys: Set<string> | undefined;

  constructor(
    taskId: string,
    owner: string | undefined,
    environment: MailboxEnvironment,
    protected readonly parent: AnyActorRef,
    private readonly work: TaskWork,
    private readonly settings: TaskSettings,
    /** Called after every change a client can see (`notifications/tasks`). */
    private readonly changed: (task: Task) => void,
  ) {
    super(taskId, owner, environment);
    this.updatedAt = environment.options.clock.now();
    this.awake = createActor(taskMachine, { parent, id: KEYED_ACTOR_ID, input: this });
  }

  // ── TaskMachineInput ──────────────────────────────────────────────────────────────────────

  get taskId(): string {
    return this.key;
  }

  get host(): TaskHost {
    return this;
  }

  // ── The work ──────────────────────────────────────────────────────────────────────────────

  /** Starts the lifecycle actor and the timer, then the work in the mailbox's one slot. */
  override start(): void {
    super.start();
    const { message, principal } = this.work;
    const request: IncomingRequest = { ...message, id: this.key };
    const onNotification = (notification: JsonRpcNotification) => this.workNotified(notification);
    this.accept(request, { principal, onNotification }, undefined, this.environment.options.clock.now()).then(
      (response) => this.workEnded(response),
    );
  }

  /** The status a client sees now. */
  get status(): TaskStatus {
    return this.current;
  }

  /** What `tasks/get`, `CreateTaskResult` and `notifications/tasks` are built from. */
  view(): TaskView {
    const inputs = this.inputs;
    let inputRequests: Record<string, TaskInputRequest> | undefined;
    if (this.current === 'input_required' && inputs !== undefined) {
      inputRequests = {};
      for (const [key, input] of inputs) inputRequests[key] = { method: input.method, params: input.params };
    }
    const { ttlMs, pollIntervalMs } = this.settings;
    return {
      taskId: this.key,
      status: this.current,
      statusMessage: this.message,
      createdAt: this.createdAt,
      lastUpdatedAt: this.updatedAt,
      ttlMs: Number.isFinite(ttlMs) ? ttlMs : null,
      pollIntervalMs,
      inputRequests,
      result: this.result,
      error: this.error,
    };
  }

  /** The work's progress message becomes the task's `statusMessage`; nothing else leaves the task. */
  private workNotified(notification: JsonRpcNotification): void {
    if (notification.method !== 'notifications/progress' || TERMINAL_TASK_STATUSES.has(this.current)) return;
    const message = notification.params?.message;
    if (typeof message === 'string') this.touch(message);
  }

  /** The work's request was answered: the task's outcome, unless it is final already. */
  private workEnded(response: JsonRpcResponse | undefined): void {
    if (!this.live || TERMINAL_TASK_STATUSES.has(this.current)) return;
    if (response === undefined) {
      this.transition({ type: 'cancel' }, undefined);
    } else if ('error' in response) {
      this.error = response.error;
      this.transition({ type: 'fail' }, response.error.message);
    } else {
      this.result = response.result;
      this.transition({ type: 'complete' }, undefined);
    }
  }

  /** Sends the machine an event that may change the status, and tells whoever listens. */
  private transition(event: StatusEvent, message: string | undefined): void {
    const before = this.current;
    // Set first: the event may stop the task in the same step (`close()` waited for the work), and
    // `releaseAll` must see the status the work ended with.
    this.current = statusAfter[event.type];
    this.actor.send(event);
    const value = this.actor.getSnapshot().value as string;
    if (value !== 'stopped') this.current = value as TaskStatus;
    if (this.current !== before) this.touch(message);
  }

  private touch(message: string | undefined): void {
    this.message = message;
    this.updatedAt = Math.max(this.environment.options.clock.now(), this.updatedAt);
    this.changed(this);
  }

  // ── tasks/update, tasks/cancel ────────────────────────────────────────────────────────────

  /**
   * `tasks/update`: answers the outstanding input requests named in `responses`; keys that are not
   * outstanding (never issued, answered already) are ignored (SEP-2663). Returns a sentence for
   * `invalid_params` when an answer is not a valid result of its request's method, and then
   * applies none.
   */
  update(responses: Readonly<Record<string, unknown>>): string | undefined {
    const inputs = this.inputs;
    if (inputs === undefined) return undefined;
    const answered: [string, PendingInput, Record<string, unknown>][] = [];
    for (const key of Object.keys(responses)) {
      const input = inputs.get(key);
      if (input === undefined) continue;
      const value = responses[key];
      if (!isInputResponse(input.method, value)) {
        return `inputResponses["${key}"] is not a valid ${input.method} result`;
      }
      answered.push([key, input, value]);
    }
    for (const [key, input, value] of answered) {
      inputs.delete(key);
      input.resolve(value);
    }
    if (answered.length > 0 && inputs.size === 0 && this.current === 'input_required') {
      this.transition({ type: 'resume' }, undefined);
    }
    return undefined;
  }

  /** `tasks/cancel`: a running task becomes `cancelled` and its handler's signal aborts; a finished one stays as it is. */
  cancelTask(): void {
    if (TERMINAL_TASK_STATUSES.has(this.current) || !this.live) return;
    this.transition({ type: 'cancel' }, 'Cancelled by the client (tasks/cancel)');
  }

  // ── Input requests (ctx.request) ──────────────────────────────────────────────────────────

  /**
   * `ctx.request` inside a task: the request joins the task's `inputRequests` and the promise
   * resolves with the client's answer (`tasks/update`). Rejects at once (`client_unreachable`) for a
   * method a client cannot be asked on 2026-07-28, with `missing_required_client_capability` when
   * the creating request's capabilities lack the method's, and with `request_cancelled` when the
   * work is cancelled or the task stops first. `options.key` is the entry's key if this task has
   * not used it yet (else a count is appended); `options.timeoutMs` does not apply (the task's
   * `timeoutMs` bounds the whole work).
   */
  sendRequest(
    from: PendingRequest,
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    if (clientCapabilityFor(method) === undefined) {
      return Promise.reject(
        new SessionRuntimeError(
          'client_unreachable',
          `A task can ask the client only for elicitation/create, sampling/createMessage or roots/list, not ${method}`,
        ),
      );
    }
    const missing = missingClientCapability(method, params, this.work.envelope.clientCapabilities);
    if (missing !== undefined) {
      return Promise.reject(
        new SessionRuntimeError(
          'missing_required_client_capability',
          `The task needs the client's ${capabilityPath(missing)} capability, which the request that created it did not declare`,
          { requiredCapabilities: missing },
        ),
      );
    }
    if (!from.active || TERMINAL_TASK_STATUSES.has(this.current)) {
      return Promise.reject(new SessionRuntimeError('request_cancelled', 'The task is over'));
    }
    const key = this.mintKey(method, options?.key);
    return new Promise((resolve, reject) => {
      const signals = [from.signal, options?.signal].filter((signal) => signal !== undefined);
      const ended = () => {
        if (this.inputs?.get(key) !== input) return;
        this.inputs.delete(key);
        // Through `input.reject`: the listener on the other signal goes too.
        input.reject(
          new SessionRuntimeError('request_cancelled', 'The task ended before the client answered'),
        );
      };
      const input: PendingInput = {
        method,
        params: params ?? {},
        resolve: (value) => {
          for (const signal of signals) signal.removeEventListener('abort', ended);
          resolve(value);
        },
        reject: (error) => {
          for (const signal of signals) signal.removeEventListener('abort', ended);
          reject(error);
        },
      };
      this.inputs ??= new Map();
      this.inputs.set(key, input);
      for (const signal of signals) signal.addEventListener('abort', ended, { once: true });
      if (this.current === 'working') this.transition({ type: 'input' }, undefined);
      else this.touch(this.message);
    });
  }

  /** A key no earlier request of this task used: the handler's own, else the method and a count. */
  private mintKey(method: string, given: string | undefined): string {
    this.usedKeys ??= new Set();
    const base = given ?? method;
    let key = given !== undefined && !this.usedKeys.has(given) ? given : `${base}:${this.usedKeys.size}`;
    while (this.usedKeys.has(key)) key = `${base}:${this.usedKeys.size + 1}:${key.length}`;
    this.usedKeys.add(key);
    return key;
  }

  private rejectInputs(error: Error): void {
    const inputs = this.inputs;
    if (inputs === undefined || inputs.size === 0) return;
    const pending = [...inputs.values()];
    inputs.clear();
    for (const input of pending) input.reject(error);
  }

  // ── TaskHost ──────────────────────────────────────────────────────────────────────────────

  cancelWork(): void {
    this.rejectInputs(new SessionRuntimeError('request_cancelled', 'The task was cancelled'));
    this.cancel(this.key);
  }

  releaseAll(reason: SessionStopReason): void {
    const { options } = this.environment;
    this.stopTimer();
    if (!TERMINAL_TASK_STATUSES.has(this.current)) {
      this.current = 'cancelled';
      this.message =
        reason === 'closed'
          ? 'The server shut down before the task finished'
          : 'The task was removed before it finished';
      this.updatedAt = Math.max(options.clock.now(), this.updatedAt);
    }
    const error =
      reason === 'closed'
        ? new SessionRuntimeError('shutting_down', undefined, {
            retryAfterSeconds: options.retryAfterSeconds,
          })
        : new SessionRuntimeError('request_cancelled', 'The task stopped');
    this.rejectInputs(error);
    if (!this.mailboxEmpty()) {
      const running = this.failAll(error);
      // As for a session: abort once the task has left its directory.
      queueMicrotask(() => {
        for (const request of running) request.abort(error);
      });
    }
  }

  // ── Mailbox and KeyedActor ────────────────────────────────────────────────────────────────

  /** No session: the empty string. */
  get sessionId(): string {
    return '';
  }

  get sharedContext(): unknown {
    return this.environment.options.context;
  }

  info(): SessionInfo {
    return this.sessionlessInfo(this.work.envelope);
  }

  /** `notifications/message` is not supported on tasks (SEP-2663, "Task Status Notifications"). */
  passesLogLevel(): boolean {
    return false;
  }

  protected afterWork(): void {
    if (!this.mailboxEmpty() || !this.live) return;
    if (this.awake?.getSnapshot().context.closing) this.actor.send({ type: 'drained' });
  }

  /** A task does not rest: it holds its outcome, and lives at most its ttl after the work. */
  protected recordOf(): undefined {
    return undefined;
  }

  protected revive(): Actor<typeof taskMachine> {
    throw new Error('A task never rests');
  }
}
