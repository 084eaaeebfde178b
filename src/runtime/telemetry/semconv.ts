/**
 * Every telemetry name the runtime emits, in one place: the OpenTelemetry semantic conventions for
 * MCP (`open-telemetry/semantic-conventions-genai`, `docs/gen-ai/mcp.md`, **status: Development**:
 * names may change in a later revision of the convention, and then change here only) and the
 * runtime's own instruments under `mcp_session_runtime.*`.
 *
 * Our own namespace is `mcp_session_runtime.` (the package name), not `mcp.`: the `mcp.*` names
 * belong to the convention, which may define `mcp.server.session.count` or the like tomorrow with
 * another meaning; a prefix nobody else owns cannot collide. Prometheus exporters turn the dots
 * into underscores (`mcp_session_runtime_sessions`).
 *
 * Treat these strings as a stable interface: dashboards and alerts are written against them.
 */

/** The instrumentation scope of the tracer and the meter. */
export const INSTRUMENTATION_SCOPE = 'mcp-session-runtime';
/** The version of the instrumentation scope (the package's version). */
export const INSTRUMENTATION_VERSION = '0.1.0';

// ── Attributes of the convention (status: Development) ──────────────────────────────────────

export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
/** 2025-era sessions only; never set on a 2026-07-28 request (it has no session). */
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
/** `gen_ai.operation.name` of a `tools/call`. */
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';
/** The JSON-RPC error code as a string (`'-32601'`), or {@link ERROR_TYPE_TOOL_ERROR}. */
export const ATTR_ERROR_TYPE = 'error.type';
/** The JSON-RPC error code of an error response, as a string. */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
/** `error.type` of a `CallToolResult` with `isError: true`. */
export const ERROR_TYPE_TOOL_ERROR = 'tool_error';
/** `error.type` of a request the client cancelled (no response); ours, low cardinality. */
export const ERROR_TYPE_CANCELLED = 'cancelled';
/** `tcp` for Streamable HTTP, `pipe` for stdio. */
export const ATTR_NETWORK_TRANSPORT = 'network.transport';
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_CLIENT_PORT = 'client.port';

// ── Metrics of the convention (status: Development) ─────────────────────────────────────────

/** Histogram, seconds: a request from its arrival until its answer. */
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration';
/** Histogram, seconds: a 2025-era session from its start to its stop. */
export const METRIC_MCP_SERVER_SESSION_DURATION = 'mcp.server.session.duration';
/** The convention's explicit bucket boundaries (seconds) of both histograms. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
]);

// ── Span events ─────────────────────────────────────────────────────────────────────────────

/** Span event: the request waited in its actor's mailbox before its handler started. */
export const EVENT_MAILBOX_WAIT = 'mcp.mailbox.wait';
/** Attribute of {@link EVENT_MAILBOX_WAIT}: the wait in ms. */
export const ATTR_MAILBOX_WAIT_MS = 'mcp_session_runtime.mailbox.wait_ms';

// ── The runtime's own metrics ───────────────────────────────────────────────────────────────

const OURS = 'mcp_session_runtime';

/** Gauge: live 2025-era sessions. */
export const METRIC_SESSIONS = `${OURS}.sessions`;
/** Gauge: live actors whose lifecycle actor is put away (resting), by `kind`. */
export const METRIC_RESTING_ACTORS = `${OURS}.actors.resting`;
/** Gauge: live state handles, by `kind`. */
export const METRIC_HANDLES = `${OURS}.handles`;
/** Gauge: live tasks, by `status`. */
export const METRIC_TASKS = `${OURS}.tasks`;
/** Gauge: requests waiting in mailboxes now (sum over every actor). */
export const METRIC_MAILBOX_DEPTH = `${OURS}.mailbox.depth`;
/** Gauge: handlers holding a slot now. */
export const METRIC_IN_FLIGHT = `${OURS}.requests.in_flight`;
/** Gauge: server→client requests (`ctx.request`) awaiting the client's answer. */
export const METRIC_OUTBOUND_PENDING = `${OURS}.outbound.pending`;
/** Histogram, seconds: time an accepted request waited in its mailbox before its handler started. */
export const METRIC_MAILBOX_WAIT = `${OURS}.mailbox.wait`;
/** Counter: messages refused before reaching a mailbox, by `reason`. */
export const METRIC_REFUSALS = `${OURS}.refusals`;
/** Counter: sessions stopped, by `reason` (`idle`, `lease_lost`, …). */
export const METRIC_SESSION_STOPS = `${OURS}.sessions.stopped`;
/** Counter: state handles stopped, by `kind` and `reason`. */
export const METRIC_HANDLE_STOPS = `${OURS}.handles.stopped`;
/** Counter: requests this instance forwarded to the instance holding their actor, by `outcome`. */
export const METRIC_FORWARDED = `${OURS}.cluster.forwarded`;
/** Counter: lease changes of this instance by `change` (`claim`, `claim_refused`, `release`, `loss`). */
export const METRIC_LEASE_CHANGES = `${OURS}.cluster.lease.changes`;

// Attributes of our own metrics: short, unprefixed names (they become Prometheus labels), scoped
// by the metric that carries them.

/** Which kind of keyed actor: `session`, `handle`, `task`. */
export const ATTR_KIND = 'kind';
/** A task's status (`working`, `input_required`, `completed`, `failed`, `cancelled`). */
export const ATTR_STATUS = 'status';
/** Why a message was refused, or why an actor stopped: the runtime's own reason codes. */
export const ATTR_REASON = 'reason';
/** How a forwarded request ended: `ok`, `error` (the peer could not be reached or answered badly). */
export const ATTR_OUTCOME = 'outcome';
/** A lease change: `claim`, `claim_refused`, `release`, `loss`. */
export const ATTR_CHANGE = 'change';
