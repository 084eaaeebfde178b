/**
 * What the HTTP transport tells a request's telemetry (semantic conventions for MCP, status:
 * Development): `network.transport` `tcp`, `network.protocol.name` `http`, the HTTP version, and
 * the peer's `client.address` and `client.port` where the server form knows them. Built only while
 * an OpenTelemetry SDK is registered: otherwise a request pays nothing for it.
 */
import type { IncomingMessage } from 'node:http';
import { isTelemetryActive } from '../runtime/telemetry/instruments.js';
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

/** The telemetry of a request served by a `fetch` handler; `undefined` while none is collected. @internal */
export function fetchTelemetry(): RequestTelemetry | undefined {
  return isTelemetryActive() ? FETCH_TELEMETRY : undefined;
}

/** The telemetry of a Node `IncomingMessage`; `undefined` while none is collected. @internal */
export function nodeTelemetry(req: IncomingMessage): RequestTelemetry | undefined {
  if (!isTelemetryActive()) return undefined;
  const attributes: Record<string, string | number> = {
    [ATTR_NETWORK_TRANSPORT]: 'tcp',
    [ATTR_NETWORK_PROTOCOL_NAME]: 'http',
    [ATTR_NETWORK_PROTOCOL_VERSION]: httpVersionOf(req.httpVersion),
  };
  const { remoteAddress, remotePort } = req.socket;
  if (remoteAddress !== undefined) attributes[ATTR_CLIENT_ADDRESS] = remoteAddress;
  if (remotePort !== undefined) attributes[ATTR_CLIENT_PORT] = remotePort;
  return { attributes };
}

/** The convention's form of the version: `1.1`, `2` (not `2.0`). */
function httpVersionOf(version: string): string {
  return version === '2.0' ? '2' : version;
}
