/**
 * Child process: the baseline, a server on the official TypeScript SDK 1.x written the standard
 * way (the SDK's README and `jsonResponseStreamableHttp` example): one `McpServer` and one
 * `StreamableHTTPServerTransport` per session, kept in a map by session id from
 * `onsessioninitialized`, removed in `transport.onclose`. Plain `node:http` with the body parsed
 * before the transport sees it, as `express.json()` would, but without Express's own cost.
 *
 * `--mode=json` sets `enableJsonResponse: true` (every answer is one JSON body; the SDK drops a
 * request's notifications in that mode); `--mode=sse` leaves it false (every request is answered
 * with an event stream). The `echo` tool sends one progress notification before it answers when
 * the call carried `_meta.progressToken`, exactly as ours does.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { argumentOf, serveBenchmarkChild } from './childControl.js';

const enableJsonResponse = argumentOf('mode') !== 'sse';
const transports = new Map<string, StreamableHTTPServerTransport>();

function createServer(): McpServer {
  const server = new McpServer({ name: 'bench-sdk', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text', inputSchema: { text: z.string() } },
    async ({ text }, extra) => {
      const progressToken = extra._meta?.progressToken;
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: 1, total: 1 },
        });
      }
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function replyError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return replyError(res, 400, -32700, 'Parse error');
    }
  }
  const sessionId = req.headers['mcp-session-id'];
  const known = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
  if (known !== undefined) return known.handleRequest(req, res, body);
  if (sessionId !== undefined) return replyError(res, 404, -32001, 'Session not found');
  if (req.method !== 'POST' || !isInitializeRequest(body)) {
    return replyError(res, 400, -32000, 'Bad Request: No valid session ID provided');
  }
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableJsonResponse,
    onsessioninitialized: (id) => {
      transports.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
  };
  await createServer().connect(transport);
  await transport.handleRequest(req, res, body);
}

serveBenchmarkChild(
  (req, res) => {
    if (req.url !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    handle(req, res).catch(() => {
      if (!res.headersSent) replyError(res, 500, -32603, 'Internal server error');
    });
  },
  () => transports.size,
);
