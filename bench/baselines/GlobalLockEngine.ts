/**
 * Baseline (b): the original engine's "before", one `Mutex<HashMap>`. It does the same protocol work
 * as our runtime, with the same code where the work is the same (the `@modelcontextprotocol/core`
 * schemas through `parseMessage`, `answerInitialize`, the error table, the tool handlers), but every
 * message of every session runs behind one async lock, handler included. So the ratio to it isolates
 * the concurrency design.
 *
 * Lifecycle here is a string field, not a machine: this is the design we replace, kept as it was.
 */

import { createToolHandlers } from '../../src/features/tools.js';
import type { HandlerContext, RequestHandler, ToolDefinition } from '../../src/index.js';
import { errorResponse, SessionRuntimeError } from '../../src/protocol/errors.js';
import type { JsonRpcId, JsonRpcResponse } from '../../src/protocol/jsonrpc.js';
import type { ServerIdentity } from '../../src/protocol/lifecycle.js';
import { answerInitialize } from '../../src/protocol/lifecycle.js';
import type { IncomingNotification, IncomingRequest } from '../../src/protocol/messages.js';
import { parseMessage } from '../../src/protocol/messages.js';
import type { BenchEngine } from '../harness/engine.js';
import { AsyncLock } from './AsyncLock.js';

type LockedState = 'awaitingInitialize' | 'initialized' | 'ready';

interface LockedRequestContext {
  readonly sessionId: string;
  readonly requestId: JsonRpcId;
  readonly method: string;
  readonly context: undefined;
}

interface LockedSession {
  readonly sessionId: string;
  state: LockedState;
  protocolVersion: string | undefined;
  clientInfo: Readonly<Record<string, unknown>> | undefined;
  lastActivity: number;
}

/** Counters like ours, so the baseline pays what we pay for being counted. */
interface LockedCounters {
  accepted: number;
  completed: number;
  failed: number;
  rejected: number;
}

/** @see {@link GlobalLockEngine.dispatch} */
export class GlobalLockEngine implements BenchEngine {
  readonly label = 'global lock (same protocol work)';
  readonly lock = new AsyncLock();
  readonly counters: LockedCounters = { accepted: 0, completed: 0, failed: 0, rejected: 0 };
  private readonly sessions = new Map<string, LockedSession>();
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly server: ServerIdentity;

  constructor(
    handlers: Readonly<Record<string, RequestHandler>>,
    // biome-ignore lint/suspicious/noExplicitAny: tools of any input schema share one list
    tools: readonly ToolDefinition<any>[],
  ) {
    for (const [method, handler] of Object.entries(createToolHandlers(tools)))
      this.handlers.set(method, handler);
    for (const [method, handler] of Object.entries(handlers)) this.handlers.set(method, handler);
    this.server = { serverInfo: { name: 'bench', version: '1.0.0' }, capabilities: { tools: {} } };
  }

  /** Takes the one lock, then does everything our runtime does for the message, handler included. */
  dispatch(sessionId: string, message: unknown): Promise<unknown> {
    return this.lock.run(() => this.handle(sessionId, message));
  }

  get size(): number {
    return this.sessions.size;
  }

  private async handle(sessionId: string, message: unknown): Promise<JsonRpcResponse | undefined> {
    const incoming = parseMessage(message);
    if (incoming.kind === 'invalid') return this.reject(incoming.response);
    const id = incoming.kind === 'notification' ? null : incoming.id;
    let session = this.sessions.get(sessionId);
    if (session === undefined) {
      if (incoming.kind !== 'request' || incoming.method !== 'initialize') {
        return this.reject(errorResponse(id, 'session_not_found'));
      }
      session = this.createSession(sessionId);
    }
    session.lastActivity = Date.now();
    if (incoming.kind === 'request') return this.request(session, incoming);
    if (incoming.kind === 'notification') this.notification(session, incoming);
    return undefined;
  }

  private createSession(sessionId: string): LockedSession {
    const session: LockedSession = {
      sessionId,
      state: 'awaitingInitialize',
      protocolVersion: undefined,
      clientInfo: undefined,
      lastActivity: Date.now(),
    };
    this.sessions.set(sessionId, session);
    return session;
  }

  private async request(session: LockedSession, message: IncomingRequest): Promise<JsonRpcResponse> {
    if (message.method === 'ping') return { jsonrpc: '2.0', id: message.id, result: {} };
    if (message.method === 'initialize') return this.initialize(session, message);
    if (session.state === 'awaitingInitialize')
      return this.reject(errorResponse(message.id, 'not_initialized'));
    const handler = this.handlers.get(message.method);
    if (handler === undefined) {
      return this.reject(
        errorResponse(message.id, 'method_not_found', `Method not found: ${message.method}`),
      );
    }
    this.counters.accepted++;
    let response: JsonRpcResponse;
    try {
      const value = await handler(message.params, this.contextFor(session, message));
      const result = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
      response = { jsonrpc: '2.0', id: message.id, result };
    } catch (error) {
      response = this.handlerError(message.id, error);
    }
    session.lastActivity = Date.now();
    if ('error' in response) this.counters.failed++;
    else this.counters.completed++;
    return response;
  }

  private initialize(session: LockedSession, message: IncomingRequest): JsonRpcResponse {
    if (session.state !== 'awaitingInitialize')
      return this.reject(errorResponse(message.id, 'already_initialized'));
    const handshake = answerInitialize(message.id, message.params, this.server);
    if ('error' in handshake) return this.reject(handshake);
    session.state = 'initialized';
    session.protocolVersion = handshake.protocolVersion;
    session.clientInfo = handshake.clientInfo;
    return { jsonrpc: '2.0', id: message.id, result: handshake.result };
  }

  private notification(session: LockedSession, message: IncomingNotification): void {
    // Under one lock nothing else of this session can be running, so `notifications/cancelled` has
    // nothing to find; only the handshake notification changes anything.
    if (message.method === 'notifications/initialized' && session.state === 'initialized')
      session.state = 'ready';
  }

  private handlerError(id: JsonRpcId, error: unknown): JsonRpcResponse {
    if (error instanceof SessionRuntimeError) return { jsonrpc: '2.0', id, error: error.toJsonRpcError() };
    return errorResponse(id, 'internal_error');
  }

  /**
   * A context object per request, as ours allocates one `PendingRequest` per request. It carries the
   * identifying fields only: the bench handlers read nothing else, and the cast keeps this baseline
   * from breaking each time `HandlerContext` grows a capability.
   */
  private contextFor(session: LockedSession, message: IncomingRequest): HandlerContext {
    const context: LockedRequestContext = {
      sessionId: session.sessionId,
      requestId: message.id,
      method: message.method,
      context: undefined,
    };
    return context as unknown as HandlerContext;
  }

  private reject<TResponse extends JsonRpcResponse>(response: TResponse): TResponse {
    this.counters.rejected++;
    return response;
  }
}
