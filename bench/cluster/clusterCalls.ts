/**
 * The calls of the cluster benchmark, over the lean keep-alive pool of the HTTP benchmark, each
 * sent to an instance the caller picks (the owner: direct; the other one: forwarded):
 * - a 2025-11-25 session's `tools/call` of `session_count` (`Mcp-Session-Id`);
 * - a 2026-07-28 `tools/call` of `tally_add` on a state handle (`tallyId`), routed by the handle;
 * - a 2026-07-28 stateless `tools/call` of `whoami`, served wherever it arrives.
 * Every answer is checked: HTTP 200, the response to the request's id with a result and no error,
 * and `structuredContent.instanceId` naming the instance expected to run it (the owner for a
 * session or a handle, the entry instance for `whoami`), so a call served in the wrong place counts
 * as an error, not as a fast call.
 */
import type { HttpAnswer, HttpConnectionPool } from '../http/HttpConnectionPool.js';
import { McpHttpSession, parseEventStream } from '../http/McpHttpClient.js';

const MODERN = '2026-07-28';
const baseHeaders = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Response {
  readonly id?: unknown;
  readonly method?: string;
  readonly result?: { readonly structuredContent?: Readonly<Record<string, unknown>> };
  readonly error?: unknown;
}

/** One call: sends to `pool`, resolves with what was wrong with the answer or `undefined`. Never rejects. */
export type ClusterCall = (
  pool: HttpConnectionPool,
  expectedInstanceId: string,
) => Promise<string | undefined>;

function responseTo(answer: HttpAnswer, id: number): Response | undefined {
  const stream = answer.headers['content-type']?.startsWith('text/event-stream') === true;
  const messages = (stream ? parseEventStream(answer.text) : [JSON.parse(answer.text)]) as Response[];
  return messages.find((message) => message.id === id && message.method === undefined);
}

/** What is wrong with `answer` to request `id`, or `undefined`. */
function check(answer: HttpAnswer, id: number, expectedInstanceId: string): string | undefined {
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.text.slice(0, 200)}`;
  const response = responseTo(answer, id);
  if (response === undefined) return `no response to request ${id}: ${answer.text.slice(0, 200)}`;
  if (response.error !== undefined) return `JSON-RPC error: ${JSON.stringify(response.error)}`;
  const servedBy = response.result?.structuredContent?.instanceId;
  if (servedBy !== expectedInstanceId) return `served by ${String(servedBy)}, not ${expectedInstanceId}`;
  return undefined;
}

/** Sends one request and checks its answer; a failed request is an error too. */
async function send(
  pool: HttpConnectionPool,
  headers: Readonly<Record<string, string>>,
  id: number,
  method: string,
  params: unknown,
  expectedInstanceId: string,
): Promise<string | undefined> {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
  try {
    return check(await pool.request('POST', headers, body), id, expectedInstanceId);
  } catch (error) {
    return `request failed: ${String(error)}`;
  }
}

function modernHeaders(tool: string): Record<string, string> {
  return { ...baseHeaders, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': tool };
}

/** Opens a 2025-11-25 session at `pool` (its instance owns it) and returns its `session_count` call. */
export async function openSessionCall(pool: HttpConnectionPool, label: string): Promise<ClusterCall> {
  const { sessionId } = await McpHttpSession.open(pool, 'json', label);
  const headers = { ...baseHeaders, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
  const params = { name: 'session_count', arguments: {} };
  let nextId = 1;
  return (target, expected) => send(target, headers, nextId++, 'tools/call', params, expected);
}

/** Opens a tally (a state handle) at `pool` (its instance owns it) and returns its `tally_add` call. */
export async function openHandleCall(pool: HttpConnectionPool, ownerId: string): Promise<ClusterCall> {
  const opened = await pool.request(
    'POST',
    modernHeaders('tally_open'),
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'tools/call',
      params: { name: 'tally_open', arguments: {}, _meta: envelope },
    }),
  );
  const problem = check(opened, 0, ownerId);
  const tallyId =
    problem === undefined ? responseTo(opened, 0)?.result?.structuredContent?.tallyId : undefined;
  if (typeof tallyId !== 'string')
    throw new Error(`tally_open failed: ${problem ?? opened.text.slice(0, 200)}`);
  const headers = modernHeaders('tally_add');
  const params = { name: 'tally_add', arguments: { tallyId, amount: 1 }, _meta: envelope };
  let nextId = 1;
  return (target, expected) => send(target, headers, nextId++, 'tools/call', params, expected);
}

/** A stateless 2026-07-28 `whoami` caller (nothing to open). */
export function statelessCall(): ClusterCall {
  const headers = modernHeaders('whoami');
  const params = { name: 'whoami', arguments: {}, _meta: envelope };
  let nextId = 1;
  return (target, expected) => send(target, headers, nextId++, 'tools/call', params, expected);
}
