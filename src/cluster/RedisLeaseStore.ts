/**
 * The {@link LeaseStore} on Redis, through a node-redis client the application created and connected
 * (the library opens no connection of its own). One Redis instance (or a primary with replicas used
 * for failover only) is assumed: see docs/cluster.md for what the guarantees rest on.
 *
 * Keys (`keyPrefix` defaults to `mcp:`):
 * - `<keyPrefix>lease:<id>`: the lease, a string `"<fencingToken> <ownerId>"` with a `PX` expiry;
 * - `<keyPrefix>fence`: the fencing counter, one for every id (so a token is strictly greater than
 *   every token handed out before it, for this id and for all others). When it is absent (a first
 *   start, or a Redis restarted without persistence) it is seeded from Redis `TIME` in microseconds,
 *   so tokens keep increasing across such a restart unless more than a million claims a second were
 *   made on average since the last seed.
 *
 * Each operation is one Lua script, so it is one atomic step in Redis: claim (insert-if-absent, or
 * re-arm by the same owner, plus `INCR` of the counter), renew (compare owner and token, then
 * `PEXPIRE`), release (compare, then `DEL`). Redis 7.0 has no compare-and-set (`IFEQ` came in 8.4),
 * hence the scripts. They run with `EVALSHA` and fall back to `EVAL` on `NOSCRIPT` (a restarted or
 * failed-over Redis has an empty script cache); node-redis's `defineScript` would do the same, but it
 * must be registered when the client is created, which would make the application build its client
 * for this library.
 */
import { createHash } from 'node:crypto';
import type { Lease, LeaseHolder, LeaseStore } from './LeaseStore.js';
import { assertLease, assertPositiveMs, assertText, LeaseStoreUnavailableError } from './LeaseStore.js';

/**
 * What the store needs of a client: the shape of a node-redis 5/6 `RedisClientType` (from
 * `createClient()`), so any such client fits, with or without modules, scripts or functions.
 */
export interface RedisCommandClient {
  /** `true` while the client has an open, ready connection; calls are refused at once otherwise. */
  readonly isReady: boolean;
  /** Sends one command; node-redis pipelines the commands sent in one tick into one write. */
  sendCommand(args: readonly string[], options?: { timeout?: number }): Promise<unknown>;
}

/** Options of {@link createRedisLeaseStore}. */
export interface RedisLeaseStoreOptions {
  /** Prefix of every key the store writes (default `mcp:`). Give each deployment its own. */
  readonly keyPrefix?: string;
  /**
   * Longest wait for one Redis answer, in ms (default 1000). Past it the call rejects with a
   * {@link LeaseStoreUnavailableError} of reason `timeout` (the command may still run in Redis).
   */
  readonly timeoutMs?: number;
  /** Most leases renewed by one script call in {@link LeaseStore.renewMany} (default 1000). */
  readonly batchSize?: number;
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS[1] lease, KEYS[2] fencing counter; ARGV[1] owner id, ARGV[2] ttl (ms). Answers
 * `{1, token}` when claimed (or re-armed by its holder), `{0, held}` when another owner holds it.
 */
const CLAIM = script(`
local held = redis.call('GET', KEYS[1])
if held then
  local space = string.find(held, ' ', 1, true)
  if space and string.sub(held, space + 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, string.sub(held, 1, space - 1)}
  end
  return {0, held}
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], now[1] .. string.format('%06d', tonumber(now[2])))
end
local token = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ARGV[2])
return {1, token}
`);

/** KEYS: leases; ARGV[1] ttl (ms), ARGV[i + 1] the value KEYS[i] must hold. Answers 1 or 0 per key. */
const RENEW = script(`
local renewed = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    renewed[i] = 1
  else
    renewed[i] = 0
  end
end
return renewed
`);

/** KEYS[1] lease; ARGV[1] the value it must hold. Answers 1 when deleted, 0 otherwise. */
const RELEASE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`);

/**
 * A {@link LeaseStore} on Redis through `client` (connected by the caller, e.g.
 * `await createClient({ url }).on('error', log).connect()`). Every call is bounded by `timeoutMs`
 * and rejects with a {@link LeaseStoreUnavailableError} when the client is not ready, times out or
 * fails; a client that is not ready is refused at once, without queueing.
 *
 * Redis operations: claim, renew and release are one script call each; `renewMany` is one script
 * call per `batchSize` leases, all sent in one write; `owner` is one `GET`.
 *
 * @throws TypeError for a client without `sendCommand` or an invalid option.
 */
export function createRedisLeaseStore(
  client: RedisCommandClient,
  options: RedisLeaseStoreOptions = {},
): LeaseStore {
  if (typeof (client as Partial<RedisCommandClient> | null)?.sendCommand !== 'function') {
    throw new TypeError(
      'Expected `client` to be a node-redis client (from createClient), got no `sendCommand`',
    );
  }
  const keyPrefix = options.keyPrefix ?? 'mcp:';
  if (typeof keyPrefix !== 'string') throw new TypeError('Expected `keyPrefix` to be a string');
  const timeoutMs = options.timeoutMs ?? 1000;
  assertPositiveMs('timeoutMs', timeoutMs);
  const batchSize = options.batchSize ?? 1000;
  assertPositiveMs('batchSize', batchSize);
  return new RedisLeaseStore(client, `${keyPrefix}lease:`, `${keyPrefix}fence`, timeoutMs, batchSize);
}

class RedisLeaseStore implements LeaseStore {
  constructor(
    private readonly client: RedisCommandClient,
    private readonly leasePrefix: string,
    private readonly fenceKey: string,
    private readonly timeoutMs: number,
    private readonly batchSize: number,
  ) {}

  async claim(id: string, ownerId: string, ttlMs: number): Promise<Lease | undefined> {
    assertText('id', id);
    assertText('ownerId', ownerId);
    assertPositiveMs('ttlMs', ttlMs);
    const reply = await this.run(
      'claim',
      CLAIM,
      [this.leasePrefix + id, this.fenceKey],
      [ownerId, String(ttlMs)],
    );
    if (!Array.isArray(reply) || reply.length !== 2) throw unexpected('claim', reply);
    if (Number(reply[0]) !== 1) return undefined;
    return { id, ownerId, fencingToken: parseToken('claim', reply[1]) };
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    const [renewed] = await this.renewMany([lease], ttlMs);
    return renewed === true;
  }

  async renewMany(leases: readonly Lease[], ttlMs: number): Promise<boolean[]> {
    for (const lease of leases) assertLease('lease', lease);
    assertPositiveMs('ttlMs', ttlMs);
    const batches: Promise<boolean[]>[] = [];
    for (let start = 0; start < leases.length; start += this.batchSize) {
      const batch = leases.slice(start, start + this.batchSize);
      batches.push(
        this.run(
          'renew',
          RENEW,
          batch.map((lease) => this.leasePrefix + lease.id),
          [String(ttlMs), ...batch.map(heldValue)],
        ).then((reply) => {
          if (!Array.isArray(reply) || reply.length !== batch.length) throw unexpected('renew', reply);
          return reply.map((renewed) => Number(renewed) === 1);
        }),
      );
    }
    return (await Promise.all(batches)).flat();
  }

  async release(lease: Lease): Promise<boolean> {
    assertLease('lease', lease);
    const reply = await this.run('release', RELEASE, [this.leasePrefix + lease.id], [heldValue(lease)]);
    return Number(reply) === 1;
  }

  async owner(id: string): Promise<LeaseHolder | undefined> {
    assertText('id', id);
    const reply = await this.send('owner', ['GET', this.leasePrefix + id]);
    if (reply === null || reply === undefined) return undefined;
    const value = String(reply);
    const space = value.indexOf(' ');
    if (space <= 0) throw unexpected('owner', reply);
    return { ownerId: value.slice(space + 1), fencingToken: parseToken('owner', value.slice(0, space)) };
  }

  /** Runs a script by its SHA, loading it with `EVAL` when Redis does not know it. */
  private async run(operation: string, code: Script, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(operation, ['EVALSHA', code.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof LeaseStoreUnavailableError) || !/^NOSCRIPT/.test(messageOf(error.cause)))
        throw error;
      return this.send(operation, ['EVAL', code.source, ...tail]);
    }
  }

  /** One command, bounded by the timeout, failing as {@link LeaseStoreUnavailableError}. */
  private send(operation: string, args: string[]): Promise<unknown> {
    if (!this.client.isReady)
      return Promise.reject(new LeaseStoreUnavailableError(operation, 'not_connected'));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      // The client's own timeout drops the command from its queue; this timer settles the promise
      // even if a client ignored the option.
      const timer = setTimeout(
        () => reject(new LeaseStoreUnavailableError(operation, 'timeout')),
        this.timeoutMs + 50,
      );
      let sent: Promise<unknown>;
      try {
        sent = this.client.sendCommand(args, { timeout: this.timeoutMs });
      } catch (error) {
        sent = Promise.reject(error);
      }
      sent.then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(timer);
          // node-redis's TimeoutError keeps the name `Error`: know it by its class, or by the clock.
          const timedOut =
            (error instanceof Error && error.constructor.name === 'TimeoutError') ||
            performance.now() - started >= this.timeoutMs;
          reject(
            new LeaseStoreUnavailableError(operation, timedOut ? 'timeout' : 'failed', { cause: error }),
          );
        },
      );
    });
  }
}

/** The string a lease's key holds while it is held. */
function heldValue(lease: Lease): string {
  return `${lease.fencingToken} ${lease.ownerId}`;
}

function parseToken(operation: string, value: unknown): number {
  const token = Number(typeof value === 'string' || typeof value === 'number' ? value : Number.NaN);
  if (!Number.isSafeInteger(token) || token <= 0) throw unexpected(operation, value);
  return token;
}

function unexpected(operation: string, reply: unknown): LeaseStoreUnavailableError {
  return new LeaseStoreUnavailableError(operation, 'failed', {
    cause: new Error(`Unexpected reply from Redis: ${JSON.stringify(reply)?.slice(0, 100)}`),
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
