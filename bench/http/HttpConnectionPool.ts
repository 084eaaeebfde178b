/**
 * A lean HTTP/1.1 keep-alive client for the load generator: one request at a time per connection
 * (no pipelining), a pool of idle connections to reuse. It exists because `node:http`'s client costs
 * about as much CPU per request as the server under test (≈ 60 µs against ≈ 50 µs per call here), so
 * with one core for the server and one for the load generator the client, not the server, set the
 * pace. This one writes each request in one piece and reads the two framings these servers use
 * (`Content-Length` and `chunked`); anything else fails the request, which the caller counts.
 */
import type { Socket } from 'node:net';
import { connect } from 'node:net';

/** A response read in full. Header names are lower case. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The body of a `chunked` message starting at `offset`, or `undefined` while it is incomplete.
 * Trailers are not expected (neither server sends any).
 */
function dechunk(buffer: Buffer, offset: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let position = offset;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, position);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(buffer.toString('latin1', position, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error('Malformed chunk size');
    if (size === 0) {
      if (buffer.length < lineEnd + 4) return undefined;
      return { body: Buffer.concat(parts), end: lineEnd + 4 };
    }
    const dataEnd = lineEnd + 2 + size;
    if (buffer.length < dataEnd + 2) return undefined;
    parts.push(buffer.subarray(lineEnd + 2, dataEnd));
    position = dataEnd + 2;
  }
}

/** Parses one complete response from the start of `buffer`, or `undefined` while incomplete. */
function parseResponse(buffer: Buffer): HttpAnswer | undefined {
  const headEnd = buffer.indexOf(HEAD_END);
  if (headEnd === -1) return undefined;
  const [statusLine = '', ...lines] = buffer.toString('latin1', 0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.slice(9, 12));
  const bodyStart = headEnd + 4;
  const length = headers['content-length'];
  if (length !== undefined) {
    const end = bodyStart + Number(length);
    if (buffer.length < end) return undefined;
    return { status, headers, text: buffer.toString('utf8', bodyStart, end) };
  }
  if (headers['transfer-encoding'] === 'chunked') {
    const chunked = dechunk(buffer, bodyStart);
    return chunked === undefined ? undefined : { status, headers, text: chunked.body.toString('utf8') };
  }
  // No body framing: only a body-less status may do that here.
  if (status === 202 || status === 204 || status === 304) return { status, headers, text: '' };
  throw new Error(`Unframed response body (HTTP ${status})`);
}

/** One keep-alive connection, one request in flight at most. */
class HttpConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (answer: HttpAnswer) => void; reject: (error: Error) => void } | undefined;
  alive = true;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (error: Error) => {
      this.alive = false;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('Connection closed by the server')));
  }

  send(text: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(text);
    });
  }

  close(): void {
    this.alive = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const pending = this.pending;
    if (pending === undefined) return;
    try {
      const answer = parseResponse(this.buffer);
      if (answer === undefined) return;
      this.buffer = Buffer.alloc(0);
      this.pending = undefined;
      pending.resolve(answer);
    } catch (error) {
      this.pending = undefined;
      this.close();
      pending.reject(error as Error);
    }
  }
}

/** Connections to one loopback port, reused once a response has been read in full. */
export class HttpConnectionPool {
  private readonly idle: HttpConnection[] = [];
  private readonly all = new Set<HttpConnection>();

  constructor(readonly port: number) {}

  /** Sends one request and reads its whole response. `headers` must not hold `Host` or `Content-Length`. */
  async request(method: string, headers: Readonly<Record<string, string>>, body = ''): Promise<HttpAnswer> {
    let head = `${method} /mcp HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    let connection = this.idle.pop();
    // A connection the server closed while it sat idle is dropped, not reused.
    while (connection !== undefined && !connection.alive) connection = this.idle.pop();
    connection ??= await this.open();
    const answer = await connection.send(head + body);
    if (connection.alive && answer.headers.connection !== 'close') this.idle.push(connection);
    else connection.close();
    return answer;
  }

  /** Closes every connection; the pool opens new ones for later requests. */
  close(): void {
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, '127.0.0.1', () => {
        socket.off('error', reject);
        const connection = new HttpConnection(socket);
        this.all.add(connection);
        socket.on('close', () => this.all.delete(connection));
        resolve(connection);
      });
      socket.once('error', reject);
    });
  }
}
