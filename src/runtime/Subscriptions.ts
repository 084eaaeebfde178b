/**
 * Resource subscriptions of every session, indexed by URI so that an update reaches its
 * subscribers without a scan over all sessions. A session's subscriptions end with the session.
 */
import { type JsonRpcMessage, jsonRpcNotification } from '../protocol/jsonrpc.js';

/** What a subscriber must offer: a way to send it a message outside any request. @internal */
export interface Subscriber {
  send(message: JsonRpcMessage): boolean;
}

/** @internal */
export class Subscriptions {
  private readonly byUri = new Map<string, Set<Subscriber>>();

  subscribe(uri: string, subscriber: Subscriber): void {
    let subscribers = this.byUri.get(uri);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.byUri.set(uri, subscribers);
    }
    subscribers.add(subscriber);
  }

  unsubscribe(uri: string, subscriber: Subscriber): void {
    const subscribers = this.byUri.get(uri);
    if (subscribers === undefined) return;
    subscribers.delete(subscriber);
    if (subscribers.size === 0) this.byUri.delete(uri);
  }

  /** Sends `notifications/resources/updated` to every subscriber of `uri`; returns how many got it. */
  notifyUpdated(uri: string): number {
    let delivered = 0;
    for (const subscriber of [...(this.byUri.get(uri) ?? [])]) {
      if (subscriber.send(jsonRpcNotification('notifications/resources/updated', { uri }))) {
        delivered++;
      }
    }
    return delivered;
  }

  /** URIs with at least one subscriber (for tests and metrics). */
  get size(): number {
    return this.byUri.size;
  }
}
