/**
 * A minimal Streamable HTTP client for the load generator, over a shared keep-alive connection
 * pool, in both eras: `McpHttpSession` is one 2025-11-25 session (`initialize`, then calls with
 * `Mcp-Session-Id`); `McpStatelessCaller` speaks 2026-07-28 (no `initialize`, no session: every
 * POST carries its `_meta` envelope and the standard headers). Each sends what a real client sends
 * (`Accept` with both types, `Content-Type`, `MCP-Protocol-Version`), reads JSON and SSE answers,
 * and checks every answer: a status other than 200 (202 for a notification), a JSON-RPC error, a
 * wrong echo or an answer in the wrong mode (JSON where a stream was expected, a stream without its
 * progress notification) is an error.
 */
import type { HttpAnswer, HttpConnectionPool } from './HttpConnectionPool.js';

/**
 * `json`: calls carry no progress token, the tool sends no notification, and the answer must be one
 * `application/json` body. `sse`: calls carry `_meta.progressToken`, the tool sends one progress
 * notification first, and the answer must be a `text/event-stream` holding it and then the response.
 */
export type ResponseMode = 'json' | 'sse';

const PROTOCOL_VERSION = '2025-11-25';
const baseHeaders = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
};

/** The JSON-RPC messages of an SSE body, in order; events without data (priming events) are skipped. */
export function parseEventStream(text: string): unknown[] {
  const messages: unknown[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (data.length === 0) continue;
    const payload = data.join('\n');
    if (payload.trim() !== '') messages.push(JSON.parse(payload));
  }
  return messages;
}

function isStream(answer: HttpAnswer): boolean {
  return answer.headers['content-type']?.startsWith('text/event-stream') === true;
}

/** The messages of an answer, whichever form it took. */
function messagesOf(answer: HttpAnswer): unknown[] {
  if (isStream(answer)) return parseEventStream(answer.text);
  const value: unknown = JSON.parse(answer.text);
  return Array.isArray(value) ? value : [value];
}

interface Message {
  readonly id?: unknown;
  readonly method?: string;
  readonly params?: { readonly progressToken?: unknown };
  readonly result?: {
    readonly content?: readonly { readonly text?: unknown }[];
    readonly resultType?: unknown;
  };
  readonly error?: unknown;
}

/** What anything that calls `echo` in the closed loop offers. */
export interface EchoCaller {
  /** One `tools/call` of `echo`; resolves with what was wrong with it, or `undefined`. Never rejects. */
  callEcho(): Promise<string | undefined>;
}

/**
 * A short description of what is wrong with a `tools/call` answer, or `undefined` when it is right.
 * `stateless`: the 2026-07-28 answer must also carry `resultType: "complete"` and no `Mcp-Session-Id`.
 */
function checkCall(
  answer: HttpAnswer,
  mode: ResponseMode,
  id: number,
  text: string,
  stateless = false,
): string | undefined {
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.text.slice(0, 200)}`;
  if (stateless && answer.headers['mcp-session-id'] !== undefined) {
    return `a stateless answer carried Mcp-Session-Id ${answer.headers['mcp-session-id']}`;
  }
  if (isStream(answer) !== (mode === 'sse')) {
    return `expected ${mode === 'sse' ? 'an event stream' : 'JSON'}, got ${answer.headers['content-type']}`;
  }
  const messages = messagesOf(answer) as Message[];
  const response = messages.find((message) => message.id === id && message.method === undefined);
  if (response === undefined) return `no response to request ${id}: ${answer.text.slice(0, 200)}`;
  if (response.error !== undefined) return `JSON-RPC error: ${JSON.stringify(response.error)}`;
  if (response.result?.content?.[0]?.text !== text) return `wrong echo: ${JSON.stringify(response.result)}`;
  if (stateless && response.result.resultType !== 'complete') {
    return `resultType ${JSON.stringify(response.result.resultType)}, not "complete"`;
  }
  if (mode === 'sse') {
    const progress = messages.filter(
      (message) => message.method === 'notifications/progress' && message.params?.progressToken === id,
    );
    if (progress.length !== 1) return `expected 1 progress notification, got ${progress.length}`;
  }
  return undefined;
}

/** One MCP session over HTTP. */
export class McpHttpSession implements EchoCaller {
  private nextId = 1;
  private readonly headers: Record<string, string>;

  private constructor(
    private readonly pool: HttpConnectionPool,
    private readonly mode: ResponseMode,
    /** The `Mcp-Session-Id` the server minted. */
    readonly sessionId: string,
    private readonly label: string,
  ) {
    this.headers = { ...baseHeaders, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION };
  }

  /** `initialize`, then `notifications/initialized`; throws if the server refuses either. */
  static async open(pool: HttpConnectionPool, mode: ResponseMode, label: string): Promise<McpHttpSession> {
    const initialize = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'mcp-http-bench', version: '1.0.0' },
      },
    };
    const answer = await pool.request('POST', baseHeaders, JSON.stringify(initialize));
    const sessionId = answer.headers['mcp-session-id'];
    const response = answer.status === 200 ? (messagesOf(answer)[0] as Message | undefined) : undefined;
    if (typeof sessionId !== 'string' || response?.error !== undefined || response?.result === undefined) {
      throw new Error(`initialize failed: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    const session = new McpHttpSession(pool, mode, sessionId, label);
    const initialized = await pool.request(
      'POST',
      session.headers,
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    );
    if (initialized.status !== 202) {
      throw new Error(
        `notifications/initialized: HTTP ${initialized.status} ${initialized.text.slice(0, 200)}`,
      );
    }
    return session;
  }

  /** One `tools/call` of `echo`; resolves with what was wrong with it, or `undefined`. Never rejects. */
  async callEcho(): Promise<string | undefined> {
    const id = this.nextId++;
    const text = `${this.label}-${id}`;
    const params =
      this.mode === 'sse'
        ? { name: 'echo', arguments: { text }, _meta: { progressToken: id } }
        : { name: 'echo', arguments: { text } };
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });
    try {
      return checkCall(await this.pool.request('POST', this.headers, body), this.mode, id, text);
    } catch (error) {
      return `request failed: ${String(error)}`;
    }
  }

  /** `DELETE`: ends the session; throws unless the server answers 200. */
  async close(): Promise<void> {
    const answer = await this.pool.request('DELETE', {
      'mcp-session-id': this.sessionId,
      'mcp-protocol-version': PROTOCOL_VERSION,
    });
    if (answer.status !== 200) throw new Error(`DELETE: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  }
}

const MODERN_VERSION = '2026-07-28';
/** The headers of every 2026-07-28 `tools/call` of `echo` (SEP-2243: `Mcp-Method`, `Mcp-Name`). */
const modernHeaders = {
  ...baseHeaders,
  'mcp-protocol-version': MODERN_VERSION,
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
};

/**
 * One 2026-07-28 client: no `initialize`, no session; each `tools/call` carries the required `_meta`
 * envelope (`io.modelcontextprotocol/protocolVersion`, `io.modelcontextprotocol/clientCapabilities`)
 * beside the progress token in `sse` mode. Nothing to open or close.
 */
export class McpStatelessCaller implements EchoCaller {
  private nextId = 1;

  constructor(
    private readonly pool: HttpConnectionPool,
    private readonly mode: ResponseMode,
    private readonly label: string,
  ) {}

  async callEcho(): Promise<string | undefined> {
    const id = this.nextId++;
    const text = `${this.label}-${id}`;
    const _meta: Record<string, unknown> = {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    if (this.mode === 'sse') _meta.progressToken = id;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text }, _meta },
    });
    try {
      return checkCall(await this.pool.request('POST', modernHeaders, body), this.mode, id, text, true);
    } catch (error) {
      return `request failed: ${String(error)}`;
    }
  }
}
