/**
 * Header checks of the Streamable HTTP transport, as pure functions over header values so that the
 * Node and the Web-standard forms share them. Media types are read as RFC 9110 says: `Accept` media
 * ranges with their parameters and weights (§12.5.1, through `negotiator`), `Content-Type` as a media
 * type with parameters (§8.3.1); type, subtype and parameter names are case-insensitive.
 */
import Negotiator from 'negotiator';
import type { HostAllowList } from './options.js';
import { hostNameOf, originKey } from './options.js';

/**
 * What a POST may be answered with (MCP 2025-11-25, "Sending Messages to the Server"): `json-or-stream`
 * when both `application/json` and `text/event-stream` are acceptable (JSON unless the request
 * streams), `stream` when only `text/event-stream` is (every answer is an SSE stream), `undefined`
 * when `text/event-stream` is not acceptable: a request may stream (progress, a server's requests),
 * so such a POST is refused with 406.
 * @internal
 */
export type PostAnswer = 'json-or-stream' | 'stream';

/**
 * The representations we send. Both are always UTF-8 (RFC 8259 §8.1; SSE is UTF-8 only), so they are
 * offered with that charset: a range such as `application/json; charset=utf-8` then matches, while
 * one naming another charset does not.
 */
const jsonType = 'application/json;charset=utf-8';
const eventStreamType = 'text/event-stream;charset=utf-8';
const offered: readonly string[] = [jsonType, eventStreamType];

/** Which of our two types an `Accept` value makes acceptable (weight above 0). */
interface Acceptable {
  readonly json: boolean;
  readonly eventStream: boolean;
}

const nothingAcceptable: Acceptable = { json: false, eventStream: false };
/** Clients send the same `Accept` on every request: the parse is kept, for a bounded number of values. */
const acceptCache = new Map<string, Acceptable>();
const acceptCacheSize = 64;

/**
 * RFC 9110 §12.5.1: the most specific matching range decides a type's weight (`text/*;q=0` beside
 * `text/event-stream` leaves it acceptable; `*\/*` beside `application/json;q=0` does not make JSON
 * acceptable), and weight 0 means "not acceptable". A missing header is not "anything" here: MCP
 * requires the client to list the types (the official SDK answers 406 too).
 */
function acceptable(accept: string | undefined): Acceptable {
  if (accept === undefined) return nothingAcceptable;
  let result = acceptCache.get(accept);
  if (result !== undefined) return result;
  let types: string[];
  try {
    types = new Negotiator({ headers: { accept } }).mediaTypes(offered);
  } catch {
    // A value the parser cannot read lists nothing acceptable.
    types = [];
  }
  result = { json: types.includes(jsonType), eventStream: types.includes(eventStreamType) };
  if (acceptCache.size >= acceptCacheSize) acceptCache.clear();
  acceptCache.set(accept, result);
  return result;
}

/**
 * How a POST with this `Accept` may be answered, or `undefined` for 406. `text/event-stream` must be
 * acceptable; `application/json` is used only when it is acceptable too.
 * @internal
 */
export function postAnswerFor(accept: string | undefined): PostAnswer | undefined {
  const { json, eventStream } = acceptable(accept);
  if (!eventStream) return undefined;
  return json ? 'json-or-stream' : 'stream';
}

/** A GET must accept `text/event-stream` ("Listening for Messages from the Server"). @internal */
export function acceptsEventStream(accept: string | undefined): boolean {
  return acceptable(accept).eventStream;
}

/** `tchar` of RFC 9110 §5.6.2: the characters of a token. */
const tokenPattern = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** `type/subtype` at the start, then the parameters (RFC 9110 §8.3.1). */
const mediaTypePattern = new RegExp(`^(${tokenPattern})/(${tokenPattern})[ \\t]*`);
/** One `;` parameter (§5.6.6; an empty one is allowed): a name and a token or quoted-string value. */
const parameterPattern = new RegExp(
  `^;[ \\t]*(?:(${tokenPattern})=(?:(${tokenPattern})|"((?:[^"\\\\]|\\\\.)*)"))?[ \\t]*`,
);
/** Labels of UTF-8: the body is read as UTF-8 whatever it claims, so it may claim only that. */
const utf8Charsets = new Set(['utf-8', 'utf8']);

/**
 * `application/json` (case-insensitive), with parameters or none; a `charset` parameter, if any, must
 * name UTF-8 (RFC 8259 §8.1), for the body is decoded as UTF-8. Anything else, or a value that is not
 * a media type (`application/jsonx`, `application/json, text/plain`), is refused (415).
 * @internal
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  let rest = contentType.trim();
  const essence = mediaTypePattern.exec(rest);
  if (essence === null || `${essence[1]}/${essence[2]}`.toLowerCase() !== 'application/json') return false;
  rest = rest.slice(essence[0].length);
  while (rest !== '') {
    const parameter = parameterPattern.exec(rest);
    if (parameter === null) return false;
    rest = rest.slice(parameter[0].length);
    const name = parameter[1]?.toLowerCase();
    if (name !== 'charset') continue;
    const value = parameter[2] ?? parameter[3]?.replace(/\\(.)/g, '$1') ?? '';
    if (!utf8Charsets.has(value.toLowerCase())) return false;
  }
  return true;
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
