/**
 * The runtime's event emitter (eventemitter3). A listener that throws must not break the runtime's
 * own bookkeeping, nor keep the event from the listeners after it (the HTTP transport ends streams
 * from a `sessionStopped` listener), so every emit goes through {@link RuntimeEventEmitter.safeEmit}.
 */
import { EventEmitter } from 'eventemitter3';
import type { RuntimeEvents } from './types.js';

/** eventemitter3's listener record (stable across its 4.x and 5.x releases). */
interface ListenerRecord {
  readonly fn: (payload: unknown) => void;
  readonly context: unknown;
  readonly once: boolean;
}

/** Emits {@link RuntimeEvents}; subscribe with `runtime.events.on('sessionStopped', …)`. */
export class RuntimeEventEmitter extends EventEmitter<RuntimeEvents> {
  /**
   * Calls every listener of `event`, each in its own try: one that throws is reported as
   * `listenerError` (whose own listeners' errors are dropped, so this cannot loop) and the rest
   * still run.
   * @internal
   */
  safeEmit<TEvent extends keyof RuntimeEvents>(
    event: TEvent,
    payload: Parameters<RuntimeEvents[TEvent]>[0],
  ): void {
    if (this.listenerCount(event) === 0) return;
    const key = EventEmitter.prefixed ? `${EventEmitter.prefixed}${event}` : event;
    const stored = (this as unknown as { _events: Record<string, ListenerRecord | ListenerRecord[]> })
      ._events[key];
    if (stored === undefined) return;
    const records = Array.isArray(stored) ? [...stored] : [stored];
    for (const record of records) {
      if (record.once) this.removeListener(event, record.fn as never, undefined, true);
      try {
        record.fn.call(record.context, payload);
      } catch (error) {
        if (event !== 'listenerError') this.safeEmit('listenerError', { event, error });
      }
    }
  }
}

/** The longest target an event carries: a custom method's `name` param is the client's to choose. */
const MAX_TARGET_LENGTH = 256;

/**
 * What a request addresses, for events and logs (the `{target}` of the OpenTelemetry MCP span
 * name): the tool of `tools/call`, the prompt of `prompts/get`, the URI of `resources/read`;
 * `undefined` for other methods. Cut to 256 characters. @internal
 */
export function targetOf(method: string, params: Readonly<Record<string, unknown>>): string | undefined {
  const value =
    method === 'tools/call' || method === 'prompts/get'
      ? params.name
      : method === 'resources/read'
        ? params.uri
        : undefined;
  if (typeof value !== 'string') return undefined;
  return value.length > MAX_TARGET_LENGTH ? `${value.slice(0, MAX_TARGET_LENGTH)}…` : value;
}
