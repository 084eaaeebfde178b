/**
 * The runtime's event emitter (eventemitter3). A listener that throws must not break the runtime's
 * own bookkeeping, nor keep the event from the listeners after it (the HTTP transport ends streams
 * from a `sessionStopped` listener). So each listener is registered in a guard: a function that calls
 * it in its own try and reports its throw as `listenerError`. Only eventemitter3's public API is used
 * (`on`, `once`, `removeListener`, `listeners`, `emit`), so an upgrade that keeps that API keeps this.
 */
import { EventEmitter } from 'eventemitter3';
import type { RuntimeEvents } from './types.js';

type EventName = EventEmitter.EventNames<RuntimeEvents>;
type Listener<TEvent extends EventName> = EventEmitter.EventListener<RuntimeEvents, TEvent>;

/** A listener as the emitter stores it: calls {@link Guard.listener} and catches its throw. */
interface Guard {
  (this: unknown, payload: unknown): void;
  /** The function the user registered, which `listeners(event)` returns. */
  readonly listener: (payload: unknown) => void;
}

/**
 * Emits {@link RuntimeEvents}; subscribe with `runtime.events.on('sessionStopped', …)`.
 *
 * It is eventemitter3's `EventEmitter` (`on`, `once`, `off`, the optional `context` argument,
 * `listeners`, `listenerCount`), with one difference: a listener that throws does not keep the
 * event from the listeners after it, nor reach the code that emitted it. Its error is emitted as
 * `listenerError` (`{ event, error }`, `event` the name of the event whose listener threw); an error
 * thrown by a `listenerError` listener is dropped, so this cannot loop. The runtime reports two other
 * callbacks' throws there too: a `dispatch` caller's `onNotification` (`event: 'onNotification'`)
 * and a placement's unsubscribe at `close()` (`event: 'placement'`). Listeners run in the order they were added; one added while an event is being
 * emitted first hears the next one, one removed meanwhile still hears the current one.
 */
export class RuntimeEventEmitter extends EventEmitter<RuntimeEvents> {
  /**
   * The guard of each registered function, per event, so that `off(event, fn)` finds what
   * `on(event, fn)` added. One map per emitter; each guard is made once, when its function is first
   * added for that event, so emitting allocates nothing.
   */
  readonly #guards = new Map<EventName, WeakMap<(payload: never) => void, Guard>>();

  override on<TEvent extends EventName>(event: TEvent, fn: Listener<TEvent>, context?: unknown): this {
    return super.on(event, this.#guard(event, fn) as Listener<TEvent>, context);
  }

  override addListener<TEvent extends EventName>(
    event: TEvent,
    fn: Listener<TEvent>,
    context?: unknown,
  ): this {
    return super.addListener(event, this.#guard(event, fn) as Listener<TEvent>, context);
  }

  override once<TEvent extends EventName>(event: TEvent, fn: Listener<TEvent>, context?: unknown): this {
    return super.once(event, this.#guard(event, fn) as Listener<TEvent>, context);
  }

  override removeListener<TEvent extends EventName>(
    event: TEvent,
    fn?: Listener<TEvent>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.removeListener(event, this.#stored(event, fn), context, once);
  }

  override off<TEvent extends EventName>(
    event: TEvent,
    fn?: Listener<TEvent>,
    context?: unknown,
    once?: boolean,
  ): this {
    return super.off(event, this.#stored(event, fn), context, once);
  }

  /** The functions registered for `event`, as they were given to `on` or `once`. */
  override listeners<TEvent extends EventName>(event: TEvent): Array<Listener<TEvent>> {
    const stored = super.listeners(event);
    for (let i = 0; i < stored.length; i++) {
      const fn = stored[i] as Partial<Guard> | undefined;
      if (fn?.listener !== undefined) stored[i] = fn.listener as Listener<TEvent>;
    }
    return stored;
  }

  /**
   * Emits `event` to its listeners, as `emit` does; O(1) and allocation-free when it has none.
   * `listenerCount` comes first because it is cheaper than entering `emit` (which reads `arguments`)
   * for the events nobody listens to, the common case on the request path: about 2–3 ns against 7–10.
   * @internal
   */
  safeEmit<TEvent extends EventName>(event: TEvent, payload: Parameters<RuntimeEvents[TEvent]>[0]): void {
    if (this.listenerCount(event) === 0) return;
    (this.emit as (event: TEvent, payload: unknown) => boolean)(event, payload);
  }

  /** The guard for `fn` on `event`, made on first use. */
  #guard(event: EventName, fn: (payload: never) => void): Guard {
    if (typeof fn !== 'function') throw new TypeError('The listener must be a function');
    let byListener = this.#guards.get(event);
    if (byListener === undefined) {
      byListener = new WeakMap();
      this.#guards.set(event, byListener);
    }
    let guard = byListener.get(fn);
    if (guard === undefined) {
      guard = makeGuard(this, event, fn as (payload: unknown) => void);
      byListener.set(fn, guard);
    }
    return guard;
  }

  /** What the emitter stores for `fn` on `event`: its guard, or `fn` itself (a guard, or unknown). */
  #stored<TEvent extends EventName>(
    event: TEvent,
    fn: Listener<TEvent> | undefined,
  ): Listener<TEvent> | undefined {
    if (fn === undefined) return undefined;
    return (this.#guards.get(event)?.get(fn) as Listener<TEvent> | undefined) ?? fn;
  }
}

/** A guard (see {@link Guard}); `listenerError` listeners' own throws are dropped. */
function makeGuard(
  emitter: RuntimeEventEmitter,
  event: EventName,
  listener: (payload: unknown) => void,
): Guard {
  const guard = function (this: unknown, payload: unknown): void {
    try {
      listener.call(this, payload);
    } catch (error) {
      if (event !== 'listenerError') emitter.safeEmit('listenerError', { event, error });
    }
  } as Guard;
  Object.defineProperty(guard, 'listener', { value: listener });
  return guard;
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
