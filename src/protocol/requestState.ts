/**
 * The `requestState` of a multi round-trip request (MCP 2026-07-28, SEP-2322), sealed and opened.
 *
 * A server that needs input answers `tools/call`, `prompts/get` or `resources/read` with
 * `{ resultType: 'input_required', inputRequests, requestState }`; the client retries the request
 * (new id) with `inputResponses` and the `requestState` echoed verbatim. The specification treats
 * the echo as attacker-controlled: it must be integrity-protected, bound to who asked and what was
 * asked, and expire. This module does that and nothing else: it neither reads a request nor writes
 * a response, and a failure to open is a reason, never an exception, for the caller to answer
 * with an error, never a restart or a result (the official SDK answers -32602 "Invalid params").
 *
 * Token (ASCII, at most `maxTokenLength` characters):
 *
 *     v1.<expiresAt>.<bindingTag>.<payload>.<mac>
 *
 * - `expiresAt`: the last millisecond (Unix epoch, decimal) at which the token opens.
 * - `bindingTag`: base64url of the first 16 bytes of HMAC-SHA-256(key, label ‖ binding). The
 *   binding (principal, method, params digest) is never in the token in clear: a principal id is
 *   not handed to the client.
 * - `payload`: base64url of the state's JSON. **Signed, not encrypted**: the client can decode and
 *   read it. Put no secret in a state.
 * - `mac`: base64url of HMAC-SHA-256(key, label ‖ everything before `.<mac>`), so the version, the
 *   expiry, the binding tag and the payload are all covered as the characters sent. It is compared
 *   as text with `timingSafeEqual`, so a token has exactly one accepted spelling.
 *
 * HMAC rather than AES-256-GCM: integrity is what the specification asks for, a signed token can
 * be read while debugging, and one keyed hash needs no nonce management.
 */
import { createHash, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** What a sealed state is bound to: all three must be equal when it is opened. */
export interface RequestStateBinding {
  /**
   * The authenticated principal's id (e.g. the token's subject), `undefined` when the request is
   * unauthenticated. `undefined` and `''` are different bindings. Without a principal the state
   * is a bearer value: anyone holding it may retry until it expires.
   */
  readonly principal: string | undefined;
  /** The request's `method`, e.g. `tools/call`. */
  readonly method: string;
  /** {@link digestParams} of the request's params. */
  readonly paramsDigest: string;
}

/** Options of {@link createRequestStateCodec}. */
export interface RequestStateCodecOptions {
  /**
   * The HMAC secrets, each at least 32 bytes (a string counts as its UTF-8 bytes). The first seals;
   * every one opens, so a new key goes first and an old one is removed once the states it sealed
   * have expired (`ttlMs` later). Every server instance that may receive a retry needs the same
   * keys. The bytes are copied: changing a `Uint8Array` afterwards changes nothing.
   */
  readonly keys: readonly (string | Uint8Array)[];
  /**
   * How long a sealed state opens, in milliseconds: from sealing up to and including
   * `now() + ttlMs`. An integer from 1 to 2_147_483_647. @default 600_000 (ten minutes)
   */
  readonly ttlMs?: number;
  /**
   * The longest token {@link RequestStateCodec.open} reads, in characters (= bytes: tokens are
   * ASCII); a longer one is `malformed` before anything is hashed. `seal` throws rather than
   * produce a token longer than this. An integer ≥ 256. @default 65_536
   */
  readonly maxTokenLength?: number;
  /** The clock, in milliseconds since the Unix epoch (for tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * Why a token did not open, checked in this order:
 * - `malformed`: not a string, too long, not of the token's shape or version;
 * - `bad_signature`: no key's MAC matches (tampered, or sealed under a key no longer listed);
 * - `wrong_binding`: sealed for another principal, method or params;
 * - `expired`: opened after its last millisecond.
 */
export type RequestStateRejection = 'malformed' | 'bad_signature' | 'wrong_binding' | 'expired';

/** The outcome of {@link RequestStateCodec.open}. */
export type OpenedState<T> =
  | { readonly ok: true; readonly state: T }
  | { readonly ok: false; readonly reason: RequestStateRejection };

/** Seals a state into a `requestState` string and opens it again; see the module docs for the token. */
export interface RequestStateCodec {
  /**
   * The token for `state`, bound to `binding`, valid for `ttlMs`. The state travels as JSON: what
   * `open` returns is `JSON.parse(JSON.stringify(state))`.
   *
   * @throws TypeError when `state` has no JSON form (`undefined`, a function) or the clock gives
   *   no usable time; RangeError when the token would exceed `maxTokenLength`; whatever
   *   `JSON.stringify` throws (a `bigint`, a cycle).
   */
  seal<T>(state: T, binding: RequestStateBinding): string;
  /**
   * The state sealed in `token` if it is authentic, bound to `binding` and not expired; otherwise
   * the reason. Never throws for any `token`. `T` is the caller's claim: the state is the JSON this
   * codec (or another holding one of the keys) sealed.
   */
  open<T>(token: string, binding: RequestStateBinding): OpenedState<T>;
}

const VERSION = 'v1';
const MAC_LABEL = 'mcp.requestState.v1.mac\0';
const BINDING_LABEL = 'mcp.requestState.v1.binding\0';
const BINDING_TAG_BYTES = 16;
const MIN_KEY_BYTES = 32;
const DEFAULT_TTL_MS = 600_000;
const MAX_TTL_MS = 2_147_483_647;
const DEFAULT_MAX_TOKEN_LENGTH = 65_536;
const MIN_MAX_TOKEN_LENGTH = 256;
const OPTION_KEYS: ReadonlySet<string> = new Set(['keys', 'ttlMs', 'maxTokenLength', 'now']);

/**
 * `v1.<expiresAt>.<bindingTag 22>.<payload>.<mac 43>`. The segments are separated by `.`, which no
 * class matches, so the match is linear in the token's length.
 */
const TOKEN_SHAPE = /^v1\.([0-9]{1,16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{43})$/;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * A codec for `requestState`.
 *
 * @example
 * ```ts
 * const codec = createRequestStateCodec({ keys: [process.env.REQUEST_STATE_KEY!] });
 * const binding = { principal: auth?.subject, method: 'tools/call', paramsDigest: digestParams(params) };
 * const requestState = codec.seal({ step: 2, name: 'Alice' }, binding);
 * // … on the retry, with the binding computed again from the retry's own request:
 * const opened = codec.open<{ step: number; name: string }>(params.requestState, binding);
 * if (!opened.ok) // answer -32602, opened.reason for the logs
 * ```
 *
 * @throws TypeError for options of the wrong shape: an unknown key, no keys, a key shorter than
 *   32 bytes, a `ttlMs` or `maxTokenLength` out of range, a `now` that is not a function.
 */
export function createRequestStateCodec(options: RequestStateCodecOptions): RequestStateCodec {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(`Unknown option \`${key}\`; expected one of ${[...OPTION_KEYS].join(', ')}`);
    }
  }
  const keys = secretKeys(options.keys);
  const ttlMs = integerOption('ttlMs', options.ttlMs, DEFAULT_TTL_MS, 1, MAX_TTL_MS);
  const maxTokenLength = integerOption(
    'maxTokenLength',
    options.maxTokenLength,
    DEFAULT_MAX_TOKEN_LENGTH,
    MIN_MAX_TOKEN_LENGTH,
    Number.MAX_SAFE_INTEGER,
  );
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError(`Expected \`now\` to be a function, got ${describe(now)}`);
  }
  const sealingKey = keys[0] as KeyObject;

  return {
    seal<T>(state: T, binding: RequestStateBinding): string {
      const json: string | undefined = JSON.stringify(state);
      if (json === undefined) {
        throw new TypeError(`Expected a state with a JSON form, got ${describe(state)}`);
      }
      const expiresAt = Math.floor(now()) + ttlMs;
      if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
        throw new TypeError(`Expected \`now()\` to give milliseconds since the epoch, got ${now()}`);
      }
      const signed = `${VERSION}.${expiresAt}.${bindingTag(sealingKey, binding)}.${Buffer.from(json, 'utf8').toString('base64url')}`;
      const token = `${signed}.${mac(sealingKey, signed)}`;
      if (token.length > maxTokenLength) {
        throw new RangeError(
          `The sealed requestState is ${token.length} characters, over \`maxTokenLength\` (${maxTokenLength})`,
        );
      }
      return token;
    },

    open<T>(token: string, binding: RequestStateBinding): OpenedState<T> {
      if (typeof token !== 'string' || token.length > maxTokenLength) return MALFORMED;
      const parts = TOKEN_SHAPE.exec(token);
      if (parts === null) return MALFORMED;
      const [, expiry, tag, payload, sentMac] = parts as unknown as [string, string, string, string, string];
      const signed = token.slice(0, token.length - sentMac.length - 1);
      const key = keyOf(keys, signed, sentMac);
      if (key === undefined) return BAD_SIGNATURE;
      if (!equalText(bindingTag(key, binding), tag)) return WRONG_BINDING;
      // `!(a <= b)` rather than `a > b`: a clock giving NaN expires everything.
      if (!(now() <= Number(expiry))) return EXPIRED;
      let state: T;
      try {
        state = JSON.parse(utf8Strict.decode(Buffer.from(payload, 'base64url'))) as T;
      } catch {
        // Unreachable without a key: the MAC covers the payload. Fail closed all the same.
        return MALFORMED;
      }
      return { ok: true, state };
    },
  };
}

const MALFORMED: OpenedState<never> = Object.freeze({ ok: false, reason: 'malformed' });
const BAD_SIGNATURE: OpenedState<never> = Object.freeze({ ok: false, reason: 'bad_signature' });
const WRONG_BINDING: OpenedState<never> = Object.freeze({ ok: false, reason: 'wrong_binding' });
const EXPIRED: OpenedState<never> = Object.freeze({ ok: false, reason: 'expired' });

/** The key among `keys` whose MAC of `signed` is `sentMac`. */
function keyOf(keys: readonly KeyObject[], signed: string, sentMac: string): KeyObject | undefined {
  for (const key of keys) {
    if (equalText(mac(key, signed), sentMac)) return key;
  }
  return undefined;
}

function mac(key: KeyObject, signed: string): string {
  return createHmac('sha256', key).update(MAC_LABEL).update(signed).digest('base64url');
}

/**
 * The binding as the first 16 bytes of an HMAC, base64url (22 characters). The binding is encoded
 * as a JSON array, which no two different bindings share (and `undefined` becomes `null`, unlike
 * any string).
 */
function bindingTag(key: KeyObject, binding: RequestStateBinding): string {
  const encoded = JSON.stringify([binding.principal ?? null, binding.method, binding.paramsDigest]);
  return createHmac('sha256', key)
    .update(BINDING_LABEL)
    .update(encoded)
    .digest()
    .subarray(0, BINDING_TAG_BYTES)
    .toString('base64url');
}

/** Constant-time equality of two ASCII strings of the same length (both are checked to be). */
function equalText(expected: string, sent: string): boolean {
  return expected.length === sent.length && timingSafeEqual(Buffer.from(expected), Buffer.from(sent));
}

function secretKeys(keys: unknown): KeyObject[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError(`Expected \`keys\` to list at least one secret, got ${describe(keys)}`);
  }
  return keys.map((key: unknown, index) => {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
      throw new TypeError(`Expected \`keys[${index}]\` to be a string or a Uint8Array, got ${describe(key)}`);
    }
    // A copy: a later change to the caller's array changes nothing.
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
    if (bytes.length < MIN_KEY_BYTES) {
      throw new TypeError(
        `Expected \`keys[${index}]\` to be at least ${MIN_KEY_BYTES} bytes, got ${bytes.length}`,
      );
    }
    return createSecretKey(bytes);
  });
}

function integerOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(
      `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'number' ? String(value) : typeof value;
}

// ---------------------------------------------------------------------------------------------

/** The params fields that differ between a request and its retry, left out of the digest. */
const RETRY_FIELDS: ReadonlySet<string> = new Set(['_meta', 'inputResponses', 'requestState']);

/**
 * A digest of a request's params for {@link RequestStateBinding.paramsDigest}, the same for the
 * request and its retries: SHA-256 (base64url, 43 characters) of the canonical JSON of `params`
 * without the top-level `_meta`, `inputResponses` and `requestState`.
 *
 * Canonical JSON: object keys sorted by UTF-16 code units at every depth, no whitespace, values
 * written as `JSON.stringify` writes them (as RFC 8785 does for JSON data); as in `JSON.stringify`,
 * object members whose value is `undefined`, a function or a symbol are left out, and such array
 * elements and non-finite numbers become `null`. `undefined` params digest as `{}`.
 *
 * Built for params parsed from the wire: it nests to any depth without recursion.
 *
 * @throws TypeError for a value JSON has no form for (a `bigint`) or a cycle.
 */
export function digestParams(params: Readonly<Record<string, unknown>> | undefined): string {
  return createHash('sha256')
    .update(canonicalJson(params ?? {}, RETRY_FIELDS))
    .digest('base64url');
}

/** Text to write as is, or the end of a container (whose `container` leaves the open set). */
class Literal {
  constructor(
    readonly text: string,
    readonly container?: object,
  ) {}
}

const COMMA = new Literal(',');

/**
 * Canonical JSON of `root` (see {@link digestParams}), leaving out the keys `skip` of the root
 * object. Iterative: a work stack of values and literals, so depth costs heap, not call stack.
 */
function canonicalJson(root: unknown, skip: ReadonlySet<string>): string {
  const out: string[] = [];
  const stack: unknown[] = [root];
  const open = new Set<object>();
  let atRoot = true;
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Literal) {
      out.push(item.text);
      if (item.container !== undefined) open.delete(item.container);
      continue;
    }
    if (item === null || typeof item !== 'object') {
      out.push(primitiveJson(item));
      atRoot = false;
      continue;
    }
    if (open.has(item)) throw new TypeError('Expected params without cycles');
    open.add(item);
    if (Array.isArray(item)) {
      stack.push(new Literal(']', item));
      for (let i = item.length - 1; i >= 0; i--) {
        const element: unknown = item[i];
        stack.push(omitted(element) ? null : element);
        if (i > 0) stack.push(COMMA);
      }
      out.push('[');
    } else {
      const record = item as Record<string, unknown>;
      const names = Object.keys(record)
        .filter((name) => !omitted(record[name]) && !(atRoot && skip.has(name)))
        .sort();
      stack.push(new Literal('}', item));
      for (let i = names.length - 1; i >= 0; i--) {
        const name = names[i] as string;
        stack.push(record[name]);
        stack.push(new Literal(`${JSON.stringify(name)}:`));
        if (i > 0) stack.push(COMMA);
      }
      out.push('{');
    }
    atRoot = false;
  }
  return out.join('');
}

function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function primitiveJson(value: unknown): string {
  if (typeof value === 'bigint') throw new TypeError('Expected params without bigint values');
  // Strings, finite numbers, booleans and null as JSON.stringify writes them; NaN and ±Infinity → null.
  return JSON.stringify(value) ?? 'null';
}
