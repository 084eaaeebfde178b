/**
 * Baseline (a): the floor. A `Map` of per-session promise chains, the smallest FIFO mailbox there is,
 * and no protocol work at all: no validation, no lifecycle, no response building, no counters. One
 * session's messages run in order, one at a time; sessions run independently.
 *
 * Issue 7's target: our runtime reaches at least half of this throughput.
 */
import type { HandlerContext, RequestHandler } from '../../src/index.js';
import type { BenchEngine } from '../harness/engine.js';

const settled: Promise<unknown> = Promise.resolve();
const emptyParams: Readonly<Record<string, unknown>> = Object.freeze({});
/** The bench handlers never read their context; the floor does not pay for building one. */
export const noContext = Object.freeze({}) as HandlerContext;

/** @see {@link RawChainEngine.dispatch} */
export class RawChainEngine implements BenchEngine {
  readonly label = 'raw Map + promise chain';
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly handlers: Readonly<Record<string, RequestHandler>>) {}

  /**
   * Chains the message behind the session's previous one. `then(run, run)` runs it whether the
   * previous one succeeded or failed, with one promise per message and nothing else. A method with
   * no handler (the handshake) answers `undefined`.
   */
  dispatch(sessionId: string, message: unknown): Promise<unknown> {
    const { method, params } = message as { method?: string; params?: Record<string, unknown> };
    const handler = method === undefined ? undefined : this.handlers[method];
    const run = () => handler?.(params ?? emptyParams, noContext);
    const tail = (this.tails.get(sessionId) ?? settled).then(run, run);
    this.tails.set(sessionId, tail);
    return tail;
  }

  /** Sessions seen. */
  get size(): number {
    return this.tails.size;
  }
}
