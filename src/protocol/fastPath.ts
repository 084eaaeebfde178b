/**
 * The common shapes of a request and a notification, checked by hand. It accepts only messages that
 * the official `JSONRPCRequestSchema` / `JSONRPCNotificationSchema` accept too (a property test in
 * test/protocol/fastPath.test.ts holds it to that), and answers `undefined` for anything it is not
 * sure of, so the schemas still decide every doubtful message and write every error. Why: the
 * schemas build a validated copy of each message, about 1.3 KB of garbage per request, half of all
 * the runtime allocates for one.
 */
import type { IncomingNotification, IncomingRequest } from './messages.js';

type Params = Readonly<Record<string, unknown>>;

const emptyParams: Params = Object.freeze({});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A `_meta` of the one common shape, `{ progressToken }` with a string or safe-integer token (every
 * call that asks for progress); any other `_meta` is left to the schemas.
 */
function isProgressOnlyMeta(meta: unknown): boolean {
  if (!isPlainObject(meta)) return false;
  const keys = Object.keys(meta);
  if (keys.length !== 1 || keys[0] !== 'progressToken') return false;
  const token = meta.progressToken;
  return typeof token === 'string' || Number.isSafeInteger(token);
}

/**
 * Params the schemas surely accept and copy unchanged: absent, or a plain object without an own
 * `__proto__` key (their copy drops it) whose `_meta`, if any, is a bare progress token.
 */
function readParams(value: unknown): Params | undefined {
  if (value === undefined) return emptyParams;
  if (!isPlainObject(value) || Object.hasOwn(value, '__proto__')) return undefined;
  if (Object.hasOwn(value, '_meta') && !isProgressOnlyMeta(value._meta)) return undefined;
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
