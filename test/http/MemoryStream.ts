/** An in-memory {@link EventStream} for tests: keeps what was written, closes once. */
import type { EventStream } from '../../src/http/exchange.js';

export class MemoryStream implements EventStream {
  readonly events: string[] = [];
  private listeners: (() => void)[] = [];
  closed = false;
  write(event: string): boolean {
    if (!this.closed) this.events.push(event);
    return !this.closed;
  }
  onDrain(listener: () => void): void {
    listener();
  }
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }
}
