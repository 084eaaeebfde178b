/**
 * An in-process MCP client bound to a runtime: no sockets, no transport, either era. For a user's
 * own tests of their server: what a handler does is exercised through the runtime exactly as a
 * transport would hand it over (a 2025 session's `dispatch`, or a 2026-07-28 request's `serve`
 * with its `_meta` envelope), progress and logs included, and the handler's requests to the client
 * (sampling, elicitation, roots) are answered by the test's `onRequest`.
 */

import { readEnvelope } from '../protocol/envelope.js';
import type { JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { isRecord } from '../protocol/jsonrpc.js';
import { parseMessage } from '../protocol/messages.js';
import type { SessionRuntime } from '../runtime/SessionRuntime.js';
import type { DispatchOptions, Principal } from '../runtime/types.js';

/** The revisions a test client speaks: a 2025-era session, or the sessionless 2026-07-28 wire. */
export type TestClientProtocolVersion =
  | '2026-07-28'
  | '2025-11-25'
  | '2025-06-18'
  | '2025-03-26'
  | '2024-11-05';

/** Options of {@link connect}. */
export interface TestClientOptions {
  /**
   * The revision to speak. `2026-07-28`: every request carries its own `_meta` envelope and goes
   * through `runtime.serve`; an earlier one: `initialize`, then a session.
   * @default '2025-11-25'
   */
  readonly protocolVersion?: TestClientProtocolVersion;
  /** The client's capabilities. Default: `elicitation`, `sampling` and `roots` when `onRequest` is given, else none. */
  readonly capabilities?: Readonly<Record<string, unknown>>;
  /** @default { name: 'test-client', version: '1.0.0' } */
  readonly clientInfo?: { readonly name: string; readonly version: string };
  /** The verified caller, as an authenticating transport would pass it (`ctx.auth`). */
  readonly principal?: Principal;
  /**
   * Answers the requests a handler sends the client (`sampling/createMessage`,
   * `elicitation/create`, `roots/list`): return the result, or throw to answer with an error
   * (-32603, or the thrown error's integer `code`). Without it such requests fail in the handler
   * (`client_unreachable` or a missing capability).
   */
  readonly onRequest?: (
    method: string,
    params: Readonly<Record<string, unknown>>,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The session id to use (2025 era). @default a fresh `test-<n>` */
  readonly sessionId?: string;
}

/** Options of one request. */
export interface TestRequestOptions {
  /** Receives the request's notifications (progress, logs) in order. */
  readonly onNotification?: (notification: JsonRpcNotification) => void;
  /** Aborting it cancels the request; the promise then rejects with a `TestClientError` (`cancelled`). */
  readonly signal?: AbortSignal;
  /** Asks for progress: sent as `params._meta.progressToken`. */
  readonly progressToken?: string | number;
}

/** A JSON-RPC error answer (or a cancelled request) as the test client reports it. */
export class TestClientError extends Error {
  override readonly name = 'TestClientError';
  constructor(
    /** The JSON-RPC error code; 0 for a request cancelled before its answer. */
    readonly code: number,
    message: string,
    /** `error.data` as answered (with the runtime's `reason`). */
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** A client bound to one runtime. */
export interface TestClient {
  /** The era this client speaks. */
  readonly protocolVersion: TestClientProtocolVersion;
  /** The session id (2025 era); `undefined` at 2026-07-28. */
  readonly sessionId: string | undefined;
  /** What `initialize` answered (2025 era) or `server/discover` (2026-07-28). */
  readonly server: Readonly<Record<string, unknown>>;
  /** Every notification any request of this client received, in order. */
  readonly notifications: readonly JsonRpcNotification[];
  /**
   * Sends one request and resolves with its `result`; a JSON-RPC error rejects with a
   * {@link TestClientError}. At 2026-07-28 an `input_required` answer is resolved by `onRequest`
   * and the request retried with its `inputResponses` and `requestState`, until it completes.
   */
  request(
    method: string,
    params?: Readonly<Record<string, unknown>>,
    options?: TestRequestOptions,
  ): Promise<Record<string, unknown>>;
  /** `tools/call`; resolves with the `CallToolResult` (an `isError` result is a result, not a throw). */
  callTool(
    name: string,
    args?: Readonly<Record<string, unknown>>,
    options?: TestRequestOptions,
  ): Promise<Record<string, unknown>>;
  /** `tools/list`'s tools. */
  listTools(): Promise<readonly Record<string, unknown>[]>;
  /** Ends the session (as an HTTP `DELETE` would); nothing to do at 2026-07-28. */
  close(): Promise<void>;
}

let sessions = 0;
let requests = 0;

const MODERN = '2026-07-28';

/**
 * Connects a test client to `runtime`: a 2025-era client initializes a session (and sends
 * `notifications/initialized`); a 2026-07-28 client calls `server/discover`.
 *
 * @throws TestClientError when `initialize` or `server/discover` is refused.
 *
 * @example
 * ```ts
 * import { connect } from 'mcp-session-runtime/testing';
 * const client = await connect(runtime, { protocolVersion: '2026-07-28' });
 * const result = await client.callTool('add', { a: 1, b: 2 }); // as answered: resultType, _meta too
 * expect(result.content).toEqual([{ type: 'text', text: '3' }]);
 * ```
 */
export async function connect(runtime: SessionRuntime, options: TestClientOptions = {}): Promise<TestClient> {
  const protocolVersion = options.protocolVersion ?? '2025-11-25';
  const clientInfo = options.clientInfo ?? { name: 'test-client', version: '1.0.0' };
  const capabilities =
    options.capabilities ??
    (options.onRequest === undefined ? {} : { elicitation: {}, sampling: {}, roots: {} });
  const notifications: JsonRpcNotification[] = [];
  const modern = protocolVersion === MODERN;
  const sessionId = modern ? undefined : (options.sessionId ?? `test-${++sessions}`);

  /** Answers a server→client request with the test's `onRequest`. */
  const answer = async (
    method: string,
    params: Readonly<Record<string, unknown>>,
  ): Promise<{ result: Record<string, unknown> } | { error: { code: number; message: string } }> => {
    if (options.onRequest === undefined)
      return { error: { code: -32601, message: `No onRequest for ${method}` } };
    try {
      return { result: await options.onRequest(method, params) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return {
        error: {
          code: Number.isInteger(code) ? (code as number) : -32603,
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
  };

  const settle = (response: JsonRpcResponse | undefined): Record<string, unknown> => {
    if (response === undefined) throw new TestClientError(0, 'The request was cancelled');
    if ('error' in response) {
      throw new TestClientError(response.error.code, response.error.message, response.error.data);
    }
    return response.result as Record<string, unknown>;
  };

  const legacyRequest = async (
    method: string,
    params: Readonly<Record<string, unknown>>,
    request: TestRequestOptions,
  ): Promise<Record<string, unknown>> => {
    const dispatchOptions: DispatchOptions = {
      principal: options.principal,
      onNotification: (notification) => {
        notifications.push(notification);
        request.onNotification?.(notification);
      },
      onRequest: (outbound: JsonRpcRequest) => {
        void answer(outbound.method, outbound.params ?? {}).then((reply) =>
          runtime.dispatch(
            sessionId as string,
            { jsonrpc: '2.0', id: outbound.id, ...reply },
            {
              principal: options.principal,
            },
          ),
        );
      },
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    };
    const message = { jsonrpc: '2.0', id: `t${++requests}`, method, params };
    return settle(await runtime.dispatch(sessionId as string, message, dispatchOptions));
  };

  const modernRequest = async (
    method: string,
    params: Readonly<Record<string, unknown>>,
    request: TestRequestOptions,
  ): Promise<Record<string, unknown>> => {
    let next: Record<string, unknown> = { ...params };
    for (;;) {
      const meta = isRecord(next._meta) ? next._meta : {};
      const message = parseMessage({
        jsonrpc: '2.0',
        id: `t${++requests}`,
        method,
        params: {
          ...next,
          _meta: {
            ...meta,
            'io.modelcontextprotocol/protocolVersion': MODERN,
            'io.modelcontextprotocol/clientCapabilities': capabilities,
            'io.modelcontextprotocol/clientInfo': clientInfo,
          },
        },
      });
      if (message.kind !== 'request') throw new TestClientError(-32600, 'Not a request');
      const envelope = readEnvelope(message.params);
      if (typeof envelope === 'string') throw new TestClientError(-32602, envelope);
      const response = await runtime.serve(message, envelope, {
        principal: options.principal,
        onNotification: (notification) => {
          notifications.push(notification);
          request.onNotification?.(notification);
        },
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      const result = settle(response);
      if (result.resultType !== 'input_required') return result;
      // A multi-round-trip request (SEP-2322): answer what was asked, retry with the state.
      const asked = isRecord(result.inputRequests) ? result.inputRequests : {};
      const inputResponses: Record<string, unknown> = {};
      for (const [key, input] of Object.entries(asked)) {
        const { method: askedMethod, params: askedParams } = input as {
          method: string;
          params?: Record<string, unknown>;
        };
        const reply = await answer(askedMethod, askedParams ?? {});
        if ('error' in reply) throw new TestClientError(reply.error.code, reply.error.message);
        inputResponses[key] = reply.result;
      }
      next = { ...params, inputResponses, requestState: result.requestState };
    }
  };

  const request: TestClient['request'] = (method, params = {}, requestOptions = {}) => {
    const withToken =
      requestOptions.progressToken === undefined
        ? params
        : {
            ...params,
            _meta: {
              ...(isRecord(params._meta) ? params._meta : {}),
              progressToken: requestOptions.progressToken,
            },
          };
    return modern
      ? modernRequest(method, withToken, requestOptions)
      : legacyRequest(method, withToken, requestOptions);
  };

  let server: Record<string, unknown>;
  if (modern) {
    server = await request('server/discover');
  } else {
    server = await request('initialize', { protocolVersion, capabilities, clientInfo });
    await runtime.dispatch(
      sessionId as string,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { principal: options.principal },
    );
  }

  return {
    protocolVersion,
    sessionId,
    server,
    notifications,
    request,
    callTool: (name, args = {}, requestOptions) =>
      request('tools/call', { name, arguments: args }, requestOptions),
    listTools: async () => {
      const tools: Record<string, unknown>[] = [];
      let cursor: unknown;
      do {
        const page = await request('tools/list', cursor === undefined ? {} : { cursor });
        tools.push(...((page.tools as Record<string, unknown>[]) ?? []));
        cursor = page.nextCursor;
      } while (typeof cursor === 'string');
      return tools;
    },
    close: async () => {
      if (sessionId !== undefined) runtime.remove(sessionId, { principal: options.principal });
    },
  };
}
