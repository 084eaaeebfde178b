/**
 * Wire knowledge of the tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) on MCP
 * 2026-07-28: its identifier, its methods, the `Task` shapes `tools/call` (`CreateTaskResult`),
 * `tasks/get` (`DetailedTask`) and `notifications/tasks` carry, and the -32021 answer a client that
 * did not declare the extension gets.
 */
import type { JsonRpcErrorObject } from './jsonrpc.js';
import { isRecord } from './jsonrpc.js';

/** The extension's identifier (SEP-2663, "Extension Identifier"). */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** The methods the extension adds; `tasks/result` and `tasks/list` (2025-11-25) are not among them. */
export const TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/update', 'tasks/cancel']);

/** What a client's `clientCapabilities` must hold for a task answer (`data.requiredCapabilities`). */
export const TASKS_REQUIRED_CAPABILITIES: Readonly<Record<string, unknown>> = Object.freeze({
  extensions: Object.freeze({ [TASKS_EXTENSION]: Object.freeze({}) }),
});

/** Whether a request's `clientCapabilities` declare the extension (SEP-2663, "Capability Negotiation"). */
export function declaresTasks(clientCapabilities: Readonly<Record<string, unknown>> | undefined): boolean {
  const extensions = clientCapabilities?.extensions;
  return isRecord(extensions) && isRecord(extensions[TASKS_EXTENSION]);
}

/**
 * How a tool may run as a task, as MCP 2025-11-25 spells it (`ToolExecution.taskSupport`):
 * `forbidden` (never), `optional` (a task for a client that declared the extension, a plain call
 * otherwise) or `required` (a task, and -32021 for a client that did not declare the extension).
 */
export type TaskSupport = 'forbidden' | 'optional' | 'required';

/**
 * Set by the runtime on the params of a `tools/call` it runs only up to the task's creation: the
 * tool's `beforeTask` step (multi-round-trip input gathered synchronously, SEP-2663 "Composition
 * with Multi Round-Trip Requests"). A symbol: no client's JSON can carry it.
 */
export const BEFORE_TASK: unique symbol = Symbol('mcp-session-runtime.beforeTask');

/**
 * The key under which the `beforeTask` step answers with the arguments the task's handler gets, and
 * under which the runtime hands them to the `tools/call` it runs inside the task.
 */
export const TASK_ARGUMENTS: unique symbol = Symbol('mcp-session-runtime.taskArguments');

/** A task's status (SEP-2663, "Task Status"). */
export type TaskStatusName = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** One entry of a task's `inputRequests`: a request the server would have sent the client. */
export interface TaskInputRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** What the wire shapes are built from. */
export interface TaskView {
  readonly taskId: string;
  readonly status: TaskStatusName;
  readonly statusMessage: string | undefined;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly lastUpdatedAt: number;
  /** ms, or `null` for unlimited. */
  readonly ttlMs: number | null;
  /** ms. */
  readonly pollIntervalMs: number;
  readonly inputRequests: Readonly<Record<string, TaskInputRequest>> | undefined;
  readonly result: Readonly<Record<string, unknown>> | undefined;
  readonly error: JsonRpcErrorObject | undefined;
}

/** The `Task` base shape: id, status, ISO 8601 times, integer `ttlMs` and `pollIntervalMs`. */
export function taskShape(view: TaskView): Record<string, unknown> {
  const task: Record<string, unknown> = {
    taskId: view.taskId,
    status: view.status,
    createdAt: new Date(view.createdAt).toISOString(),
    lastUpdatedAt: new Date(view.lastUpdatedAt).toISOString(),
    ttlMs: view.ttlMs === null ? null : Math.round(view.ttlMs),
    pollIntervalMs: Math.max(1, Math.round(view.pollIntervalMs)),
  };
  if (view.statusMessage !== undefined) task.statusMessage = view.statusMessage;
  return task;
}

/** `CreateTaskResult` (`Result & Task`, `resultType: "task"`): flat, no result, error or inputRequests. */
export function createTaskResult(view: TaskView): Record<string, unknown> {
  return { resultType: 'task', ...taskShape(view) };
}

/**
 * `DetailedTask`, what `tasks/get` answers and `notifications/tasks` carries: the base shape with
 * `inputRequests` (`input_required`), `result` (`completed`) or `error` (`failed`) inlined.
 */
export function detailedTask(view: TaskView): Record<string, unknown> {
  const task = taskShape(view);
  if (view.status === 'input_required') task.inputRequests = view.inputRequests ?? {};
  else if (view.status === 'completed') task.result = view.result ?? {};
  else if (view.status === 'failed') task.error = view.error ?? { code: -32603, message: 'Internal error' };
  return task;
}

/** The `taskId` of a `tasks/*` request, or `undefined` when it is not a non-empty string. */
export function taskIdOf(params: Readonly<Record<string, unknown>>): string | undefined {
  const taskId = params.taskId;
  return typeof taskId === 'string' && taskId.length > 0 ? taskId : undefined;
}
