/**
 * The signed hop of a forwarded request (src/http/forwardedHop.ts) and what an owner does with it:
 * with the cluster's `forwardingKey`, rate limits and failed authentications on the owner count per
 * client (the address the client reached the forwarding instance from), not per forwarding
 * instance; a hop that does not verify (no key, a forged or stale signature) changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpExchange } from '../../src/http/exchange.js';
import {
  FORWARDED_AT,
  FORWARDED_BY,
  FORWARDED_FOR,
  FORWARDED_SIGNATURE,
  HOP_WINDOW_MS,
  signHop,
  verifyHop,
} from '../../src/http/forwardedHop.js';
import type { Instance } from './forwardCluster.js';
import { FakeDirectory, initializeBody, postHeaders, startInstance } from './forwardCluster.js';

const key = randomBytes(32);

function exchangeWith(headers: Readonly<Record<string, string>>, method = 'POST', path = '/mcp') {
  return {
    method,
    path,
    remoteAddress: '10.0.0.9',
    header: (name: string) => headers[name],
  } satisfies Pick<HttpExchange, 'method' | 'path' | 'header' | 'remoteAddress'>;
}

describe('signHop / verifyHop', () => {
  const now = 1_800_000_000_000;
  const signed = signHop(key, 'instance-b', { method: 'POST', path: '/mcp', remoteAddress: '10.0.0.9' }, now);

  it('a hop signed with the key verifies, naming the forwarder and the client address', () => {
    expect(verifyHop(key, exchangeWith(signed), now)).toEqual({
      instanceId: 'instance-b',
      clientAddress: '10.0.0.9',
    });
    expect(verifyHop(key, exchangeWith(signed), now + HOP_WINDOW_MS)).toBeDefined();
  });

  it.each([
    ['another key', () => verifyHop(randomBytes(32), exchangeWith(signed), now)],
    [
      'another client address',
      () => verifyHop(key, exchangeWith({ ...signed, [FORWARDED_FOR]: '10.0.0.8' }), now),
    ],
    [
      'another forwarder',
      () => verifyHop(key, exchangeWith({ ...signed, [FORWARDED_BY]: 'instance-c' }), now),
    ],
    ['another time', () => verifyHop(key, exchangeWith({ ...signed, [FORWARDED_AT]: String(now + 1) }), now)],
    ['another method', () => verifyHop(key, exchangeWith(signed, 'GET'), now)],
    ['another path', () => verifyHop(key, exchangeWith(signed, 'POST', '/other'), now)],
    [
      'a truncated signature',
      () =>
        verifyHop(
          key,
          exchangeWith({ ...signed, [FORWARDED_SIGNATURE]: String(signed[FORWARDED_SIGNATURE]).slice(1) }),
          now,
        ),
    ],
    [
      'no signature',
      () => {
        const { [FORWARDED_SIGNATURE]: _dropped, ...unsigned } = signed;
        return verifyHop(key, exchangeWith(unsigned), now);
      },
    ],
    ['a stale hop', () => verifyHop(key, exchangeWith(signed), now + HOP_WINDOW_MS + 1)],
    ['a hop from the future', () => verifyHop(key, exchangeWith(signed), now - HOP_WINDOW_MS - 1)],
    [
      'a time that is not a number',
      () => verifyHop(key, exchangeWith({ ...signed, [FORWARDED_AT]: '1e12' }), now),
    ],
  ])('does not verify with %s', (_label, verify) => {
    expect(verify()).toBeUndefined();
  });
});

/** A POST from a given loopback source address (Linux routes all of 127.0.0.0/8 to lo). */
function postFrom(
  localAddress: string,
  url: URL,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { ...postHeaders, ...headers, 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const ping = (id: number) => ({ jsonrpc: '2.0', id, method: 'ping' });
const inSession = (sessionId: string) => ({
  'mcp-session-id': sessionId,
  'mcp-protocol-version': '2025-11-25',
});

const instances: Instance[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((instance) => instance.close()));
});

async function pair(http: Record<string, unknown>, forwardingKey: Uint8Array | undefined) {
  const directory = new FakeDirectory();
  const options = forwardingKey === undefined ? { http } : { http, forwardingKey };
  const a = await startInstance('a', directory, options);
  const b = await startInstance('b', directory, options);
  instances.push(a, b);
  return { a, b };
}

describe('an owner and the hops it is forwarded', () => {
  const rateLimit = { requestsPerSecond: 0.001, burst: 3 };

  it("with the key, one client's forwarded requests do not spend another client's limit on the owner", async () => {
    const { a, b } = await pair({ rateLimit }, key);
    // Both sessions start on a, from an address of their own (so their handshakes spend no
    // client's bucket).
    const open = async () =>
      (await postFrom('127.0.0.5', a.url, initializeBody)).headers['mcp-session-id'] as string;
    const first = await open();
    const second = await open();
    // The first client's requests, through b: b forwards each to a, the owner of its session.
    for (let id = 1; id <= 3; id++) {
      expect((await postFrom('127.0.0.2', b.url, ping(id), inSession(first))).status).toBe(200);
    }
    expect(b.received.length).toBe(3);
    // The second client, through b too: its own bucket on a, not b's.
    expect((await postFrom('127.0.0.3', b.url, ping(1), inSession(second))).status).toBe(200);
    // The first client is limited, on the instance it reached.
    expect((await postFrom('127.0.0.2', b.url, ping(4), inSession(first))).status).toBe(429);
  });

  it('with the key, a token the owner refuses does not lock out the other clients b forwards', async () => {
    const refusedByA = new Set(['mallory']);
    const authenticateOn =
      (revoked: ReadonlySet<string>) => (request: { bearerToken?: string | undefined }) =>
        request.bearerToken !== undefined && !revoked.has(request.bearerToken)
          ? { id: request.bearerToken }
          : undefined;
    const directory = new FakeDirectory();
    const a = await startInstance('a', directory, {
      forwardingKey: key,
      http: { rateLimit, authenticate: authenticateOn(refusedByA) },
    });
    const b = await startInstance('b', directory, {
      forwardingKey: key,
      http: { rateLimit, authenticate: authenticateOn(new Set()) },
    });
    instances.push(a, b);
    const alice = (await postFrom('127.0.0.2', a.url, initializeBody, { authorization: 'Bearer alice' }))
      .headers['mcp-session-id'] as string;
    for (let id = 1; id <= 3; id++) {
      const refused = await postFrom('127.0.0.4', b.url, ping(id), {
        authorization: 'Bearer mallory',
        ...inSession(alice),
      });
      expect(refused.status).toBe(401);
    }
    const served = await postFrom('127.0.0.2', b.url, ping(9), {
      authorization: 'Bearer alice',
      ...inSession(alice),
    });
    expect(served.status).toBe(200);
  });

  it('a hop a client forges is no hop: the owner keys it by the peer address', async () => {
    const { a } = await pair({ rateLimit }, key);
    const sessionId = (await postFrom('127.0.0.2', a.url, initializeBody)).headers[
      'mcp-session-id'
    ] as string;
    // Each request claims to come from a fresh client address, signed with a guessed key.
    const forged = (id: number) =>
      signHop(randomBytes(32), 'b', { method: 'POST', path: '/mcp', remoteAddress: `10.9.9.${id}` });
    const statuses: number[] = [];
    for (let id = 1; id <= 3; id++) {
      statuses.push(
        (await postFrom('127.0.0.2', a.url, ping(id), { ...inSession(sessionId), ...forged(id) })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
