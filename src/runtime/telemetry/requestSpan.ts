/**
 * The SERVER span and the `mcp.server.operation.duration` measurement of one request, as the
 * OpenTelemetry semantic conventions for MCP describe them (status: Development):
 * - span name `{mcp.method.name} {target}`, the target being the tool (`tools/call`) or prompt
 *   (`prompts/get`) name, else `{mcp.method.name}` alone (a resource URI is never in the name: too
 *   many values);
 * - parent: the context the client injected in `params._meta` (`traceparent`, `tracestate`,
 *   `baggage`, through the registered propagator); the ambient context (the transport's, e.g. the
 *   HTTP server span) becomes a span link. Without `_meta` context the ambient context is the parent;
 * - `error.type` and `rpc.response.status_code`: the JSON-RPC error code as a string; `tool_error`
 *   for a `CallToolResult` with `isError: true`; span status ERROR with the error's message.
 */
import type { Attributes, Context, Link, Span, Tracer } from '@opentelemetry/api';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { JsonRpcId, JsonRpcResponse } from '../../protocol/jsonrpc.js';
import type { RequestTelemetry } from '../types.js';
import type { Instruments } from './instruments.js';
import { activeInstruments, activeTracer } from './instruments.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ERROR_TYPE_CANCELLED,
  ERROR_TYPE_TOOL_ERROR,
  GEN_AI_OPERATION_EXECUTE_TOOL,
} from './semconv.js';

/** The request as the runtime sees it at arrival. @internal */
export interface ObservedRequest {
  readonly method: string;
  readonly id: JsonRpcId;
  readonly params: Readonly<Record<string, unknown>>;
}

/** The attributes a transport knows (`network.*`, `client.address`, `client.port`). */
export type TransportAttributes = Readonly<Record<string, string | number>>;

/** The transport attributes that also go on the duration metric (low cardinality), sorted. */
const METRIC_TRANSPORT_KEYS = [
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
];

const SERVER = SpanKind.SERVER;

/**
 * One request being served, observed: its span (if a tracer provider is registered and the
 * sampler kept it) and its start time (if a meter provider is registered). @internal
 */
export class RequestObservation {
  /**
   * The context the request's work runs in: the span's, so a handler's own spans nest under it (a
   * span the sampler dropped too: its trace id and sampled-out flag reach the handler's spans and
   * outgoing calls). `undefined` when there is no span (metrics only): the work then runs in the
   * caller's context, with no `context.with` to pay for.
   */
  readonly context: Context | undefined;

  private constructor(
    private readonly request: ObservedRequest,
    private readonly span: Span | undefined,
    parent: Context | undefined,
    private readonly instruments: Instruments | undefined,
    private readonly startedAt: number,
    private readonly transport: TransportAttributes | undefined,
  ) {
    this.context = span === undefined || parent === undefined ? undefined : trace.setSpan(parent, span);
  }

  /**
   * Starts observing `request`, or `undefined` when no telemetry is collected (then the caller
   * serves it as if this module did not exist). `telemetry.attributes` is read here, once, and only
   * when the request is observed: a transport may resolve it lazily.
   */
  static start(
    request: ObservedRequest,
    sessionId: string | undefined,
    telemetry: RequestTelemetry | undefined,
  ): RequestObservation | undefined {
    const tracer = activeTracer();
    const instruments = activeInstruments();
    if (tracer === undefined && instruments === undefined) return undefined;
    const startedAt = instruments === undefined ? 0 : performance.now();
    const transport = telemetry?.attributes;
    if (tracer === undefined) {
      return new RequestObservation(request, undefined, undefined, instruments, startedAt, transport);
    }
    const [parent, links] = parentOf(request.params, context.active());
    const span = startSpan(tracer, request, sessionId, transport, parent, links);
    return new RequestObservation(request, span, parent, instruments, startedAt, transport);
  }

  /** The instruments this request records to (`undefined`: no meter provider registered). */
  get meterInstruments(): Instruments | undefined {
    return this.instruments;
  }

  /** The request was answered with `response` (`undefined`: cancelled, no answer). */
  end(response: JsonRpcResponse | undefined, protocolVersion: string | undefined): void {
    const { span, instruments, request } = this;
    let errorType: string | undefined;
    let statusCode: string | undefined;
    let message: string | undefined;
    if (response === undefined) errorType = ERROR_TYPE_CANCELLED;
    else if ('error' in response) {
      statusCode = String(response.error.code);
      errorType = statusCode;
      message = response.error.message;
    } else if (request.method === 'tools/call' && response.result.isError === true) {
      errorType = ERROR_TYPE_TOOL_ERROR;
    }
    if (span !== undefined) {
      if (protocolVersion !== undefined) span.setAttribute(ATTR_MCP_PROTOCOL_VERSION, protocolVersion);
      if (errorType !== undefined) {
        span.setAttribute(ATTR_ERROR_TYPE, errorType);
        if (statusCode !== undefined) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, statusCode);
        span.setStatus(
          message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message },
        );
      }
      span.end();
    }
    if (instruments !== undefined) {
      const seconds = (performance.now() - this.startedAt) / 1000;
      const attributes =
        errorType === undefined
          ? answeredAttributes(request, protocolVersion, this.transport)
          : metricAttributes(request, protocolVersion, errorType, statusCode, this.transport);
      instruments.operationDuration.record(seconds, attributes);
    }
  }
}

/**
 * The duration metric's attributes of one request (a fresh object), their keys in code-point order:
 * the metrics SDK sorts an attribute set's keys on every record (`hashAttributes`), and an array
 * already sorted is one pass where a shuffled one of 7–9 keys takes a dozen string comparisons
 * (≈ 70–80 ns of a ≈ 1.2 µs hash).
 */
function metricAttributes(
  request: ObservedRequest,
  protocolVersion: string | undefined,
  errorType: string | undefined,
  statusCode: string | undefined,
  transport: TransportAttributes | undefined,
): Attributes {
  const attributes: Attributes = {};
  if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
  targetAttributes(request, attributes);
  attributes[ATTR_MCP_METHOD_NAME] = request.method;
  if (protocolVersion !== undefined) attributes[ATTR_MCP_PROTOCOL_VERSION] = protocolVersion;
  if (transport !== undefined) {
    for (const key of METRIC_TRANSPORT_KEYS) {
      const value = transport[key];
      if (value !== undefined) attributes[key] = value;
    }
  }
  if (statusCode !== undefined) attributes[ATTR_RPC_RESPONSE_STATUS_CODE] = statusCode;
  return Object.freeze(attributes);
}

/** Most attribute sets {@link answeredAttributes} keeps; past it, it starts over. */
const ANSWERED_SETS = 256;
type ByTransport = Map<string | number | undefined, Attributes>;
/** Method → tool or prompt name → protocol version → network.protocol.version → attributes. */
const answeredSets = new Map<string, Map<unknown, Map<string | undefined, ByTransport>>>();
let answeredCount = 0;

/**
 * The duration metric's attributes of a request answered without an error, shared (frozen) by
 * every such request with the same method, tool or prompt name, protocol version and transport: a
 * busy server records a handful of sets over and over. Only the answered ones are kept (an unknown
 * tool or method is an error), and at most {@link ANSWERED_SETS} of them.
 */
function answeredAttributes(
  request: ObservedRequest,
  protocolVersion: string | undefined,
  transport: TransportAttributes | undefined,
): Attributes {
  const { method } = request;
  const name = method === 'tools/call' || method === 'prompts/get' ? request.params.name : undefined;
  const transportKey = transport?.[ATTR_NETWORK_PROTOCOL_VERSION];
  const byName = answeredSets.get(method);
  const byVersion = byName?.get(name);
  const byTransport = byVersion?.get(protocolVersion);
  const cached = byTransport?.get(transportKey);
  // Same set only when the transport's other metric attributes match too (`tcp`, `http`).
  if (cached !== undefined && sameTransport(cached, transport)) return cached;
  const attributes = metricAttributes(request, protocolVersion, undefined, undefined, transport);
  if (typeof name !== 'string' && name !== undefined) return attributes;
  if (answeredCount >= ANSWERED_SETS) {
    answeredSets.clear();
    answeredCount = 0;
  }
  let names = answeredSets.get(method);
  if (names === undefined) {
    names = new Map();
    answeredSets.set(method, names);
  }
  let versions = names.get(name);
  if (versions === undefined) {
    versions = new Map();
    names.set(name, versions);
  }
  let transports = versions.get(protocolVersion);
  if (transports === undefined) {
    transports = new Map();
    versions.set(protocolVersion, transports);
  }
  transports.set(transportKey, attributes);
  answeredCount++;
  return attributes;
}

function sameTransport(attributes: Attributes, transport: TransportAttributes | undefined): boolean {
  return (
    attributes[ATTR_NETWORK_TRANSPORT] === transport?.[ATTR_NETWORK_TRANSPORT] &&
    attributes[ATTR_NETWORK_PROTOCOL_NAME] === transport?.[ATTR_NETWORK_PROTOCOL_NAME]
  );
}

/**
 * The parent of a request's span: the context injected in `params._meta`, with the ambient one as
 * a link; or the ambient context when `_meta` carries none.
 */
function parentOf(
  params: Readonly<Record<string, unknown>>,
  ambient: Context,
): readonly [Context, Link[] | undefined] {
  const meta = params._meta;
  if (typeof meta !== 'object' || meta === null) return [ambient, undefined];
  const extracted = propagation.extract(ambient, meta);
  const remote = trace.getSpanContext(extracted);
  const local = trace.getSpanContext(ambient);
  if (remote === local || local === undefined || remote === undefined) return [extracted, undefined];
  // The client's span is the parent: the extracted context keeps the ambient baggage and values,
  // but not its span, which becomes a link.
  return [extracted, [{ context: local }]];
}

function startSpan(
  tracer: Tracer,
  request: ObservedRequest,
  sessionId: string | undefined,
  transport: TransportAttributes | undefined,
  parent: Context,
  links: Link[] | undefined,
): Span {
  const { method } = request;
  const target = targetName(request);
  const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: method };
  const span = tracer.startSpan(
    target === undefined ? method : `${method} ${target}`,
    links === undefined ? { kind: SERVER, attributes } : { kind: SERVER, attributes, links },
    parent,
  );
  if (!span.isRecording()) return span;
  // Straight onto the span, which copies each value anyway: no attribute object of our own.
  span.setAttribute(ATTR_JSONRPC_REQUEST_ID, String(request.id));
  if (sessionId !== undefined && sessionId.length > 0) span.setAttribute(ATTR_MCP_SESSION_ID, sessionId);
  const { params } = request;
  if (method === 'tools/call') {
    span.setAttribute(ATTR_GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_EXECUTE_TOOL);
    if (typeof params.name === 'string') span.setAttribute(ATTR_GEN_AI_TOOL_NAME, params.name);
  } else if (method === 'prompts/get') {
    if (typeof params.name === 'string') span.setAttribute(ATTR_GEN_AI_PROMPT_NAME, params.name);
  } else if (method === 'resources/read' && typeof params.uri === 'string') {
    span.setAttribute(ATTR_MCP_RESOURCE_URI, params.uri);
  }
  if (transport !== undefined) span.setAttributes(transport);
  return span;
}

/** The tool or prompt name a span is named after, if the request has one. */
function targetName(request: ObservedRequest): string | undefined {
  if (request.method !== 'tools/call' && request.method !== 'prompts/get') return undefined;
  const name = request.params.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * `gen_ai.*` of a tool or prompt, for the metric (the span sets its own, `mcp.resource.uri` too), in
 * code-point order (`gen_ai.operation.name` before `gen_ai.tool.name`).
 */
function targetAttributes(request: ObservedRequest, attributes: Attributes): void {
  const { method, params } = request;
  if (method === 'tools/call') {
    attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_EXECUTE_TOOL;
    if (typeof params.name === 'string') attributes[ATTR_GEN_AI_TOOL_NAME] = params.name;
  } else if (method === 'prompts/get') {
    if (typeof params.name === 'string') attributes[ATTR_GEN_AI_PROMPT_NAME] = params.name;
  }
}
