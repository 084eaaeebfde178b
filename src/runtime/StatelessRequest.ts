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
import { SessionRuntimeError } from '../protocol/errors.js';
import type { IncomingRequest } from '../protocol/incoming.js';
import { clientCapabilityFor } from '../protocol/lifecycle.js';
import type { LoggingLevel } from '../protocol/logging.js';
import { passesLevel } from '../protocol/logging.js';
import type { MailboxEnvironment } from './Mailbox.js';
import { Mailbox } from './Mailbox.js';
import type { OutboundRequestOptions } from './OutboundRequests.js';
import type { PendingRequest } from './PendingRequest.js';
import type { DispatchOptions, DispatchResult, SessionInfo } from './types.js';

/** What the stateless requests of one runtime share. @internal */
export interface StatelessEnvironment extends MailboxEnvironment {
  /** The runtime's dispatch, for `ctx.dispatch` to a 2025 session. */
  readonly dispatch: (
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
    caller: PendingRequest | undefined,
  ) => Promise<DispatchResult>;
}

/** @internal */
export class StatelessRequest extends Mailbox {
  /** The `requestTimeoutMs` timer of the one request, armed when its handler starts. */
  private deadline: unknown;

  constructor(
    principal: string | undefined,
    protected override readonly environment: StatelessEnvironment,
    private readonly envelope: RequestEnvelope,
  ) {
    super('', principal, environment);
  }

  /** Runs `message` (a request of the modern era) and resolves with its answer; never rejects. */
  serve(message: IncomingRequest, options: DispatchOptions | undefined): Promise<DispatchResult> {
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
    const { envelope } = this;
    return {
      sessionId: '',
      state: 'ready',
      initialized: true,
      protocolVersion: envelope.protocolVersion,
      clientInfo: envelope.clientInfo,
      clientCapabilities: envelope.clientCapabilities,
      createdAt: this.createdAt,
      lastActivity: this.lastActivity,
      queued: this.queue.length,
      inFlight: this.holders.length,
    };
  }

  reportNotificationError(error: unknown): void {
    this.environment.events.safeEmit('listenerError', { event: 'onNotification', error });
  }

  dispatchFrom(
    caller: PendingRequest,
    sessionId: string,
    message: unknown,
    options: DispatchOptions | undefined,
  ): Promise<DispatchResult> {
    return this.environment.dispatch(sessionId, message, options, caller);
  }

  /**
   * A server→client request. 2026-07-28 sends none on a request's stream: a method the client did
   * not declare the capability for is `missing_required_client_capability` (-32021, with
   * `data.requiredCapabilities`), which ends the request as a protocol error; one it did declare
   * would need a multi-round-trip answer (`input_required`, SEP-2322), not served yet.
   */
  sendRequest(
    _from: PendingRequest,
    method: string,
    _params: Readonly<Record<string, unknown>> | undefined,
    _options: OutboundRequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    const needed = clientCapabilityFor(method);
    if (needed !== undefined && this.envelope.clientCapabilities[needed] === undefined) {
      return Promise.reject(
        new SessionRuntimeError(
          'missing_required_client_capability',
          `The request needs the client's ${needed} capability, which its _meta did not declare`,
          { requiredCapabilities: { [needed]: {} } },
        ),
      );
    }
    return Promise.reject(
      new SessionRuntimeError(
        'client_unreachable',
        'A 2026-07-28 request cannot send the client requests on its stream; multi-round-trip answers (input_required) are not served yet',
      ),
    );
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
    if (this.deadline === undefined || !this.mailboxEmpty()) return;
    this.environment.options.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}
