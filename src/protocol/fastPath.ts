/**
 * The common shapes of a request and a notification, checked by hand. It accepts only messages that
 * the official `JSONRPCRequestSchema` / `JSONRPCNotificationSchema` accept too (a property test in
 * test/protocol/fastPath.test.ts holds it to that), and answers `undefined` for anything it is not
 * sure of, so the schemas still decide every doubtful message and write every error. Why: the
 * schemas build a validated copy of each message, about 1.3 KB of garbage per request, half of all
 * the runtime allocates for one.
 */
import type { IncomingNotification, IncomingParams, IncomingRequest } from './incoming.js';

type Params = IncomingParams;

const emptyParams: Params = Object.freeze({});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The `_meta` keys of the common shapes besides `progressToken`: the MCP 2026-07-28 request
 * envelope, which every sessionless request carries. `RequestMetaSchema` is a loose object that
 * constrains none of them (the envelope is read and checked by `envelope.ts`), so any value passes.
 */
const envelopeKeys: ReadonlySet<string> = new Set([
  'io.modelcontextprotocol/protocolVersion',
  'io.modelcontextprotocol/clientCapabilities',
  'io.modelcontextprotocol/clientInfo',
  'io.modelcontextprotocol/logLevel',
]);

/**
 * A `_meta` of the common shapes: a plain object without an own `__proto__` whose keys are the
 * envelope's and `progressToken` with a string or safe-integer token (every call that asks for
 * progress); any other `_meta` is left to the schemas.
 */
function isCommonMeta(meta: unknown): boolean {
  if (!isPlainObject(meta)) return false;
  for (const key of Object.keys(meta)) {
    if (key === 'progressToken') {
      const token = meta.progressToken;
      if (typeof token !== 'string' && !Number.isSafeInteger(token)) return false;
    } else if (!envelopeKeys.has(key)) return false;
  }
  return !Object.hasOwn(meta, '__proto__');
}

/**
 * Params the schemas surely accept and copy unchanged: absent, or a plain object without an own
 * `__proto__` key (their copy drops it) whose `_meta`, if any, is of the common shapes ({@link isCommonMeta}).
 */
function readParams(value: unknown): Params | undefined {
  if (value === undefined) return emptyParams;
  if (!isPlainObject(value) || Object.hasOwn(value, '__proto__')) return undefined;
  if (Object.hasOwn(value, '_meta') && !isCommonMeta(value._meta)) return undefined;
  return value;
}

/** A request or notification of the common shape, or `undefined` to let the schemas decide. */
export function readCommonMessage(value: object): IncomingRequest | IncomingNotification | undefined {
  if (!isPlainObject(value)) return undefined;
  let hasId = false;
  for (const key of Object.keys(value)) {
    if (key === 'id') hasId = true;
    else if (key !== 'jsonrpc' && key !== 'method' && key !== 'params') return undefined;
  }
  const { jsonrpc, id, method } = value;
  if (jsonrpc !== '2.0' || typeof method !== 'string') return undefined;
  const params = readParams(value.params);
  if (params === undefined) return undefined;
  if (!hasId) return { kind: 'notification', method, params };
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return undefined;
  return { kind: 'request', id: id as string | number, method, params };
}

/** Params keys a list request of the common shape may carry besides `_meta`. */
const LIST_KEYS: ReadonlySet<string> = new Set(['cursor']);
const CALL_KEYS: ReadonlySet<string> = new Set(['name', 'arguments']);
const URI_KEYS: ReadonlySet<string> = new Set(['uri']);
const NO_KEYS: ReadonlySet<string> = new Set();

/** Own keys only, each in `allowed` or a bare-progress-token `_meta`. */
function hasOnlyKeys(params: Params, allowed: ReadonlySet<string>): boolean {
  // `for…in` rather than `Object.keys`: no array per message. A key it finds that is not own came
  // from a prototype, which the schemas would not read: leave that to them.
  for (const key in params) {
    if (!Object.hasOwn(params, key)) return false;
    if (key === '_meta') {
      if (!isCommonMeta(params._meta)) return false;
    } else if (!allowed.has(key)) return false;
  }
  return true;
}

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/** A record of strings (the arguments of `prompts/get`), or absent. */
function isOptionalStringRecord(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isPlainObject(value) || Object.hasOwn(value, '__proto__')) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || typeof value[key] !== 'string') return false;
  }
  return true;
}

/** A record of anything (the arguments of `tools/call`), or absent. */
function isOptionalRecord(value: unknown): boolean {
  return value === undefined || (isPlainObject(value) && !Object.hasOwn(value, '__proto__'));
}

const commonParams: ReadonlyMap<string, (params: Params) => boolean> = new Map<
  string,
  (params: Params) => boolean
>([
  ['ping', (params) => hasOnlyKeys(params, NO_KEYS)],
  ['tools/list', (params) => isOptionalString(params.cursor) && hasOnlyKeys(params, LIST_KEYS)],
  ['resources/list', (params) => isOptionalString(params.cursor) && hasOnlyKeys(params, LIST_KEYS)],
  ['resources/templates/list', (params) => isOptionalString(params.cursor) && hasOnlyKeys(params, LIST_KEYS)],
  ['prompts/list', (params) => isOptionalString(params.cursor) && hasOnlyKeys(params, LIST_KEYS)],
  [
    'tools/call',
    (params) =>
      typeof params.name === 'string' && isOptionalRecord(params.arguments) && hasOnlyKeys(params, CALL_KEYS),
  ],
  [
    'prompts/get',
    (params) =>
      typeof params.name === 'string' &&
      isOptionalStringRecord(params.arguments) &&
      hasOnlyKeys(params, CALL_KEYS),
  ],
  ['resources/read', (params) => typeof params.uri === 'string' && hasOnlyKeys(params, URI_KEYS)],
  ['resources/subscribe', (params) => typeof params.uri === 'string' && hasOnlyKeys(params, URI_KEYS)],
  ['resources/unsubscribe', (params) => typeof params.uri === 'string' && hasOnlyKeys(params, URI_KEYS)],
]);

/**
 * Whether `params` are of a common shape that the official schema of `method` surely accepts (the
 * property test in test/protocol/fastPath.test.ts holds it to that): `false` leaves the decision
 * to the schema, so it may be `false` for valid params too.
 */
export function hasCommonParams(method: string, params: Params): boolean {
  const check = commonParams.get(method);
  return check !== undefined && isPlainObject(params) && check(params);
}
