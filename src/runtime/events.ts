/**
 * The runtime's event emitter (eventemitter3). A listener that throws must not break the runtime's
 * own bookkeeping, so every emit goes through {@link RuntimeEventEmitter.safeEmit}.
 */
import { EventEmitter } from 'eventemitter3';
import type { RuntimeEvents } from './types.js';

/** Emits {@link RuntimeEvents}; subscribe with `runtime.events.on('sessionStopped', …)`. */
export class RuntimeEventEmitter extends EventEmitter<RuntimeEvents> {
  /**
   * Emits without letting a listener's exception escape. The error is re-emitted as `listenerError`
   * (whose own listeners' errors are dropped, so this cannot loop).
   * @internal
   */
  safeEmit<TEvent extends keyof RuntimeEvents>(
    event: TEvent,
    payload: Parameters<RuntimeEvents[TEvent]>[0],
  ): void {
    if (this.listenerCount(event) === 0) return;
    try {
      (this.emit as (event: TEvent, payload: unknown) => boolean)(event, payload);
    } catch (error) {
      if (event === 'listenerError') return;
      try {
        this.emit('listenerError', { event, error });
      } catch {
        // A throwing listenerError listener has nowhere left to report to.
      }
    }
  }
}
