/**
 * The signed hop of a forwarded request: which instance forwarded it, for which client address, and
 * when, under an HMAC-SHA-256 of a secret every instance of the cluster shares
 * (`Placement.forwardingKey`). The owner trusts a hop it can verify: the instance the client reached
 * has authenticated and rate-limited the request already, so the owner does not count it again
 * against the forwarding instance's address (which would put every client forwarded by one instance
 * in one bucket); it counts failed authentications by the client's own address.
 *
 * Headers (all four or none): `mcp-forwarded-by: <instanceId>`, `mcp-forwarded-for: <client address>`,
 * `mcp-forwarded-at: <Unix ms>`, `mcp-forwarded-signature: <base64url HMAC>` over
 * `mcp-forward-v1`, the three values, the method and the path, newline-separated. A hop is valid for
 * {@link HOP_WINDOW_MS} either side of the owner's clock. The body is not covered: someone who can
 * read the traffic between instances could replay a hop with another body within the window (it
 * would pass the owner's authentication only with the client's own credentials, which travel with
 * it); keep that traffic on a private network.
 *
 * A client may send these headers too: an unverifiable hop is no hop (the request is then limited
 * as any other), and a request carrying `mcp-forwarded-by` is never forwarded again, signed or not.
 * @internal
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HttpExchange } from './exchange.js';

export const FORWARDED_BY = 'mcp-forwarded-by';
export const FORWARDED_FOR = 'mcp-forwarded-for';
export const FORWARDED_AT = 'mcp-forwarded-at';
export const FORWARDED_SIGNATURE = 'mcp-forwarded-signature';

/** How far a hop's time may be from the owner's clock, in ms (clock skew plus transit). */
export const HOP_WINDOW_MS = 30_000;

/** What a verified hop says. */
export interface ForwardedHop {
  /** The forwarding instance's id. */
  readonly instanceId: string;
  /** The address of the client that reached it (`''` when that instance did not know it). */
  readonly clientAddress: string;
}

function signatureOf(
  key: Uint8Array,
  instanceId: string,
  clientAddress: string,
  at: string,
  method: string,
  path: string,
): Buffer {
  return createHmac('sha256', key)
    .update(`mcp-forward-v1\n${instanceId}\n${clientAddress}\n${at}\n${method}\n${path}`)
    .digest();
}

/** The four hop headers for a request forwarded by `instanceId`. */
export function signHop(
  key: Uint8Array,
  instanceId: string,
  exchange: Pick<HttpExchange, 'method' | 'path' | 'remoteAddress'>,
  now: number = Date.now(),
): Readonly<Record<string, string>> {
  const clientAddress = exchange.remoteAddress ?? '';
  const at = String(now);
  return {
    [FORWARDED_BY]: instanceId,
    [FORWARDED_FOR]: clientAddress,
    [FORWARDED_AT]: at,
    [FORWARDED_SIGNATURE]: signatureOf(
      key,
      instanceId,
      clientAddress,
      at,
      exchange.method,
      exchange.path,
    ).toString('base64url'),
  };
}

/** The hop of `exchange` if its headers carry one signed with `key` within the window; else `undefined`. */
export function verifyHop(
  key: Uint8Array,
  exchange: Pick<HttpExchange, 'method' | 'path' | 'header'>,
  now: number = Date.now(),
): ForwardedHop | undefined {
  const instanceId = exchange.header(FORWARDED_BY);
  const clientAddress = exchange.header(FORWARDED_FOR);
  const at = exchange.header(FORWARDED_AT);
  const signature = exchange.header(FORWARDED_SIGNATURE);
  if (
    instanceId === undefined ||
    clientAddress === undefined ||
    at === undefined ||
    signature === undefined
  ) {
    return undefined;
  }
  if (!/^\d{1,16}$/.test(at) || Math.abs(Number(at) - now) > HOP_WINDOW_MS) return undefined;
  const expected = signatureOf(key, instanceId, clientAddress, at, exchange.method, exchange.path);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { instanceId, clientAddress };
}
