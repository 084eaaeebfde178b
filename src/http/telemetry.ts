/**
 * What the HTTP transport tells a request's telemetry (semantic conventions for MCP, status:
 * Development): `network.transport` `tcp`, `network.protocol.name` `http`, the HTTP version, and
 * the peer's `client.address` and `client.port` where the server form knows them. Resolved only when
 * the runtime observes a request (an OpenTelemetry SDK is registered), once per connection: without
 * an SDK a request pays nothing for it, not even a look at the registered providers.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
} from '../runtime/telemetry/semconv.js';
import type { RequestTelemetry } from '../runtime/types.js';

/** A `fetch` handler knows neither the peer nor the HTTP version. */
const FETCH_TELEMETRY: RequestTelemetry = Object.freeze({
  attributes: Object.freeze({ [ATTR_NETWORK_TRANSPORT]: 'tcp', [ATTR_NETWORK_PROTOCOL_NAME]: 'http' }),
});

/**
 * The telemetry of a request served by a `fetch` handler: one frozen object for every request, so
 * handing it over costs nothing while no SDK is registered (the runtime then never reads it).
 * @internal
 */
export function fetchTelemetry(): RequestTelemetry {
  return FETCH_TELEMETRY;
}

type TransportAttributes = Readonly<Record<string, string | number>>;

/**
 * The attributes of each connection: its peer and HTTP version do not change from one request to
 * the next, so a keep-alive connection builds them once, when its first request is observed.
 */
const byConnection = new WeakMap<Socket, TransportAttributes>();

/**
 * The transport attributes of a Node `IncomingMessage` (frozen, shared by the requests of its
 * connection). Read by the runtime only when it observes the request, i.e. while an OpenTelemetry
 * SDK is registered: the exchange hands itself over as the request's `RequestTelemetry`, with
 * nothing resolved yet. @internal
 */
export function nodeTransportAttributes(req: IncomingMessage): TransportAttributes {
  const { socket } = req;
  const version = httpVersionOf(req.httpVersion);
  const known = byConnection.get(socket);
  if (known !== undefined && known[ATTR_NETWORK_PROTOCOL_VERSION] === version) return known;
  const attributes: Record<string, string | number> = {
    [ATTR_NETWORK_TRANSPORT]: 'tcp',
    [ATTR_NETWORK_PROTOCOL_NAME]: 'http',
    [ATTR_NETWORK_PROTOCOL_VERSION]: version,
  };
  const { remoteAddress, remotePort } = socket;
  if (remoteAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = remoteAddress;
  if (remotePort !== undefined) attributes[ATTR_CLIENT_PORT] = remotePort;
  const frozen = Object.freeze(attributes);
  byConnection.set(socket, frozen);
  return frozen;
}

/** The convention's form of the version: `1.1`, `2` (not `2.0`). */
function httpVersionOf(version: string): string {
  return version === '2.0' ? '2' : version;
}
