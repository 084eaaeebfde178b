/**
 * A token bucket per key (RFC-free, the textbook one): each key holds up to `burst` tokens, refilled
 * at `perSecond`; a request takes one or is refused with the seconds until one is back. Buckets that
 * have refilled completely hold no information and are dropped, so the map stays as small as the set
 * of recently active keys.
 */

/** Rate limit options: `requestsPerSecond` sustained, bursts of up to `burst`. */
export interface RateLimitOptions {
  /** Requests per second one principal may send, sustained. */
  readonly requestsPerSecond: number;
  /**
   * Requests one principal may send at once before the rate applies.
   * @default Math.max(1, requestsPerSecond)
   */
  readonly burst?: number;
}

interface Bucket {
  tokens: number;
  /** Milliseconds (monotonic) of the last refill. */
  at: number;
}

/** @internal */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  /** The map size that triggers the next sweep of full buckets. */
  private sweepAt = 1_024;

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = options.requestsPerSecond / 1_000;
    this.burst = options.burst ?? Math.max(1, options.requestsPerSecond);
  }

  /** Takes a token for `key`: `0` when granted, else the whole seconds to wait before retrying. */
  take(key: string): number {
    const bucket = this.refilled(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitFor(bucket);
  }

  /**
   * Takes `count` more tokens from `key`'s bucket after a granted {@link take}, going into debt if
   * need be: the messages of a JSON-RPC batch beyond its first, which must neither pass for one
   * request nor be refused forever when the batch is larger than `burst`. Later requests wait until
   * the debt is refilled.
   */
  charge(key: string, count: number): void {
    if (count > 0) this.refilled(key).tokens -= count;
  }

  /** Like {@link take}, without taking (and without making a bucket): `0` when a token is there. */
  peek(key: string): number {
    if (!this.buckets.has(key)) return 0;
    const bucket = this.refilled(key);
    return bucket.tokens >= 1 ? 0 : this.waitFor(bucket);
  }

  private refilled(key: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.sweepAt) this.sweep(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    }
    return bucket;
  }

  private waitFor(bucket: Bucket): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1_000));
  }

  /** Keys with a bucket now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.burst) this.buckets.delete(key);
    }
    this.sweepAt = Math.max(1_024, this.buckets.size * 2);
  }
}
