/**
 * The stdio transport (MCP 2025-11-25, "Transports" › "stdio"): newline-delimited JSON-RPC on stdin
 * and stdout, one session per process. stdout carries protocol messages only; diagnostics go to
 * stderr, which the specification leaves to the server for logging.
 */
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { batchResponses, planBatch } from '../protocol/batch.js';
import { errorResponse } from '../protocol/errors.js';
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { IncomingMessage } from '../protocol/messages.js';
import { parseMessage } from '../protocol/messages.js';
import { serializeMessage } from '../protocol/serialize.js';
import type { Clock } from '../runtime/clock.js';
import { assertSessionRuntime } from '../runtime/optionsError.js';
import { ATTR_NETWORK_TRANSPORT } from '../runtime/telemetry/semconv.js';
import type { DispatchOptions, DispatchResult, RequestTelemetry } from '../runtime/types.js';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import type { StdioServerOptions } from './options.js';
import { resolveStdioOptions } from './options.js';

/**
 * A running stdio server, as {@link serveStdio} returns it.
 *
 * @example
 * ```ts
 * const server = serveStdio(runtime);
 * process.once('SIGTERM', () => void server.close());
 * await server.finished;
 * ```
 */
export interface StdioServer {
  /** The id of the session this process serves. */
  readonly sessionId: string;
  /**
   * Resolves once input has ended, every request read before was answered (or the drain deadline
   * passed and they were answered `session_closed`), the session was removed, and output was
   * flushed. Never rejects.
   */
  readonly finished: Promise<void>;
  /** Stops reading input, as if the client had closed it: drains, then resolves with `finished`. */
  close(): Promise<void>;
}

/**
 * Serves one MCP session over newline-delimited JSON-RPC.
 *
 * - Requests run as the runtime allows (one at a time by default, in order), so a
 *   `notifications/cancelled` line is read while the request it cancels still runs.
 * - Everything the server starts goes to stdout too: a handler's `ctx.request` (sampling,
 *   elicitation, roots; the client's answer comes back on stdin), `runtime.notify`,
 *   `notifications/resources/updated`, and `notifications/cancelled` for a request of ours given up.
 * - End of input means "no more requests", not "cancel" ("Lifecycle" › "Shutdown" › "stdio": the
 *   client closes input, then waits for the server to exit): requests already read are answered,
 *   for up to `drainTimeoutMs`, then the session is removed, output flushed, and `finished` resolves.
 *   A handler that asks the client something after input ended gets `client_unreachable`.
 * - A JSON-RPC batch (an array) is served for a session whose revision has batches (2025-03-26,
 *   2024-11-05: see `src/protocol/batch.ts`, shared with the HTTP transport) and answered with one
 *   array; any other session gets -32600 naming the revision.
 *
 * @example
 * ```ts
 * const runtime = createSessionRuntime({ tools: [echo], idleTimeoutMs: Number.POSITIVE_INFINITY });
 * const server = serveStdio(runtime);
 * await server.finished;
 * await runtime.close();
 * ```
 */
export function serveStdio(runtime: SessionRuntime, options: StdioServerOptions = {}): StdioServer {
  assertSessionRuntime(runtime, 'serveStdio');
  const { input, output, log, sessionId, drainTimeoutMs, clock } = resolveStdioOptions(options);
  const connection = new StdioConnection(runtime, sessionId, new StdoutChannel(output, log), log);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line: string) => connection.serveLine(line));
  lines.on('error', (error: Error) => {
    log(`stdio: input failed: ${error.message}`);
    lines.close();
  });
  const finished = new Promise<void>((resolve) => {
    lines.once('close', () => {
      void connection.drain(drainTimeoutMs, clock).then(resolve);
    });
  });
  return {
    sessionId: connection.sessionId,
    finished,
    close() {
      lines.close();
      return finished;
    },
  };
}

/** What a notification's delivery resolves with on stdio: nothing to write. */
function dropResponse(): undefined {
  return undefined;
}

/** What a stdio request's telemetry says of its transport (semantic conventions for MCP): a pipe. */
const STDIO_TELEMETRY: RequestTelemetry = Object.freeze({
  attributes: Object.freeze({ [ATTR_NETWORK_TRANSPORT]: 'pipe' }),
});

/** The one session of a stdio server, between the lines read and the channel written. */
class StdioConnection {
  /** The work of every line read and not yet answered. */
  private readonly accepted = new Set<Promise<void>>();
  private reading = true;
  private detach: (() => void) | undefined;
  private readonly dispatchOptions: DispatchOptions;
  private readonly onSessionStarted = (event: { readonly sessionId: string }) => {
    if (event.sessionId === this.sessionId) this.attach();
  };

  constructor(
    private readonly runtime: SessionRuntime,
    readonly sessionId: string,
    private readonly channel: StdoutChannel,
    private readonly log: (message: string) => void,
  ) {
    this.dispatchOptions = {
      telemetry: STDIO_TELEMETRY,
      onNotification: (notification) => channel.write(notification),
      // A handler's request to the client: the answer comes on stdin, so only while it is read.
      onRequest: (request: JsonRpcRequest) => {
        if (!this.reading) throw new Error('Input ended: the client can no longer answer');
        if (!channel.write(request)) throw new Error('The request could not be written');
      },
    };
    // Messages of the session that belong to no request (runtime.notify, resources/updated). The
    // session is created by the `initialize` line, or again after it stopped: attach each time.
    runtime.events.on('sessionStarted', this.onSessionStarted);
    if (runtime.has(sessionId)) this.attach();
    // A closed stdout (the client went away) reaches nobody: `runtime.notify` then says so.
    channel.onClose(() => this.detach?.());
  }

  serveLine(line: string): void {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.log('stdio: a line was not valid JSON; answered with a parse error');
      this.channel.write(errorResponse(null, 'parse_error'));
      return;
    }
    // Classified once, here: the runtime gets the verdict (`deliver`) and does not parse again.
    const work = Array.isArray(message)
      ? this.serveBatch(message)
      : this.serve(parseMessage(message)).then((response) => {
          if (response !== undefined) this.channel.write(response);
        });
    this.accepted.add(work);
    void work.finally(() => this.accepted.delete(work));
  }

  /**
   * End of input: answers what was read, for up to `drainTimeoutMs`; then removes the session (what
   * is left is answered `session_closed`), detaches and flushes. Removing the session settles every
   * accepted request, so this always resolves.
   */
  async drain(drainTimeoutMs: number, clock: Clock): Promise<void> {
    this.reading = false;
    const { runtime, sessionId } = this;
    const expire = () => {
      this.log(
        `stdio: input ended ${drainTimeoutMs} ms ago and ${this.accepted.size} message(s) are still being served; ending the session`,
      );
      runtime.remove(sessionId);
    };
    let deadline: unknown;
    if (drainTimeoutMs === 0) runtime.remove(sessionId);
    else if (Number.isFinite(drainTimeoutMs)) deadline = clock.setTimeout(expire, drainTimeoutMs);
    await Promise.all(this.accepted);
    if (deadline !== undefined) clock.clearTimeout(deadline);
    runtime.remove(sessionId);
    runtime.events.off('sessionStarted', this.onSessionStarted);
    this.detach?.();
    await this.channel.flush();
  }

  /**
   * Delivers one classified message. A notification never gets a response, not even an error one
   * (JSON-RPC 2.0 §4.1); a message that is not a valid one gets its -32600 (§5: "Invalid Request",
   * id null when none could be read), as over HTTP.
   */
  private serve(message: IncomingMessage): Promise<DispatchResult> {
    const delivered = this.runtime.deliver(this.sessionId, message, this.dispatchOptions);
    return message.kind === 'notification' ? delivered.then(dropResponse) : delivered;
  }

  private serveBatch(members: readonly unknown[]): Promise<void> {
    const plan = planBatch(members, this.runtime.info(this.sessionId)?.protocolVersion);
    if (!plan.ok) return this.channel.answer(plan.response);
    // Dispatched in one synchronous step, in order: the session's mailbox sees them as sent.
    const answers = plan.entries.map((entry) =>
      entry.kind === 'answered' ? Promise.resolve(entry.response) : this.serve(entry.message),
    );
    return Promise.all(answers).then((results) => {
      const responses = batchResponses(results);
      // Only notifications and responses: nothing is written (JSON-RPC 2.0 §6).
      if (responses.length > 0) this.channel.write(responses);
    });
  }

  private attach(): void {
    if (!this.channel.open) return;
    this.detach = this.runtime.attach(this.sessionId, (message) => this.channel.write(message));
  }
}

/** stdout as the session's one outbound channel: a line per message, and a flush at the end. */
class StdoutChannel {
  constructor(
    private readonly output: Writable,
    private readonly log: (message: string) => void,
  ) {
    // A client that goes away leaves us with EPIPE; that is the end of the session, not a crash.
    output.on('error', (error) => log(`stdio: output failed: ${error.message}`));
  }

  get open(): boolean {
    return this.output.writable;
  }

  onClose(listener: () => void): void {
    this.output.once('close', listener);
  }

  /** Writes one message (or a batch answer) on one line; false if nothing was written. */
  write(message: JsonRpcMessage | readonly JsonRpcMessage[]): boolean {
    if (!this.output.writable) return false;
    const line = Array.isArray(message)
      ? `[${message.flatMap((member) => this.serialize(member) ?? []).join(',')}]`
      : this.serialize(message as JsonRpcMessage);
    if (line === undefined) return false;
    this.output.write(`${line}\n`);
    return true;
  }

  /** Writes a response and settles at once: for answers given without dispatching. */
  answer(response: JsonRpcResponse): Promise<void> {
    this.write(response);
    return Promise.resolve();
  }

  /** Resolves once everything written so far has been handed to the operating system. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.output.writable) resolve();
      else this.output.write('', () => resolve());
    });
  }

  /** A message's line; a response whose result is not JSON becomes -32603 (see `serializeMessage`). */
  private serialize(message: JsonRpcMessage): string | undefined {
    return serializeMessage(message, (error) =>
      this.log(`stdio: a message could not be serialized: ${(error as Error).message}`),
    );
  }
}
