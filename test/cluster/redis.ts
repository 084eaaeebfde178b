/**
 * Real Redis for the cluster tests: `REDIS_URL` (default `redis://127.0.0.1:6379`). An unreachable
 * Redis fails the tests loudly (CI starts `redis-server` in `.ci/run`); nothing is skipped. Each
 * test file writes under a key prefix of its own and deletes it at the end.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { createClient } from 'redis';

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function clientFor(url: string) {
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  return client;
}

export type TestRedisClient = ReturnType<typeof clientFor>;

/** A connected client, or a loud failure within 3 s. */
export async function connectRedis(url = redisUrl): Promise<TestRedisClient> {
  const client = clientFor(url);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`Redis is not reachable at ${url}: start redis-server (.ci/run does in CI)`)),
      3000,
    ).unref(),
  );
  await Promise.race([
    client.connect().catch((error: unknown) => {
      throw new Error(`Redis is not reachable at ${url}: start redis-server (.ci/run does in CI)`, {
        cause: error,
      });
    }),
    timeout,
  ]);
  return client;
}

/** A key prefix no other test run shares. */
export function uniquePrefix(label: string): string {
  return `test:cluster:${label}:${process.pid}:${randomUUID()}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: TestRedisClient, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
  for (let start = 0; start < keys.length; start += 1000) await client.del(keys.slice(start, start + 1000));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A TCP proxy in front of Redis that a test can freeze (bytes stop flowing both ways, connections
 * stay open: a partition) or cut (every connection closed and new ones refused: Redis down).
 */
export class RedisProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  private readonly target = new URL(redisUrl);

  private constructor() {
    this.server = createServer((inbound) => {
      const outbound = new Socket();
      const pair: [Socket, Socket] = [inbound, outbound];
      this.pairs.add(pair);
      outbound.connect(Number(this.target.port || 6379), this.target.hostname);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      const drop = () => {
        inbound.destroy();
        outbound.destroy();
        this.pairs.delete(pair);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
      if (this.frozen) {
        inbound.pause();
        outbound.pause();
      }
    });
  }

  static async start(): Promise<RedisProxy> {
    const proxy = new RedisProxy();
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  /** Stops every byte both ways; connections stay open. */
  freeze(): void {
    this.frozen = true;
    for (const [inbound, outbound] of this.pairs) {
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      inbound.pause();
      outbound.pause();
    }
  }

  /** Lets bytes flow again. */
  thaw(): void {
    this.frozen = false;
    for (const [inbound, outbound] of this.pairs) {
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.resume();
      outbound.resume();
    }
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const [inbound, outbound] of this.pairs) {
      inbound.destroy();
      outbound.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
