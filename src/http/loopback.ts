/**
 * Whether a peer is this machine: what the operator endpoints (`metrics`, `dashboard`) answer by
 * default. The peer's socket address is checked, not `Host`: a `Host` header is the client's to
 * write, and a proxy on this machine forwarding remote clients makes every peer loopback (turn
 * such endpoints off there, or guard them in the proxy).
 */

/**
 * True for `127.0.0.0/8`, `::1` and IPv4-mapped `::ffff:127.x.y.z`; false for anything else,
 * `undefined` included (the fetch form does not know its peer). @internal
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
