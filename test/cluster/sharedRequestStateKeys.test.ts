/**
 * The cluster's shared requestState secret against a real Redis: one random 32-byte key for every
 * caller, kept as base64 under the key prefix, a new name for a new key, and a stored value that is
 * not a key refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedRequestStateKeys } from '../../src/cluster/index.js';
import { createRequestStateCodec } from '../../src/protocol/requestState.js';
import { connectRedis, deleteKeys, type TestRedisClient, uniquePrefix } from './redis.js';

const keyPrefix = uniquePrefix('request-state');
let client: TestRedisClient;
let other: TestRedisClient;

beforeAll(async () => {
  [client, other] = await Promise.all([connectRedis(), connectRedis()]);
});

afterAll(async () => {
  if (client === undefined) return;
  await deleteKeys(client, keyPrefix);
  client.destroy();
  other?.destroy();
});

describe('sharedRequestStateKeys', () => {
  it('gives every instance the same random 32-byte key, stored once as base64', async () => {
    const prefix = `${keyPrefix}same:`;
    const [first, second] = await Promise.all([
      sharedRequestStateKeys(client, { keyPrefix: prefix }),
      sharedRequestStateKeys(other, { keyPrefix: prefix }),
    ]);
    expect(first).toHaveLength(1);
    const key = first[0] as Uint8Array;
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key.byteLength).toBe(32);
    expect(second).toEqual(first);
    expect(await client.get(`${prefix}request-state-key`)).toBe(Buffer.from(key).toString('base64'));
    // A later caller (a restarted instance) reads the same key.
    expect(await sharedRequestStateKeys(client, { keyPrefix: prefix })).toEqual(first);
  });

  it('lets a state sealed on one instance open on another, and through every rotation step', async () => {
    const prefix = `${keyPrefix}codec:`;
    const binding = { principal: 'alice', method: 'tools/call', paramsDigest: 'd' };
    const one = createRequestStateCodec({
      keys: await sharedRequestStateKeys(client, { keyPrefix: prefix }),
    });
    const two = createRequestStateCodec({ keys: await sharedRequestStateKeys(other, { keyPrefix: prefix }) });
    expect(two.open(one.seal({ step: 1 }, binding), binding)).toEqual({ ok: true, state: { step: 1 } });
    const old = await sharedRequestStateKeys(client, { keyPrefix: prefix });
    const next = await sharedRequestStateKeys(other, { keyPrefix: prefix, name: 'request-state-key-2' });
    const stepOne = createRequestStateCodec({ keys: [...old, ...next] });
    const stepTwo = createRequestStateCodec({ keys: [...next, ...old] });
    const stepThree = createRequestStateCodec({ keys: next });
    expect(one.open(stepTwo.seal('b', binding), binding)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(stepOne.open(stepTwo.seal('b', binding), binding)).toEqual({ ok: true, state: 'b' });
    expect(stepTwo.open(stepOne.seal('a', binding), binding)).toEqual({ ok: true, state: 'a' });
    expect(stepThree.open(stepTwo.seal('c', binding), binding)).toEqual({ ok: true, state: 'c' });
  });

  it('makes a different key under another prefix or name (a rotation)', async () => {
    const [current] = await sharedRequestStateKeys(client, { keyPrefix: `${keyPrefix}a:` });
    const [otherPrefix] = await sharedRequestStateKeys(client, { keyPrefix: `${keyPrefix}b:` });
    const [next] = await sharedRequestStateKeys(client, {
      keyPrefix: `${keyPrefix}a:`,
      name: 'request-state-key-2',
    });
    expect(Buffer.from(current as Uint8Array).equals(Buffer.from(otherPrefix as Uint8Array))).toBe(false);
    expect(Buffer.from(current as Uint8Array).equals(Buffer.from(next as Uint8Array))).toBe(false);
  });

  it('refuses a stored value that is not a base64 key of 32 bytes or more', async () => {
    for (const [name, value] of [
      ['short', Buffer.alloc(16, 1).toString('base64')],
      ['text', 'not base64 at all!'],
    ] as const) {
      await client.set(`${keyPrefix}${name}`, value);
      await expect(sharedRequestStateKeys(client, { keyPrefix, name })).rejects.toThrow(
        /not a base64 key of at least 32 bytes/,
      );
    }
    await client.set(`${keyPrefix}long`, Buffer.alloc(48, 7).toString('base64'));
    const [long] = await sharedRequestStateKeys(client, { keyPrefix, name: 'long' });
    expect(long?.byteLength).toBe(48);
  });

  it('rejects when Redis cannot answer, and refuses a value that is not a client', async () => {
    const closed = await connectRedis();
    closed.destroy();
    await expect(sharedRequestStateKeys(closed, { keyPrefix })).rejects.toThrow();
    await expect(sharedRequestStateKeys({} as never)).rejects.toThrow(TypeError);
  });
});
