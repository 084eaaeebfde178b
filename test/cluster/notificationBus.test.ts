/**
 * Fan-out between placements over both buses (Redis pub/sub on one subscriber connection per
 * instance, and the in-process bus): a notification reaches every other instance and never its
 * origin, malformed messages are ignored and reported, a publish without Redis never throws.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ClusterPlacement,
  createClusterPlacement,
  createRedisNotificationBus,
  MemoryLeaseStore,
  MemoryNotificationBus,
  type NotificationBus,
} from '../../src/cluster/index.js';
import type { ClusterNotification } from '../../src/runtime/placement.js';
import { connectRedis, type TestRedisClient, uniquePrefix } from './redis.js';

const keyPrefix = uniquePrefix('bus');
let publisher: TestRedisClient;
const subscribers: TestRedisClient[] = [];
const opened: ClusterPlacement[] = [];

beforeAll(async () => {
  publisher = await connectRedis();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((placement) => placement.close()));
});

afterAll(() => {
  for (const subscriber of subscribers.splice(0)) subscriber.destroy();
  publisher?.destroy();
});

/** A subscriber connection of its own, as each instance has. */
async function subscriberConnection(): Promise<TestRedisClient> {
  const subscriber = publisher.duplicate();
  subscriber.on('error', () => {});
  await subscriber.connect();
  subscribers.push(subscriber);
  return subscriber;
}

interface Instance {
  readonly placement: ClusterPlacement;
  readonly bus: NotificationBus;
  readonly received: ClusterNotification[];
  readonly errors: unknown[];
}

type BusFactory = () => Promise<() => Promise<NotificationBus>>;

const memoryBuses: BusFactory = async () => {
  const first = new MemoryNotificationBus();
  let handedOut = false;
  return async () => {
    if (handedOut) return first.connect();
    handedOut = true;
    return first;
  };
};

const redisBuses: BusFactory = async () => {
  const channel = `${keyPrefix}${Math.random()}:notifications`;
  return async () =>
    createRedisNotificationBus({ publisher, subscriber: await subscriberConnection(), channel });
};

async function instances(factory: BusFactory, count: number): Promise<Instance[]> {
  const nextBus = await factory();
  const store = new MemoryLeaseStore();
  const made: Instance[] = [];
  for (let index = 0; index < count; index++) {
    const bus = await nextBus();
    const received: ClusterNotification[] = [];
    const errors: unknown[] = [];
    const placement = createClusterPlacement({
      store,
      bus,
      address: `http://10.0.0.${index}:3000`,
      instanceId: `instance-${index}`,
      onError: (error) => errors.push(error),
    });
    placement.onNotification((notification) => received.push(notification));
    opened.push(placement);
    made.push({ placement, bus, received, errors });
  }
  await Promise.all(made.map((instance) => instance.placement.ready));
  return made;
}

describe.each([
  ['the in-process bus', memoryBuses],
  ['Redis pub/sub', redisBuses],
])('fan-out over %s', (_, factory) => {
  it("delivers a placement's notification to every other placement, never back to its origin", async () => {
    const [a, b, c] = (await instances(factory, 3)) as [Instance, Instance, Instance];
    const updated: ClusterNotification = { type: 'resourceUpdated', uri: 'file:///a.txt' };
    a.placement.publish(updated);
    await vi.waitFor(() => {
      expect(b.received).toEqual([updated]);
      expect(c.received).toEqual([updated]);
    });
    // B answers after A's message went out: once A has B's, it has seen (and dropped) its own.
    const changed: ClusterNotification = { type: 'listChanged', list: 'tools' };
    b.placement.publish(changed);
    await vi.waitFor(() => expect(a.received).toEqual([changed]));
    await vi.waitFor(() => expect(c.received).toEqual([updated, changed]));
    expect(b.received).toEqual([updated]);
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([]);
  });

  it('stops delivering to a listener once its unsubscribe is called, and leaves a later one', async () => {
    const [a, b, c] = (await instances(factory, 3)) as [Instance, Instance, Instance];
    const unsubscribed: ClusterNotification[] = [];
    const stop = b.placement.onNotification((notification) => unsubscribed.push(notification));
    if (stop === undefined) throw new Error('Expected onNotification to return an unsubscribe function');
    stop();
    const first: ClusterNotification = { type: 'listChanged', list: 'tools' };
    a.placement.publish(first);
    // C has it: B's bus has delivered it too, to nobody.
    await vi.waitFor(() => expect(c.received).toEqual([first]));
    expect(unsubscribed).toEqual([]);
    expect(b.received).toEqual([]);
    // The unsubscribe of a replaced listener leaves the one that replaced it.
    const later: ClusterNotification[] = [];
    const stopReplaced = b.placement.onNotification(() => {});
    b.placement.onNotification((notification) => later.push(notification));
    stopReplaced?.();
    const second: ClusterNotification = { type: 'listChanged', list: 'prompts' };
    a.placement.publish(second);
    await vi.waitFor(() => expect(later).toEqual([second]));
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([]);
  });

  it('ignores malformed messages, reports each one, and keeps delivering', async () => {
    const [a, b] = (await instances(factory, 2)) as [Instance, Instance];
    const malformed = [
      'not json',
      'null',
      '{"notification":{"type":"resourceUpdated","uri":"x"}}',
      '{"origin":"x","notification":{"type":"resourceUpdated"}}',
      '{"origin":"x","notification":{"type":"listChanged","list":"everything"}}',
      '{"origin":"x","notification":{"type":"somethingNew"}}',
      '{"origin":"x","notification":{"type":"taskStatus","principal":"p","task":{}}}',
      '{"origin":"x","notification":{"type":"taskStatus","taskId":"","task":{}}}',
      '{"origin":"x","notification":{"type":"taskStatus","taskId":"t","principal":7,"task":{}}}',
      '{"origin":"x","notification":{"type":"taskStatus","taskId":"t","principal":null,"task":{}}}',
      '{"origin":"x","notification":{"type":"taskStatus","taskId":"t","task":"working"}}',
      '{"origin":"x","notification":{"type":"taskStatus","taskId":"t","task":[]}}',
      '{"origin":"x","notification":{"type":"taskStatus","taskId":"t"}}',
    ];
    for (const message of malformed) a.bus.publish(message);
    const updated: ClusterNotification = { type: 'resourceUpdated', uri: 'file:///after' };
    a.placement.publish(updated);
    await vi.waitFor(() => expect(b.received).toEqual([updated]));
    expect(b.errors).toHaveLength(malformed.length);
    expect(String(b.errors[0])).toMatch(/malformed cluster notification: not json/);
    // The origin received the malformed messages on its own subscription too.
    expect(a.errors).toHaveLength(malformed.length);
  });

  it("carries a task's status, with its principal or without one (an unauthenticated owner)", async () => {
    const [a, b] = (await instances(factory, 2)) as [Instance, Instance];
    const task = { taskId: 't1', status: 'completed', result: { content: [{ type: 'text', text: 'ok' }] } };
    a.placement.publish({ type: 'taskStatus', taskId: 't1', principal: 'alice', task });
    a.placement.publish({ type: 'taskStatus', taskId: 't1', principal: undefined, task });
    await vi.waitFor(() => expect(b.received).toHaveLength(2));
    expect(b.received[0]).toEqual({ type: 'taskStatus', taskId: 't1', principal: 'alice', task });
    expect(b.received[1]).toEqual({ type: 'taskStatus', taskId: 't1', principal: undefined, task });
    expect(b.errors).toEqual([]);
  });

  it("reports an exception of the runtime's listener and delivers the next notification", async () => {
    const [a, b] = (await instances(factory, 2)) as [Instance, Instance];
    const seen: string[] = [];
    b.placement.onNotification((notification) => {
      if (notification.type === 'resourceUpdated') seen.push(notification.uri);
      if (seen.length === 1) throw new Error('listener failed');
    });
    a.placement.publish({ type: 'resourceUpdated', uri: 'one' });
    a.placement.publish({ type: 'resourceUpdated', uri: 'two' });
    await vi.waitFor(() => expect(seen).toEqual(['one', 'two']));
    expect(b.errors).toEqual([new Error('listener failed')]);
  });

  it('delivers nothing to a closed placement, and a closed placement publishes nothing', async () => {
    const [a, b, c] = (await instances(factory, 3)) as [Instance, Instance, Instance];
    await b.placement.close();
    b.placement.publish({ type: 'listChanged', list: 'prompts' });
    a.placement.publish({ type: 'listChanged', list: 'resources' });
    await vi.waitFor(() => expect(c.received).toEqual([{ type: 'listChanged', list: 'resources' }]));
    // C got A's message after anything B could have sent; A's came later on B's closed subscription.
    expect(b.received).toEqual([]);
    expect(a.received).toEqual([]);
  });
});

describe('the in-process bus', () => {
  it('delivers to every endpoint of its channel, in publish order, until an endpoint closes', async () => {
    const first = new MemoryNotificationBus();
    const second = first.connect();
    const elsewhere = new MemoryNotificationBus();
    const got: string[] = [];
    first.subscribe((message) => got.push(`first ${message}`));
    second.subscribe((message) => got.push(`second ${message}`));
    elsewhere.subscribe((message) => got.push(`elsewhere ${message}`));
    second.publish('1');
    second.publish('2');
    expect(got).toEqual([]); // asynchronous, as over a network
    await vi.waitFor(() => expect(got).toHaveLength(4));
    expect(got).toEqual(['first 1', 'second 1', 'first 2', 'second 2']);
    second.close();
    first.publish('3');
    await vi.waitFor(() => expect(got).toHaveLength(5));
    elsewhere.publish('4');
    await vi.waitFor(() => expect(got).toHaveLength(6));
    expect(got.slice(4)).toEqual(['first 3', 'elsewhere 4']);
  });
});

describe('fan-out over Redis pub/sub without Redis', () => {
  it('never throws from publish when the publishing connection is closed; it reports the message lost', async () => {
    const closed = await connectRedis();
    closed.destroy();
    const errors: unknown[] = [];
    const bus = createRedisNotificationBus({
      publisher: closed,
      subscriber: await subscriberConnection(),
      keyPrefix,
      onError: (error) => errors.push(error),
    });
    const placement = createClusterPlacement({
      store: new MemoryLeaseStore(),
      bus,
      address: 'http://a:1',
      onError: (error) => errors.push(error),
    });
    opened.push(placement);
    await placement.ready;
    expect(() => placement.publish({ type: 'listChanged', list: 'tools' })).not.toThrow();
    expect(() => bus.publish('raw')).not.toThrow();
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toMatch(/not ready/);
  });

  it('reports a publish that Redis refuses (the client answered with an error)', async () => {
    const errors: unknown[] = [];
    const failing = {
      isReady: true,
      sendCommand: () => Promise.reject(new Error('READONLY You cannot write against a read only replica')),
    };
    const bus = createRedisNotificationBus({
      publisher: failing,
      subscriber: { subscribe: async () => {}, unsubscribe: async () => {} },
      onError: (error) => errors.push(error),
    });
    expect(() => bus.publish('message')).not.toThrow();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(String(errors[0])).toMatch(/READONLY/);
  });

  it('settles ready and reports it when the subscription fails', async () => {
    const errors: unknown[] = [];
    const bus = createRedisNotificationBus({
      publisher,
      subscriber: {
        subscribe: () => Promise.reject(new Error('The client is closed')),
        unsubscribe: async () => {},
      },
    });
    const placement = createClusterPlacement({
      store: new MemoryLeaseStore(),
      bus,
      address: 'http://a:1',
      onError: (error) => errors.push(error),
    });
    opened.push(placement);
    await placement.ready;
    expect(errors).toEqual([new Error('The client is closed')]);
  });

  it('publishes on the channel <keyPrefix>notifications, the notification as JSON with its origin', async () => {
    const subscriber = await subscriberConnection();
    const raw: string[] = [];
    await subscriber.subscribe(`${keyPrefix}notifications`, (message) => raw.push(message));
    const placement = createClusterPlacement({
      store: new MemoryLeaseStore(),
      bus: createRedisNotificationBus({ publisher, subscriber: await subscriberConnection(), keyPrefix }),
      address: 'http://a:1',
      instanceId: 'origin-1',
    });
    opened.push(placement);
    placement.publish({ type: 'resourceUpdated', uri: 'file:///x' });
    await vi.waitFor(() => expect(raw).toHaveLength(1));
    expect(JSON.parse(raw[0] as string)).toEqual({
      origin: 'origin-1',
      notification: { type: 'resourceUpdated', uri: 'file:///x' },
    });
  });

  it('refuses clients without the needed methods', () => {
    expect(() => createRedisNotificationBus({ publisher: {} as never, subscriber: publisher })).toThrow(
      /`publisher`/,
    );
    expect(() => createRedisNotificationBus({ publisher, subscriber: {} as never })).toThrow(/`subscriber`/);
  });
});
