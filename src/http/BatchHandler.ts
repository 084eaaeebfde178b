/**
 * `POST` of a JSON-RPC batch (JSON-RPC 2.0 §6), for the revisions that have them (see
 * `src/protocol/batch.ts`, which classifies each member once; the runtime gets the classified
 * members through `deliver`).
 */
import { batchResponses, containsInitialize, initializeInBatchError, planBatch } from '../protocol/batch.js';
import type { JsonRpcErrorResponse, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { serializeMessage } from '../protocol/serialize.js';
import type { DispatchOptions } from '../runtime/types.js';
import type { SessionAccess, SessionRuntime } from '../server/createSessionRuntime.js';
import {
  countRefused,
  jsonHeaders,
  refuse,
  reply,
  sessionIdOf,
  statusOfResponse,
  streamHeaders,
} from './answers.js';
import type { EventStreams } from './EventStreams.js';
import type { HttpExchange } from './exchange.js';
import type { PostAnswer } from './headers.js';
import type { RateLimiter } from './RateLimiter.js';
import { formatSseEvent } from './sse.js';

/** Serves the batches POSTed to one endpoint. @internal */
export class BatchHandler {
  constructor(
    private readonly runtime: SessionRuntime,
    private readonly streams: EventStreams,
    private readonly rateLimiter: RateLimiter | undefined,
    /** Tells `onError`; never throws. */
    private readonly report: (error: unknown) => void,
  ) {}

  /**
   * A JSON-RPC batch, served only in a session whose negotiated revision has batches (2025-03-26
   * and 2024-11-05); the revision is the one the session negotiated in `initialize`, never the
   * client's `MCP-Protocol-Version` alone. Members go to the session in order, so its FIFO holds
   * across them and a `notifications/cancelled` reaches an earlier member. Answers (2025-03-26,
   * "Sending Messages to the Server" §4-6): 202 when every member is an accepted notification or
   * response; otherwise the array of responses as JSON, or, once any member streams (progress, a
   * request to the client), an SSE stream carrying every response as its own event as it comes
   * ("These responses MAY be batched"). A batch of N messages spends N of `rateLimit`'s tokens.
   */
  async serve(
    exchange: HttpExchange,
    batch: unknown[],
    access: SessionAccess,
    rateKey: string,
    answer: PostAnswer,
  ): Promise<void> {
    if (exchange.header('mcp-session-id') === undefined && containsInitialize(batch)) {
      return this.refuseBatch(exchange, initializeInBatchError(null), answer);
    }
    const sessionId = sessionIdOf(this.runtime, exchange);
    if (sessionId === undefined) return;
    // Another principal's session is as unknown as a made-up id.
    if (!this.runtime.has(sessionId, access)) return refuse(this.runtime, exchange, 'session_not_found');
    const plan = planBatch(batch, this.runtime.info(sessionId)?.protocolVersion);
    if (!plan.ok) return this.refuseBatch(exchange, plan.response, answer);
    // `rateLimit` counts messages, not POSTs: the members past the first are owed by the caller.
    this.rateLimiter?.charge(rateKey, plan.entries.length - 1);
    const results: (JsonRpcResponse | undefined)[] = [];
    // What was answered before the stream opened goes out first; later answers as they come.
    const stream = this.streams.lazyStream(exchange, sessionId, access, (writer) => {
      for (const response of results) if (response !== undefined) writer.write(response);
    });
    // A client that does not accept JSON gets the responses as SSE events from the start.
    if (answer === 'stream' && plan.hasRequest) stream.open();
    const plain: DispatchOptions = { principal: access.principal, mayCreate: false };
    // Delivered synchronously, one after the other: the session's mailbox takes them in order.
    const answers = plan.entries.map(async (entry, index) => {
      const response =
        entry.kind === 'answered'
          ? entry.response
          : await this.runtime.deliver(sessionId, entry.message, entry.isRequest ? stream.options : plain);
      results[index] = response;
      if (response !== undefined) stream.writer?.write(response);
    });
    await Promise.all(answers);
    stream.settled();
    const writer = stream.writer;
    if (writer !== undefined) return writer.finish(undefined);
    const responses = batchResponses(results);
    if (!plan.hasRequest) {
      // Only notifications and responses: 202 once all are accepted, else the refusals with the
      // first one's status ("If the server cannot accept the input, it MUST return an HTTP error").
      if (responses.length === 0) return exchange.respond(202, {});
      const status =
        responses.map((response) => statusOfResponse(response)).find((code) => code !== 200) ?? 400;
      return exchange.respond(status, jsonHeaders, serializeMessage(responses, this.report) ?? '[]');
    }
    // Every request cancelled in the batch: no response may be sent, and JSON-RPC forbids an empty
    // array; an SSE stream that ends without one finishes the POST, as for one cancelled request.
    if (responses.length === 0) return exchange.openStream(streamHeaders).end();
    if (answer === 'stream') {
      // Past the stream budget a client that does not accept JSON still gets SSE, unbudgeted and
      // not resumable, as `reply` answers one response.
      const events = exchange.openStream(streamHeaders);
      for (const response of responses) events.write(formatSseEvent(response, undefined, this.report));
      return events.end();
    }
    exchange.respond(200, jsonHeaders, serializeMessage(responses, this.report) ?? '[]');
  }

  /**
   * Answers a batch refused as a whole (`initialize` in a batch, a batch the session's revision
   * does not take) and counts it in the runtime's refusals under its reason, as other refusals are.
   */
  private refuseBatch(exchange: HttpExchange, response: JsonRpcErrorResponse, answer: PostAnswer): void {
    countRefused(this.runtime, response);
    reply(exchange, response, undefined, answer, this.report);
  }
}
