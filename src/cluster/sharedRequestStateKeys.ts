/**
 * One `requestState` secret for every instance of a cluster. A 2026-07-28 multi-round-trip answer
 * (SEP-2322) carries a `requestState` the runtime seals with its first `requestStateKeys` entry; the
 * client's retry may reach any instance, which must open it, so every instance needs the same keys.
 */
import { randomBytes } from 'node:crypto';
import type { RedisCommandClient } from './RedisLeaseStore.js';

/** Options of {@link sharedRequestStateKeys}. */
export interface SharedRequestStateKeysOptions {
  /** Prefix of the key (default `mcp:`): the secret is kept at `<keyPrefix><name>`. */
  readonly keyPrefix?: string;
  /** The key's name after the prefix (default `request-state-key`); a new name is a new secret. */
  readonly name?: string;
}

/** Bytes of a secret made here (the runtime accepts keys of 32 bytes or more). */
const KEY_BYTES = 32;

/**
 * The cluster's shared `requestState` secret, for the runtime option `requestStateKeys`: the first
 * caller stores a fresh random 32-byte key (base64) at `<keyPrefix>request-state-key` with
 * `SET … NX`, and every caller reads back the one that is there (`GET`), so all instances seal and
 * open with the same secret. Two commands, sent together. The key has no expiry; it is kept as long
 * as Redis keeps it (a Redis restarted without persistence makes a new one for instances started
 * afterwards, whose states the earlier instances cannot open).
 *
 * To rotate, give each instance both secrets under two names, in three steps: first every instance
 * runs with `[...old, ...new]` (the old one seals, both open); then with `[...new, ...old]` (the new
 * one seals); ten minutes later (a `requestState`'s lifetime) with `new` alone.
 *
 * @example
 * ```ts
 * const runtime = createSessionRuntime({ placement, requestStateKeys: await sharedRequestStateKeys(client) });
 * // rotating, step two:
 * const [current, next] = await Promise.all([
 *   sharedRequestStateKeys(client),
 *   sharedRequestStateKeys(client, { name: 'request-state-key-2' }),
 * ]);
 * createSessionRuntime({ placement, requestStateKeys: [...next, ...current] });
 * ```
 * @returns one key of 32 bytes (or more, if one was stored by hand).
 * @throws TypeError for an invalid option; rejects with the client's error when Redis cannot answer,
 * and with an `Error` when the stored value is not a base64 key of at least 32 bytes.
 */
export async function sharedRequestStateKeys(
  client: RedisCommandClient,
  options: SharedRequestStateKeysOptions = {},
): Promise<Uint8Array[]> {
  if (typeof (client as Partial<RedisCommandClient> | null)?.sendCommand !== 'function') {
    throw new TypeError(
      'Expected `client` to be a node-redis client (from createClient), got no `sendCommand`',
    );
  }
  const keyPrefix = options.keyPrefix ?? 'mcp:';
  const name = options.name ?? 'request-state-key';
  if (typeof keyPrefix !== 'string') throw new TypeError('Expected `keyPrefix` to be a string');
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('Expected `name` to be a non-empty string');
  const key = keyPrefix + name;
  const fresh = randomBytes(KEY_BYTES).toString('base64');
  // Sent in one tick, so node-redis writes both at once: one round trip.
  const [, stored] = await Promise.all([
    client.sendCommand(['SET', key, fresh, 'NX']),
    client.sendCommand(['GET', key]),
  ]);
  const text = typeof stored === 'string' ? stored : String(stored ?? '');
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (bytes.byteLength < KEY_BYTES) {
    throw new Error(`The value at ${key} is not a base64 key of at least ${KEY_BYTES} bytes`);
  }
  return [new Uint8Array(bytes)];
}
