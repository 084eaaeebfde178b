/**
 * Header checks of the Streamable HTTP transport, as pure functions over header values so that the
 * Node and the Web-standard forms share them.
 */
import type { HostAllowList } from './options.js';
import { hostNameOf, originKey } from './options.js';

/** The media types of an `Accept` or `Content-Type` value, parameters dropped, lower case. */
function mediaTypes(value: string): string[] {
  return value.split(',').map((part) => {
    const semicolon = part.indexOf(';');
    return (semicolon === -1 ? part : part.slice(0, semicolon)).trim().toLowerCase();
  });
}

/**
 * A POST must list both types (MCP 2025-11-25, "Sending Messages to the Server": "The client MUST
 * include an Accept header, listing both application/json and text/event-stream").
 * @internal
 */
export function acceptsJsonAndEventStream(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const types = mediaTypes(accept);
  return types.includes('application/json') && types.includes('text/event-stream');
}

/** A GET must accept `text/event-stream` ("Listening for Messages from the Server"). @internal */
export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && mediaTypes(accept).includes('text/event-stream');
}

/** `application/json`, with or without parameters such as `charset`. @internal */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const essence = semicolon === -1 ? contentType : contentType.slice(0, semicolon);
  return essence.trim().toLowerCase() === 'application/json';
}

/** Whether a `Host` value is on the list. A missing `Host` passes only when the list allows all. @internal */
export function isAllowedHost(list: HostAllowList, host: string | undefined): boolean {
  if (list.any) return true;
  if (host === undefined) return false;
  const lower = host.toLowerCase();
  return list.names.has(hostNameOf(lower)) || list.exact.has(lower);
}

/**
 * Whether an `Origin` value is on the list. No `Origin` passes: only browsers send one, and the
 * check exists against DNS rebinding from a browser page (MCP 2025-11-25, "Security Warning").
 * @internal
 */
export function isAllowedOrigin(list: HostAllowList, origin: string | undefined): boolean {
  if (list.any || origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // `null` (sandboxed frames, file: pages) and garbage are refused.
    return false;
  }
  return list.exact.has(originKey(url)) || list.exact.has(url.host) || list.names.has(url.hostname);
}
