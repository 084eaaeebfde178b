/**
 * Counts open SSE streams, overall and per session, so that a client cannot hold an unbounded number
 * of long-lived responses (each pins a socket and buffers). A stream takes a slot when it opens and
 * gives it back exactly once when it closes.
 */

/** Why a stream could not open. @internal */
export type StreamRefusal = 'too_many_streams' | 'overloaded';

/** @internal */
export class StreamBudget {
  private open = 0;
  private readonly perSession = new Map<string, number>();

  constructor(
    private readonly maxStreams: number,
    private readonly maxPerSession: number,
  ) {}

  /** Takes a slot for `sessionId`, or says which limit refuses it. */
  acquire(sessionId: string): StreamRefusal | undefined {
    if (this.open >= this.maxStreams) return 'overloaded';
    const held = this.perSession.get(sessionId) ?? 0;
    if (held >= this.maxPerSession) return 'too_many_streams';
    this.open++;
    this.perSession.set(sessionId, held + 1);
    return undefined;
  }

  /** Gives back a slot taken by {@link acquire}. */
  release(sessionId: string): void {
    this.open--;
    const held = (this.perSession.get(sessionId) ?? 1) - 1;
    if (held === 0) this.perSession.delete(sessionId);
    else this.perSession.set(sessionId, held);
  }

  /** Streams open now. */
  get size(): number {
    return this.open;
  }
}
