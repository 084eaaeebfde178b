/**
 * The Streamable HTTP transport for Web-standard servers (Hono, Bun, Deno, Cloudflare-style
 * `fetch` handlers): `Request` in, `Promise<Response>` out. A thin {@link HttpExchange} over the two;
 * the transport logic is shared with the Node form.
 */

import { assertSessionRuntime } from '../runtime/optionsError.js';
import type { RequestTelemetry } from '../runtime/types.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import type { EventStream, HttpExchange, JsonBody, ResponseHeaders } from './exchange.js';
import { ClosableEventStream, parseJsonBody } from './exchange.js';
import { McpHttpEndpoint } from './McpHttpEndpoint.js';
import type { StreamableHttpOptions } from './options.js';
import { resolveHttpOptions } from './options.js';
import { fetchTelemetry } from './telemetry.js';

/**
 * A Web-standard request handler. It reads the `Request` body itself (under `maxBodyBytes` and
 * `bodyTimeoutMs`); a `Request` whose body was already read (`bodyUsed`, e.g. after Hono's
 * `c.req.json()`) gets 500 and `onError`, since a body can be read only once: pass `c.req.raw`
 * untouched.
 *
 * @example
 * ```ts
 * const mcp: FetchRequestHandler = createFetchHandler(runtime);
 * Bun.serve({ port: 3000, hostname: '127.0.0.1', fetch: mcp });
 * ```
 */
export type FetchRequestHandler = (request: Request) => Promise<Response>;

const tooLarge: JsonBody = { ok: false, reason: 'payload_too_large' };
const timedOut: JsonBody = { ok: false, reason: 'body_timeout' };
const alreadyRead: JsonBody = { ok: false, reason: 'body_already_read' };
const encoder = new TextEncoder();

/**
 * Reads the body: the text, `tooLarge` past `maxBytes`, or `timedOut` when it has not ended after
 * `timeoutMs`; in both refusals the rest of the body is cancelled.
 */
async function readBody(request: Request, maxBytes: number, timeoutMs: number): Promise<string | JsonBody> {
  if (Number(request.headers.get('content-length')) > maxBytes) return tooLarge;
  if (request.body === null) return '';
  // TextDecoder rather than Buffer: this form must also run where Node's globals do not exist.
  const decoder = new TextDecoder();
  const reader = request.body.getReader();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    // Settles the pending read with `done`; the loop below then reports the timeout.
    reader.cancel().catch(() => {});
  }, timeoutMs);
  try {
    let text = '';
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (expired) return timedOut;
      if (done) return text + decoder.decode();
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return tooLarge;
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `headers` as a `Response` takes them: a field with several values (a forwarded answer's two
 * `Set-Cookie`) appended once per value. The Fetch `Headers` keeps `Set-Cookie` lines apart
 * (`getSetCookie()`); any other repeated field it combines with `, ` when read, as RFC 9110 §5.3
 * allows.
 */
function headersInit(headers: ResponseHeaders): Headers | Record<string, string> {
  let several = false;
  for (const name in headers) if (Array.isArray(headers[name])) several = true;
  if (!several) return headers as Record<string, string>;
  const init = new Headers();
  for (const name in headers) {
    const value = headers[name] as string | string[];
    if (Array.isArray(value)) for (const one of value) init.append(name, one);
    else init.set(name, value);
  }
  return init;
}

/** Bytes an SSE body buffers before a write reports it full (`EventStream.write`). */
const STREAM_HIGH_WATER_BYTES = 64 * 1024;

/** An SSE body on a `ReadableStream`. */
class WebEventStream extends ClosableEventStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  /** Waiting for the reader to take what is queued (`waitForDrain`). */
  private drainListeners: (() => void)[] = [];
  readonly body = new ReadableStream<Uint8Array>(
    {
      start: (controller) => {
        this.controller = controller;
      },
      // The reader wants more: the queue is under its high-water mark again.
      pull: () => this.drained(),
      // The client went away (the server cancels the body it was sending).
      cancel: () => {
        this.markClosed();
        this.drained();
      },
    },
    { highWaterMark: STREAM_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
  );

  error(): void {
    if (this.closed) return;
    this.controller.error(new Error('Stream aborted'));
    this.markClosed();
    this.drained();
  }

  protected send(event: string): boolean {
    this.controller.enqueue(encoder.encode(event));
    return !this.full();
  }

  protected finish(): void {
    this.controller.close();
    this.drained();
  }

  protected full(): boolean {
    return (this.controller.desiredSize ?? 0) <= 0;
  }

  protected waitForDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  private drained(): void {
    if (this.drainListeners.length === 0) return;
    for (const listener of this.drainListeners.splice(0)) listener();
  }
}

class FetchExchange implements HttpExchange {
  private stream: WebEventStream | undefined;
  private extraHeaders: ResponseHeaders | undefined;
  answered = false;
  readonly remoteAddress = undefined;

  get telemetry(): RequestTelemetry {
    return fetchTelemetry();
  }

  constructor(
    private readonly request: Request,
    private readonly resolve: (response: Response) => void,
  ) {}

  get method(): string {
    return this.request.method;
  }

  onClientGone(listener: () => void): void {
    const { signal } = this.request;
    // A fetch Request's signal aborts when its client goes away (where the server runtime wires it).
    if (signal.aborted) listener();
    else signal.addEventListener('abort', listener, { once: true });
  }

  get path(): string {
    return new URL(this.request.url).pathname;
  }

  header(name: string): string | undefined {
    const value = this.request.headers.get(name);
    if (value !== null) return value;
    // Some runtimes keep `Host` out of `Request.headers`; the URL carries it.
    return name === 'host' ? new URL(this.request.url).host : undefined;
  }

  headerEntries(): Iterable<readonly [string, string]> {
    return this.request.headers.entries();
  }

  async readJson(maxBytes: number, timeoutMs: number): Promise<JsonBody> {
    // A framework read it first (Hono's `c.req.json()`): a `Request` body can be read only once.
    if (this.request.bodyUsed) return alreadyRead;
    const text = await readBody(this.request, maxBytes, timeoutMs);
    return typeof text === 'string' ? parseJsonBody(text) : text;
  }

  addHeaders(headers: ResponseHeaders): void {
    this.extraHeaders = { ...this.extraHeaders, ...headers };
  }

  respond(status: number, headers: ResponseHeaders, body?: string): void {
    // Built first: a `Response` that cannot be built (a bad header value) leaves nothing answered,
    // so the failure path can still answer 500.
    const response = new Response(body ?? null, { status, headers: this.withExtra(headers) });
    this.answered = true;
    this.resolve(response);
  }

  openStream(headers: ResponseHeaders): EventStream {
    const stream = new WebEventStream();
    const response = new Response(stream.body, { status: 200, headers: this.withExtra(headers) });
    this.answered = true;
    this.stream = stream;
    this.resolve(response);
    return stream;
  }

  private withExtra(headers: ResponseHeaders): Headers | Record<string, string> {
    return headersInit(this.extraHeaders === undefined ? headers : { ...headers, ...this.extraHeaders });
  }

  abort(): void {
    this.stream?.error();
  }
}

/**
 * Puts a {@link SessionRuntime} behind one MCP endpoint, as a Web-standard `fetch` handler. It serves
 * every request it is given: route your endpoint path (e.g. `/mcp`) to it.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * const mcp = createFetchHandler(runtime);
 * const app = new Hono();
 * app.all('/mcp', (c) => mcp(c.req.raw));
 * ```
 */
export function createFetchHandler(
  runtime: SessionRuntime,
  options: StreamableHttpOptions = {},
): FetchRequestHandler {
  assertSessionRuntime(runtime, 'createFetchHandler');
  const endpoint = new McpHttpEndpoint(runtime, resolveHttpOptions(options));
  return (request) =>
    new Promise<Response>((resolve) => {
      const exchange = new FetchExchange(request, resolve);
      // Every path answers; this guards against one that throws while answering, or forgets to:
      // a pending promise here would hang the client forever. (A second `resolve` is a no-op.)
      const fallback = () => resolve(new Response(null, { status: 500 }));
      endpoint.handle(exchange).then(fallback, fallback);
    });
}
