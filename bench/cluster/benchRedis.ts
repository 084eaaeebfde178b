/**
 * The Redis of the cluster benchmark. A private `redis-server` (no persistence, a free port) when
 * the binary is installed: nothing else talks to it, so its command counts are exactly the
 * cluster's. Otherwise the one at `REDIS_URL` (default `redis://127.0.0.1:6379`), shared with
 * whatever else uses it, so its counts are an upper bound. The benchmark is skipped, not failed,
 * when neither answers within 2 s.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/** Where the benchmark's Redis is, and whether it has it to itself. */
export interface BenchRedis {
  readonly url: string;
  /** `true` for the private `redis-server`: command counts are the cluster's alone. */
  readonly private: boolean;
  /** The connection the benchmark reads `INFO commandstats` through and deletes its keys with. */
  readonly client: RedisClient;
  /** Closes the connection and stops the private server, if any. */
  stop(): Promise<void>;
}

type RedisClient = ReturnType<typeof clientFor>;

const CONNECT_TIMEOUT_MS = 2_000;

function clientFor(url: string) {
  const client = createClient({
    url,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  client.on('error', () => {});
  return client;
}

/** A port free now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A connected client within 2 s, or `undefined`. */
async function connect(url: string): Promise<RedisClient | undefined> {
  const client = clientFor(url);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS + 500);
  });
  const connected = await Promise.race([
    client.connect().then(
      () => true,
      () => false,
    ),
    timedOut,
  ]);
  clearTimeout(timer);
  if (connected) return client;
  client.destroy();
  return undefined;
}

/** A private `redis-server` on a free port, or `undefined` when the binary is missing or does not start in 5 s. */
async function startPrivate(): Promise<{ child: ChildProcess; url: string } | undefined> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  if (ready) return { child, url: `redis://127.0.0.1:${port}` };
  child.kill('SIGKILL');
  return undefined;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/**
 * The private `redis-server` if it starts and answers, else the one at `sharedUrl`; `undefined`
 * when that does not answer within 2 s either.
 */
export async function openBenchRedis(sharedUrl: string): Promise<BenchRedis | undefined> {
  const own = await startPrivate();
  if (own !== undefined) {
    const client = await connect(own.url);
    if (client !== undefined) {
      return {
        url: own.url,
        private: true,
        client,
        stop: async () => {
          client.destroy();
          await stopChild(own.child);
        },
      };
    }
    await stopChild(own.child);
  }
  const client = await connect(sharedUrl);
  if (client === undefined) return undefined;
  return {
    url: sharedUrl,
    private: false,
    client,
    stop: async () => {
      client.destroy();
    },
  };
}

/** Calls per command since Redis started (`INFO commandstats`), e.g. `get` → 1234; `info` itself left out. */
export async function commandCounts(client: RedisClient): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await client.info('commandstats');
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const [, command = '', calls = '0'] = match;
    if (command !== 'info') counts.set(command, Number(calls));
  }
  return counts;
}

/** `after − before`, per command, zeros left out. */
export function countsBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [command, calls] of after) {
    const difference = calls - (before.get(command) ?? 0);
    if (difference !== 0) delta.set(command, difference);
  }
  return delta;
}

/** Adds `delta` into `total`. */
export function addCounts(total: Map<string, number>, delta: ReadonlyMap<string, number>): void {
  for (const [command, calls] of delta) total.set(command, (total.get(command) ?? 0) + calls);
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: RedisClient, prefix: string): Promise<number> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
  for (let start = 0; start < keys.length; start += 1000) await client.del(keys.slice(start, start + 1000));
  return keys.length;
}
