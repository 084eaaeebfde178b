/**
 * Fan-out between the instances of a cluster: a message published on one instance's bus reaches
 * every instance subscribed to the same channel (its own too, as Redis pub/sub does; the placement
 * drops its own by origin). `createRedisNotificationBus` carries messages over Redis pub/sub;
 * {@link MemoryNotificationBus} inside one process.
 *
 * Delivery is at most once: a subscriber that is not connected when a message is published never
 * receives it (Redis pub/sub keeps nothing). What is sent over it must be a hint that a late
 * reader can do without, such as `notifications/resources/updated`.
 */

/** A channel shared by every instance of a cluster. */
export interface NotificationBus {
  /**
   * Sends `message` to every subscriber of the channel (this bus's own included). Never throws: a
   * message that cannot be sent is dropped (and reported, where the bus has an `onError`).
   */
  publish(message: string): void;
  /**
   * Calls `listener` with every message published on the channel from now on. Resolves once the
   * subscription is in place (a message published before may be missed).
   */
  subscribe(listener: (message: string) => void): Promise<void> | void;
  /** Stops delivering to this bus's listeners. The connections it was given stay open. */
  close(): Promise<void> | void;
}

/** The endpoints of one in-process channel. */
class Hub {
  readonly listeners = new Set<(message: string) => void>();
}

/**
 * An in-process {@link NotificationBus}: `new MemoryNotificationBus()` opens a channel, and every
 * endpoint made with {@link connect} shares it. For tests, and for several runtimes in one process. Delivery is asynchronous
 * (on a microtask), as it would be over a network, and in publish order.
 *
 * @example
 * ```ts
 * const bus = new MemoryNotificationBus();
 * const a = createClusterPlacement({ store, address: 'http://a', bus });
 * const b = createClusterPlacement({ store, address: 'http://b', bus: bus.connect() });
 * ```
 */
export class MemoryNotificationBus implements NotificationBus {
  /** The channel; replaced only by {@link connect}, on the endpoint it makes. */
  private hub = new Hub();
  private readonly own = new Set<(message: string) => void>();

  /** Another endpoint on this bus's channel (each instance closes its own). */
  connect(): MemoryNotificationBus {
    const endpoint = new MemoryNotificationBus();
    endpoint.hub = this.hub;
    return endpoint;
  }

  publish(message: string): void {
    for (const listener of [...this.hub.listeners]) {
      queueMicrotask(() => {
        try {
          listener(message);
        } catch {
          // A subscriber's failure stays with it.
        }
      });
    }
  }

  subscribe(listener: (message: string) => void): void {
    // A listener of this endpoint, wrapped so that one function subscribed twice counts twice.
    const entry = (message: string) => listener(message);
    this.own.add(entry);
    this.hub.listeners.add(entry);
  }

  close(): void {
    for (const entry of this.own) this.hub.listeners.delete(entry);
    this.own.clear();
  }
}
