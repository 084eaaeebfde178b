/**
 * A FIFO async mutex, as `async-mutex` or Rust's `tokio::sync::Mutex` behave: `run` takes the lock
 * at once when it is free, else waits its turn; release hands the lock straight to the next waiter.
 */

/** How long each holder waited for the lock: the "lock contention" figure of the original engine. */
export interface LockWait {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** @see {@link AsyncLock.run} */
export class AsyncLock {
  private locked = false;
  /** Waiters, oldest first; `head` instead of `shift()` keeps a long queue O(1) per release. */
  private waiters: (() => void)[] = [];
  private head = 0;
  readonly wait: LockWait = { count: 0, totalMs: 0, maxMs: 0 };

  /** Runs `task` holding the lock, and releases it when the task settles, however it settles. */
  async run<TResult>(task: () => Promise<TResult>): Promise<TResult> {
    const requestedAt = Date.now();
    if (this.locked) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.locked = true;
    }
    this.recordWait(Date.now() - requestedAt);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiters[this.head];
    if (next === undefined) {
      this.locked = false;
      return;
    }
    this.waiters[this.head] = undefined as never;
    this.head++;
    if (this.head === this.waiters.length) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.waiters.length) {
      // A lock that is never free would otherwise keep every waiter it ever had.
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
    next();
  }

  private recordWait(ms: number): void {
    this.wait.count++;
    this.wait.totalMs += ms;
    if (ms > this.wait.maxMs) this.wait.maxMs = ms;
  }
}
