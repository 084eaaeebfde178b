/**
 * Counts open SSE streams, overall, per principal and per session, so that a client cannot hold an
 * unbounded number of long-lived responses (each pins a socket and buffers), and one principal
 * cannot take the whole server's share. A stream takes a slot when it opens and gives it back
 * exactly once when it closes.
 */

/** Why a stream could not open. @internal */
export type StreamRefusal = 'too_many_streams' | 'overloaded';

/** Adds `delta` to `key`'s count, dropping zero counts so the map holds only open streams. */
function adjust(counts: Map<string, number>, key: string, delta: number): void {
  const count = (counts.get(key) ?? 0) + delta;
  if (count <= 0) counts.delete(key);
  else counts.set(key, count);
}

/** @internal */
export class StreamBudget {
  private open = 0;
  private readonly perSession = new Map<string, number>();
  private readonly perPrincipal = new Map<string, number>();

  constructor(
    private readonly maxStreams: number,
    private readonly maxPerSession: number,
    private readonly maxPerPrincipal: number,
  ) {}

  /** Takes a slot for `sessionId` of `principalId` (none for anonymous), or says which limit refuses it. */
  acquire(sessionId: string, principalId: string | undefined): StreamRefusal | undefined {
    if (this.open >= this.maxStreams) return 'overloaded';
    if ((this.perSession.get(sessionId) ?? 0) >= this.maxPerSession) return 'too_many_streams';
    if (principalId !== undefined && (this.perPrincipal.get(principalId) ?? 0) >= this.maxPerPrincipal) {
      return 'too_many_streams';
    }
    this.open++;
    adjust(this.perSession, sessionId, 1);
    if (principalId !== undefined) adjust(this.perPrincipal, principalId, 1);
    return undefined;
  }

  /** Gives back a slot taken by {@link acquire} with the same arguments. */
  release(sessionId: string, principalId: string | undefined): void {
    this.open--;
    adjust(this.perSession, sessionId, -1);
    if (principalId !== undefined) adjust(this.perPrincipal, principalId, -1);
  }

  /** Streams open now. */
  get size(): number {
    return this.open;
  }
}
