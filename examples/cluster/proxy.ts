/**
 * A small round-robin HTTP proxy: each request goes to the next instance in turn, with no
 * stickiness at all, which is the worst case for a stateful MCP server and the point of the
 * cluster example. Request and response bodies are streamed both ways (SSE answers included), and
 * a client that goes away closes the upstream request. An instance that refuses the connection is
 * skipped for that request (the next one is tried), as a load balancer's health check would do.
 * Each request opens its own connection (`agent: false`): a pooled connection to an instance that
 * just died would fail with a reset, which cannot tell "never received" from "died while serving".
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request } from 'node:http';

/** Headers that belong to one connection, never passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/** A proxy that sends each request to the next of `targets` (base URLs such as `http://127.0.0.1:4001`). */
export function createRoundRobinProxy(targets: readonly string[]): Server {
  if (targets.length === 0) throw new TypeError('Expected at least one target');
  let next = 0;
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    first: number,
    tries: number,
  ): void => {
    const target = new URL(req.url ?? '/', targets[(first + tries) % targets.length]);
    const upstream = request(
      target,
      { method: req.method, headers: endToEnd(req.headers), agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) return void res.destroy();
      if (res.destroyed) return;
      // A refused connection: that instance is down, and the request never reached it. A reset
      // is not retried: the instance may have received the request (it died while serving it).
      if (error.code === 'ECONNREFUSED' && tries + 1 < targets.length)
        return forward(req, res, body, first, tries + 1);
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`No instance answered (${error.code})\n`);
    });
    res.once('close', () => upstream.destroy());
    upstream.end(body);
  };
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => forward(req, res, Buffer.concat(chunks), next++, 0));
  });
}
