/**
 * A {@link NotificationBus} on Redis pub/sub through node-redis clients the application created and
 * connected: one to publish (any client; `PUBLISH` is an ordinary command) and one to subscribe (a
 * connection in subscriber mode serves nothing else, so it is a separate one, e.g.
 * `client.duplicate()`). node-redis subscribes again by itself after a reconnect.
 *
 * Pub/sub delivers at most once: a subscriber that is disconnected when a message is published never
 * receives it; Redis keeps nothing for it.
 */
import { assertPositiveMs } from './LeaseStore.js';
import type { NotificationBus } from './NotificationBus.js';
import type { RedisCommandClient } from './RedisLeaseStore.js';

/**
 * What the bus needs of the subscribing client: the pub/sub methods of a node-redis 5/6
 * `RedisClientType` (`subscribe(channel, listener)` calls `listener(message, channel)`).
 */
export interface RedisSubscriberClient {
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>;
}

/** Options of {@link createRedisNotificationBus}. */
export interface RedisNotificationBusOptions {
  /** The client `PUBLISH` is sent on (it may be the one the lease store uses). */
  readonly publisher: RedisCommandClient;
  /** A client of its own for `SUBSCRIBE` (e.g. `publisher.duplicate()`, connected). */
  readonly subscriber: RedisSubscriberClient;
  /** Prefix of the channel name (default `mcp:`): the channel is `<keyPrefix>notifications`. */
  readonly keyPrefix?: string;
  /** The whole channel name, instead of one made from `keyPrefix`. */
  readonly channel?: string;
  /** Longest wait for `PUBLISH`'s answer, in ms (default 1000); past it the message counts as failed. */
  readonly timeoutMs?: number;
  /**
   * Told of a message that could not be published (client not ready, timeout, error), a failed
   * unsubscribe, and an exception thrown by a listener, none of which is thrown. (`subscribe`
   * rejects with the client's error.)
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * A {@link NotificationBus} on the Redis channel `<keyPrefix>notifications`. Each message is one
 * `PUBLISH` on the publisher (refused at once, without queueing, while it is not ready); each
 * subscriber receives it once if it is connected at that moment.
 *
 * @example
 * ```ts
 * const subscriber = await client.duplicate().on('error', log).connect();
 * const bus = createRedisNotificationBus({ publisher: client, subscriber, keyPrefix: 'my-server:' });
 * ```
 * @throws TypeError for a client without the needed methods, or an invalid option.
 */
export function createRedisNotificationBus(options: RedisNotificationBusOptions): NotificationBus {
  const { publisher, subscriber } = options ?? ({} as Partial<RedisNotificationBusOptions>);
  if (typeof (publisher as Partial<RedisCommandClient> | undefined)?.sendCommand !== 'function') {
    throw new TypeError(
      'Expected `publisher` to be a node-redis client (from createClient), got no `sendCommand`',
    );
  }
  if (
    typeof (subscriber as Partial<RedisSubscriberClient> | undefined)?.subscribe !== 'function' ||
    typeof subscriber.unsubscribe !== 'function'
  ) {
    throw new TypeError(
      'Expected `subscriber` to be a node-redis client (from createClient), got no `subscribe`/`unsubscribe`',
    );
  }
  const keyPrefix = options.keyPrefix ?? 'mcp:';
  if (typeof keyPrefix !== 'string') throw new TypeError('Expected `keyPrefix` to be a string');
  const channel = options.channel ?? `${keyPrefix}notifications`;
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('Expected `channel` to be a non-empty string');
  }
  const timeoutMs = options.timeoutMs ?? 1000;
  assertPositiveMs('timeoutMs', timeoutMs);
  return new RedisNotificationBus(publisher, subscriber, channel, timeoutMs, options.onError);
}

class RedisNotificationBus implements NotificationBus {
  private readonly listeners: ((message: string, channel: string) => void)[] = [];

  constructor(
    private readonly publisher: RedisCommandClient,
    private readonly subscriber: RedisSubscriberClient,
    private readonly channel: string,
    private readonly timeoutMs: number,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {}

  publish(message: string): void {
    if (!this.publisher.isReady) {
      this.report(new Error(`Not published on ${this.channel}: the Redis client is not ready`));
      return;
    }
    try {
      this.publisher
        .sendCommand(['PUBLISH', this.channel, message], { timeout: this.timeoutMs })
        .catch((error: unknown) => this.report(error));
    } catch (error) {
      this.report(error);
    }
  }

  async subscribe(listener: (message: string) => void): Promise<void> {
    const wrapped = (message: string) => {
      try {
        listener(message);
      } catch (error) {
        this.report(error);
      }
    };
    this.listeners.push(wrapped);
    await this.subscriber.subscribe(this.channel, wrapped);
  }

  async close(): Promise<void> {
    const listeners = this.listeners.splice(0);
    await Promise.all(
      listeners.map((listener) =>
        Promise.resolve()
          .then(() => this.subscriber.unsubscribe(this.channel, listener))
          .catch((error: unknown) => this.report(error)),
      ),
    );
  }

  private report(error: unknown): void {
    try {
      this.onError?.(error);
    } catch {
      // The reporter's own failure is not the bus's to throw.
    }
  }
}
