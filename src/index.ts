/**
 * mcp-session-runtime: the public door. Every export is listed by name; `test/index.test.ts` keeps
 * the list from growing by accident.
 *
 * The XState machines (`machines/`) are not exported: they are the runtime's inner workings, and
 * their types pull XState's declarations into a consumer's program, which a strict `tsc` without
 * `skipLibCheck` (e.g. with `exactOptionalPropertyTypes`) rejects.
 */

export type { HandleDefinition, HandleKind } from './features/handles.js';
export { defineHandle } from './features/handles.js';
export type {
  PromptArguments,
  PromptArgumentsSchema,
  PromptDefinition,
  PromptMessage,
  PromptReturn,
} from './features/prompts.js';
export { definePrompt } from './features/prompts.js';
export type {
  Completer,
  ResourceContents,
  ResourceDefinition,
  ResourceReturn,
  ResourceTemplateDefinition,
} from './features/resources.js';
export { defineResource, defineResourceTemplate } from './features/resources.js';
export type { TaskSupport, ToolExecution } from './features/tasks.js';
export type {
  CallToolResult,
  NoHandle,
  ToolArguments,
  ToolContext,
  ToolDefinition,
  ToolInputSchema,
  ToolReturn,
} from './features/tools.js';
export { defineTool, ToolError } from './features/tools.js';
// The HTTP status of an error response, kept at the root for code written before the
// `mcp-session-runtime/http` entry had it; the table it reads lives with the HTTP transport.
export { httpStatusOf } from './http/statuses.js';
export type { SessionRuntimeErrorCode, SessionRuntimeErrorData } from './protocol/errors.js';
export { ClientRequestError, errorTable, reasonOf, SessionRuntimeError } from './protocol/errors.js';
export type {
  JsonRpcErrorObject,
  JsonRpcErrorResponse,
  JsonRpcId,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcResultResponse,
} from './protocol/jsonrpc.js';
export { isErrorResponse } from './protocol/jsonrpc.js';
export {
  LATEST_PROTOCOL_VERSION,
  negotiateProtocolVersion,
  SUPPORTED_PROTOCOL_VERSIONS,
} from './protocol/lifecycle.js';
export type { LoggingLevel } from './protocol/logging.js';
export { LOGGING_LEVELS } from './protocol/logging.js';
export type {
  IncomingMessage,
  IncomingNotification,
  IncomingRequest,
  IncomingResponse,
  InvalidMessage,
} from './protocol/messages.js';
export { parseMessage } from './protocol/messages.js';
export type { Clock, TimerHandle } from './runtime/clock.js';
export { ManualClock, systemClock } from './runtime/clock.js';
export { RuntimeEventEmitter } from './runtime/events.js';
export type { HandleCallContext, HandleView } from './runtime/handleAccess.js';
export type { HandleStore, HandleStoreOperation, StoredHandle } from './runtime/handleStore.js';
export { HandleStoreError, MemoryHandleStore, StaleFencingTokenError } from './runtime/handleStore.js';
export type { MethodLatency } from './runtime/methodLatency.js';
export type { OutboundRequestOptions } from './runtime/OutboundRequests.js';
export type { RecentEvent } from './runtime/RecentEvents.js';
export type { CloseOptions, SessionAccess, SessionRuntime } from './runtime/SessionRuntime.js';
export type { ActorSummary, RuntimeSnapshot, SnapshotOptions } from './runtime/snapshot.js';
export type { ActorInspectionEvent, InspectionObserver } from './runtime/telemetry/inspect.js';
export type {
  ActorTransition,
  TransitionActorKind,
  TransitionActorStatus,
  TransitionLog,
  TransitionLogOptions,
  TransitionQuery,
} from './runtime/telemetry/transitionLog.js';
export { createTransitionLog } from './runtime/telemetry/transitionLog.js';
export type {
  ClientInfo,
  DispatchOptions,
  DispatchResult,
  HandlerContext,
  Principal,
  ProgressUpdate,
  RequestHandler,
  RuntimeEvents,
  RuntimeMetrics,
  SessionInfo,
  SessionState,
  StopReason,
} from './runtime/types.js';
export { createSessionRuntime } from './server/createSessionRuntime.js';
export type { ServeContext, ServerDefinition } from './server/defineServer.js';
export { defineServer } from './server/defineServer.js';
export type { SessionRuntimeOptions, SpawnPolicy } from './server/options.js';
