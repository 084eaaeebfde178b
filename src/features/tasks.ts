/**
 * How a tool declares that it may run as a task of the tasks extension (`io.modelcontextprotocol/tasks`,
 * SEP-2663): its definition's `execution.taskSupport` (the field MCP 2025-11-25 gave `Tool`, read
 * here as the server's own decision) and its optional `beforeTask` step. The runtime
 * (`src/runtime/Tasks.ts`) does the rest on the MCP 2026-07-28 path.
 */
import { describeClientValue } from '../protocol/errors.js';
import type { TaskSupport } from '../protocol/tasks.js';
import { rejectUnknownKeys } from './definitions.js';

export type { TaskSupport } from '../protocol/tasks.js';

/**
 * How a tool runs (`ToolDefinition.execution`).
 *
 * `taskSupport` (the name MCP 2025-11-25 gives `ToolExecution.taskSupport`):
 * - `forbidden` (the default): always a plain call;
 * - `optional`: on MCP 2026-07-28, a task for a request whose `_meta` declares the
 *   `io.modelcontextprotocol/tasks` extension (answered `CreateTaskResult`, `resultType: "task"`),
 *   a plain call otherwise;
 * - `required`: a task for such a request; a request that does not declare the extension is refused
 *   with -32021 (`missing_required_client_capability`, `data.requiredCapabilities.extensions`).
 *
 * On a 2025-era session every tool runs as a plain call: the extension is not defined there, and
 * the 2025-11-25 experimental tasks are not served. The field is not listed in `tools/list`: the
 * 2026-07-28 `Tool` has no `execution` (task creation is the server's decision), and on a 2025
 * session it would announce those experimental tasks.
 */
export interface ToolExecution {
  /** @default 'forbidden' */
  readonly taskSupport?: TaskSupport;
}

const supports: readonly TaskSupport[] = ['forbidden', 'optional', 'required'];

/**
 * The checked `taskSupport` of a definition's `execution` (`forbidden` when absent).
 * @throws TypeError naming the tool for anything but `{ taskSupport?: 'forbidden' | 'optional' | 'required' }`.
 */
export function taskSupportOf(execution: unknown, what: string): TaskSupport {
  if (execution === undefined) return 'forbidden';
  if (typeof execution !== 'object' || execution === null || Array.isArray(execution)) {
    throw new TypeError(
      `Expected the \`execution\` of ${what} to be an object, got ${describeClientValue(execution)}`,
    );
  }
  rejectUnknownKeys(execution, ['taskSupport'], `the \`execution\` of ${what}`);
  const support = (execution as { readonly taskSupport?: unknown }).taskSupport;
  if (support === undefined) return 'forbidden';
  if (!supports.includes(support as TaskSupport)) {
    throw new TypeError(
      `Expected \`execution.taskSupport\` of ${what} to be 'forbidden', 'optional' or 'required', got ${describeClientValue(support)}`,
    );
  }
  return support as TaskSupport;
}
