/**
 * The Streamable HTTP transport for `node:http` (and anything built on it: Express, Fastify's raw
 * mode, Koa). A thin {@link HttpExchange} over `IncomingMessage`/`ServerResponse`: headers are read
 * straight from `req.headers`, no URL or `Request` object is built per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertSessionRuntime } from '../runtime/optionsError.js';
import type { RequestTelemetry } from '../runtime/types.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import type { EventStream, HttpExchange, JsonBody, ResponseHeaders } from './exchange.js';
import { ClosableEventStream, parseJsonBody } from './exchange.js';
import { McpHttpEndpoint } from './McpHttpEndpoint.js';
import type { StreamableHttpOptions } from './options.js';
import { resolveHttpOptions } from './options.js';
import { nodeTransportAttributes } from './telemetry.js';

/**
 * A `node:http` request listener, also mountable in Express, Fastify and Koa. The POST body comes
 * from, in this order:
 * 1. `parsedBody`, when given (as the official SDK's `handleRequest(req, res, parsedBody)`): an
 *    object, array or other JSON value is the message as parsed; a string or a `Buffer` is the raw
 *    body, parsed here under `maxBodyBytes`.
 * 2. `req.body`, read the same way, when a middleware has already read the body stream
 *    (`express.json()` sets it; so does any parser that keeps the result on the Node request).
 * 3. The body stream itself, read here under `maxBodyBytes` and `bodyTimeoutMs`.
 * A body that a middleware read and kept nowhere (Fastify, `@koa/bodyparser`: pass `request.body`
 * or `ctx.request.body`) gets 500 and `onError`, never a hang. A body already read was bounded by
 * the middleware's own limits (`express.json()`: 100 kB unless `limit` says more; Fastify
 * `bodyLimit`: 1 MiB; `@koa/bodyparser` `jsonLimit`: 1 MB); `maxBodyBytes` still refuses one whose
 * `Content-Length`, or raw text, is larger.
 *
 * @example
 * ```ts
 * const mcp: NodeRequestHandler = createNodeHandler(runtime);
 * app.use(express.json({ limit: '4mb' }));
 * app.all('/mcp', (req, res) => mcp(req, res)); // req.body is found on its own
 * ```
 */
export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) => void;

const tooLarge: JsonBody = { ok: false, reason: 'payload_too_large' };
const timedOut: JsonBody = { ok: false, reason: 'body_timeout' };
const alreadyRead: JsonBody = { ok: false, reason: 'body_already_read' };

/**
 * A body a middleware produced: a string or bytes are the raw text, parsed under `maxBytes`; any
 * other value is the JSON it parsed (its own limit bounded it).
 */
function bodyGiven(value: unknown, maxBytes: number): JsonBody {
  if (typeof value === 'string') {
    return Buffer.byteLength(value) > maxBytes ? tooLarge : parseJsonBody(value);
  }
  if (value instanceof Uint8Array) {
    if (value.byteLength > maxBytes) return tooLarge;
    return parseJsonBody(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'));
  }
  return { ok: true, value };
}

/**
 * Reads the body as UTF-8: the text, `tooLarge` past `maxBytes` (the rest is drained and dropped),
 * or `timedOut` when it has not ended after `timeoutMs` (a slow-loris body).
 */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<string | JsonBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else {
        cleanup();
        resolve(tooLarge);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('Client closed the connection before the request body ended'));
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve(timedOut);
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onClose).off('close', onClose);
    };
    req.on('data', onData).on('end', onEnd).on('error', onClose).on('close', onClose);
  });
}

/** An SSE body on a `ServerResponse`. */
class NodeEventStream extends ClosableEventStream {
  constructor(private readonly res: ServerResponse) {
    super();
    // The client may have gone while we awaited (authentication, the body): the 'close' event is
    // then behind us, and a stream that never learnt it closed would hold its slot forever.
    if (res.destroyed || res.socket === null || res.socket.destroyed) this.markClosed();
    else res.once('close', () => this.markClosed());
  }

  protected send(event: string): boolean {
    return this.res.write(event);
  }

  protected finish(): void {
    this.res.end();
  }

  protected full(): boolean {
    return this.res.writableNeedDrain;
  }

  protected waitForDrain(listener: () => void): void {
    const { res } = this;
    const done = (): void => {
      res.off('drain', done).off('close', done);
      listener();
    };
    res.on('drain', done).on('close', done);
  }
}

class NodeExchange implements HttpExchange, RequestTelemetry {
  /** Set when the body was abandoned: the connection cannot carry another request. */
  private closeAfterAnswer = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly parsedBody: unknown,
  ) {}

  get method(): string {
    return this.req.method ?? '';
  }

  onClientGone(listener: () => void): void {
    const { res } = this;
    if (res.writableFinished) return;
    // 'close' before the response finished: the client left (or the socket failed).
    res.once('close', () => {
      if (!res.writableFinished) listener();
    });
  }

  get path(): string {
    const url = this.req.url ?? '';
    const query = url.indexOf('?');
    return query === -1 ? url : url.slice(0, query);
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  /** The exchange itself: its {@link attributes} are resolved only if the runtime reads them. */
  get telemetry(): RequestTelemetry {
    return this;
  }

  /** `network.*` and `client.*` of this request's connection (see `nodeTransportAttributes`). */
  get attributes(): Readonly<Record<string, string | number>> {
    return nodeTransportAttributes(this.req);
  }

  get answered(): boolean {
    return this.res.headersSent || this.res.writableEnded;
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  *headerEntries(): Iterable<readonly [string, string]> {
    const headers = this.req.headers;
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined) yield [name, Array.isArray(value) ? value.join(', ') : value];
    }
  }

  async readJson(maxBytes: number, timeoutMs: number): Promise<JsonBody> {
    const { req } = this;
    // A body announced over the cap is refused even when a middleware read it under a larger limit.
    if (Number(req.headers['content-length']) > maxBytes) {
      this.drainFor(timeoutMs);
      return tooLarge;
    }
    if (this.parsedBody !== undefined) return bodyGiven(this.parsedBody, maxBytes);
    if (req.readableEnded) {
      // A middleware read the stream: what it parsed is on `req.body` (Express), or nowhere.
      const body = (req as { body?: unknown }).body;
      return body === undefined ? alreadyRead : bodyGiven(body, maxBytes);
    }
    const text = await readBody(req, maxBytes, timeoutMs);
    if (typeof text === 'string') return parseJsonBody(text);
    if (text === tooLarge) this.drainFor(timeoutMs);
    else this.closeAfterAnswer = true;
    return text;
  }

  /**
   * Discards the rest of an oversized body (the connection stays usable and the client reads our
   * 413 rather than a reset), but for `timeoutMs` at most: a body of any announced size, or an
   * endless chunked one, cannot hold the connection longer.
   */
  private drainFor(timeoutMs: number): void {
    const { req } = this;
    if (req.readableEnded) return;
    const timer = setTimeout(() => req.socket.destroy(), timeoutMs);
    req.once('end', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
    req.resume();
  }

  addHeaders(headers: ResponseHeaders): void {
    for (const name in headers) this.res.setHeader(name, headers[name] as string | string[]);
  }

  respond(status: number, headers: ResponseHeaders, body = ''): void {
    // An explicit length spares the chunked framing of a one-piece answer.
    const length = Buffer.byteLength(body);
    if (!this.closeAfterAnswer) {
      this.res.writeHead(status, { ...headers, 'content-length': length });
      this.res.end(body);
      return;
    }
    this.res.writeHead(status, { ...headers, 'content-length': length, connection: 'close' });
    // The client may still be trickling its body: end the socket once our answer is out.
    this.res.end(body, () => this.req.socket.destroy());
  }

  openStream(headers: ResponseHeaders): EventStream {
    // What this turn of the event loop writes (headers, priming event, notifications, often the
    // response and the end) leaves in one `writev` rather than a syscall each.
    this.res.cork();
    setImmediate(() => this.res.uncork());
    this.res.writeHead(200, headers);
    // Send the headers now: a standalone stream may stay silent for a long time.
    this.res.flushHeaders();
    return new NodeEventStream(this.res);
  }

  abort(): void {
    this.res.destroy();
  }
}

/**
 * Puts a {@link SessionRuntime} behind one MCP endpoint, as a `node:http` request listener. It serves
 * every request it is given: route your endpoint path (e.g. `/mcp`) to it.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const runtime = createSessionRuntime({ tools: [echo] });
 * const mcp = createNodeHandler(runtime);
 * createServer((req, res) => {
 *   if (req.url?.split('?')[0] === '/mcp') mcp(req, res);
 *   else res.writeHead(404).end();
 * }).listen(3000, '127.0.0.1');
 * ```
 */
export function createNodeHandler(
  runtime: SessionRuntime,
  options: StreamableHttpOptions = {},
): NodeRequestHandler {
  assertSessionRuntime(runtime, 'createNodeHandler');
  const endpoint = new McpHttpEndpoint(runtime, resolveHttpOptions(options));
  return (req, res, parsedBody) => {
    void endpoint.handle(new NodeExchange(req, res, parsedBody));
  };
}
