/**
 * One MCP 2026-07-28 request, served without a session (SEP-2575): a {@link Mailbox} of one
 * request and no lifecycle machine. It reuses what every keyed actor has (the method and params
 * checks, the handler run, the answer, cancellation, `requestTimeoutMs`, the metrics) and adds what
 * the request's own `_meta` says: the client's capabilities, identity and log level, for this
 * request only (the server must not infer them from earlier requests).
 *
 * Nothing outlives the request: no directory entry, no `Mcp-Session-Id`, no idle timer. A handler's
 * `ctx.sessionId` is `''` and `ctx.session` describes the request's client.
 */

import type { RequestEnvelope } from '../protocol/envelope.js';
import { MULTI_ROUND_METHODS } from '../protocol/envelope.js';
import { errorResponse, SessionRuntimeError } from '../protocol/errors.js';
import type { IncomingRequest } from '../protocol/incoming.js';
import { capabilityPath, clientCapabilityFor, missingClientCapability } from '../protocol/lifecycle.js';
import type { LoggingLevel } from '../protocol/logging.js';
import { passesLevel } from '../protocol/logging.js';
import type { RequestStateCodec } from '../protocol/requestState.js';
import { InputRound } from './inputRound.js';
import type { MailboxEnvironment } from './Mailbox.js';
import { Mailbox } from './Mailbox.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import type { PendingRequest } from './PendingRequest.js';
import type { DispatchOptions, DispatchResult, SessionInfo } from './types.js';

/** What the stateless requests of one runtime share. @internal */
export interface StatelessEnvironment extends MailboxEnvironment {
  /** Seals and opens `requestState` (multi-round-trip requests). */
  readonly requestState: RequestStateCodec;
}

/** @internal */
export class StatelessRequest extends Mailbox {
  /** The `requestTimeoutMs` timer of the one request, armed when its handler starts. */
  private deadline: unknown;
  /** The multi-round-trip state of a `tools/call`, `prompts/get` or `resources/read`. */
  private round: InputRound | undefined;
  /** Rejects the `ctx.request` promises still waiting for a round; created on the first. */
  private unanswered: (() => void)[] | undefined;

  constructor(
    principal: string | undefined,
    protected override readonly environment: StatelessEnvironment,
    private readonly envelope: RequestEnvelope,
  ) {
    super('', principal, environment);
  }

  /** Runs `message` (a request of the modern era) and resolves with its answer; never rejects. */
  serve(message: IncomingRequest, options: DispatchOptions | undefined): Promise<DispatchResult> {
    if (MULTI_ROUND_METHODS.has(message.method)) {
      const round = InputRound.of(this.environment.requestState, this.owner, message.method, message.params);
      if (typeof round === 'string') {
        this.environment.metrics.reject('invalid_params');
        return Promise.resolve(errorResponse(message.id, 'invalid_params', round));
      }
      this.round = round;
    }
    return this.accept(message, options, undefined, this.environment.options.clock.now());
  }

  /** No session: the empty string. */
  get sessionId(): string {
    return '';
  }

  get sharedContext(): unknown {
    return this.environment.options.context;
  }

  info(): SessionInfo {
    return this.sessionlessInfo(this.envelope);
  }

  /**
   * A server→client request (`ctx.request`). 2026-07-28 sends none on a request's stream: a method
   * the client did not declare the capability for is `missing_required_client_capability` (-32021,
   * with `data.requiredCapabilities`), which ends the request as a protocol error; otherwise the
   * answer comes from the client's `inputResponses` (or an earlier round's `requestState`), or the
   * request is collected for an `input_required` answer (SEP-2322, see `inputRound.ts`), and this
   * run of the handler ends when it is sent (the promise rejects with `request_cancelled`).
   */
  sendRequest(
    from: PendingRequest,
    method: string,
    params: Readonly<Record<string, unknown>> | undefined,
    options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    if (clientCapabilityFor(method) === undefined) {
      // SEP-2322: `inputRequests` hold elicitation, sampling and roots requests only.
      return Promise.reject(
        new SessionRuntimeError(
          'client_unreachable',
          `A 2026-07-28 request can ask the client only for elicitation/create, sampling/createMessage or roots/list, not ${method}`,
        ),
      );
    }
    const missing = missingClientCapability(method, params, this.envelope.clientCapabilities);
    if (missing !== undefined) {
      return Promise.reject(
        new SessionRuntimeError(
          'missing_required_client_capability',
          `The request needs the client's ${capabilityPath(missing)} capability, which its _meta did not declare`,
          { requiredCapabilities: missing },
        ),
      );
    }
    const round = this.round;
    if (round === undefined || !from.active) {
      return Promise.reject(
        new SessionRuntimeError(
          'client_unreachable',
          'Only tools/call, prompts/get and resources/read may ask the client (multi-round-trip requests)',
        ),
      );
    }
    const key = round.keyFor(method, options?.key);
    const answered = round.answer(key, method);
    if (typeof answered === 'string') {
      return Promise.reject(new SessionRuntimeError('invalid_params', answered));
    }
    if (answered !== undefined) return Promise.resolve(answered.value);
    if (round.ask(key, { method, params: params ?? {} })) {
      // Requests asked together (`Promise.all`) go out in one round: answer once the handler has
      // asked all it asks now.
      setImmediate(() => this.askClient(from, round));
    }
    // Settles when this run of the handler ends: at the input_required answer (its signal aborts),
    // or, for a request the handler did not wait for, when the request is answered anyway.
    return new Promise((_resolve, reject) => {
      const ended = () =>
        reject(new SessionRuntimeError('request_cancelled', 'The client is asked first (input_required)'));
      if (from.signal.aborted) ended();
      else {
        from.signal.addEventListener('abort', ended, { once: true });
        this.unanswered ??= [];
        this.unanswered.push(ended);
      }
    });
  }

  /**
   * Answers `input_required` with what the handler asked, and drops this run of the handler. The
   * answers carried into the next round must fit in a `requestState`: a client whose answers do
   * not (they are its own data) gets `invalid_params` instead, counted as failed.
   */
  private askClient(request: PendingRequest, round: InputRound): void {
    if (request.phase !== 'running') return;
    const reason = new SessionRuntimeError(
      'request_cancelled',
      'Answered input_required; the retry runs the handler again',
    );
    let result: Record<string, unknown>;
    try {
      result = round.inputRequired();
    } catch (error) {
      const refused = errorResponse(
        request.requestId,
        'invalid_params',
        `The answers in inputResponses are too large to carry to the next round (${(error as Error).message})`,
      );
      this.preempt(request, refused, reason, true);
      return;
    }
    this.preempt(request, { jsonrpc: '2.0', id: request.requestId, result }, reason);
  }

  /** Only a request that carried `io.modelcontextprotocol/logLevel` gets `notifications/message`. */
  passesLogLevel(level: LoggingLevel): boolean {
    const minimum = this.envelope.logLevel;
    return minimum !== undefined && passesLevel(level, minimum);
  }

  protected watchDeadline(_startedAfterMs: number): void {
    const { clock, requestTimeoutMs } = this.environment.options;
    this.deadline ??= clock.setTimeout(() => {
      this.deadline = undefined;
      this.timeOutOverdue(clock.now());
    }, requestTimeoutMs);
  }

  protected afterWork(): void {
    if (!this.mailboxEmpty()) return;
    if (this.deadline !== undefined) {
      this.environment.options.clock.clearTimeout(this.deadline);
      this.deadline = undefined;
    }
    // Asks the handler did not wait for: nobody will answer them now.
    const unanswered = this.unanswered;
    this.unanswered = undefined;
    for (const ended of unanswered ?? []) ended();
  }

  /**
   * Ends the request now (the runtime closes and the drain is over): answered `shutting_down`
   * (-32013, with `data.retryAfterSeconds`) if not yet answered, its handler aborted.
   */
  shutDown(): void {
    const error = new SessionRuntimeError('shutting_down', undefined, {
      retryAfterSeconds: this.environment.options.retryAfterSeconds,
    });
    const running = this.failAll(error);
    for (const request of running) request.abort(error);
    this.afterWork();
  }
}
