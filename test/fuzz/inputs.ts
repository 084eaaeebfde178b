/**
 * Bad input for `dispatch`: valid MCP messages to start from, hostile values to put in them (deep,
 * huge, wrongly typed, prototype-named keys), and the fast-check arbitraries that mutate one into
 * the other.
 */
import fc from 'fast-check';
import { initializedNotification, initializeRequest, request } from '../helpers.js';

/** Nesting depth of the deep inputs; built with loops, so building them cannot overflow. */
export const DEPTH = 10_000;

export function deepObject(depth = DEPTH): unknown {
  let value: unknown = {};
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

export function deepArray(depth = DEPTH): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

/** The hostile values, built once: every property run shares them. */
export const hostile = {
  deepObject: deepObject(),
  deepArray: deepArray(),
  /** 1 MiB: a quarter of the HTTP body cap. */
  hugeString: 'x'.repeat(1 << 20),
  hugeArray: Array.from({ length: 100_000 }, (_, index) => index),
  /** Cheap as JSON (`{}` is two bytes), costly as text (`[object Object]`). */
  objectArray: Array.from({ length: 50_000 }, () => ({})),
  wideObject: Object.fromEntries(Array.from({ length: 20_000 }, (_, index) => [`k${index}`, index])),
  /** What `JSON.parse` makes of objects with keys named like `Object.prototype` members. */
  prototypeKeys: JSON.parse('{"__proto__":{"polluted":true},"constructor":1,"toString":1,"valueOf":{}}'),
} as const;

/**
 * A stand-in for one of the {@link hostile} values inside generated messages: fast-check prints it
 * by name (printing a value nested 10,000 deep overflows its own stringifier, losing the
 * counterexample); {@link materialize} swaps the real value in before the message is sent.
 */
export class HostileRef {
  constructor(readonly name: keyof typeof hostile) {}

  [fc.toStringMethod](): string {
    return `hostile.${this.name}`;
  }
}

/** A copy of a generated message with every {@link HostileRef} replaced by its value. */
export function materialize(value: unknown): unknown {
  if (value instanceof HostileRef) return hostile[value.name];
  if (Array.isArray(value)) return value.map(materialize);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, element] of Object.entries(value)) {
    Object.defineProperty(copy, key, {
      value: materialize(element),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** Valid messages of every kind the runtime routes, to mutate. */
export const validMessages: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  initialize: initializeRequest(1),
  initialized: initializedNotification,
  ping: request(2, 'ping'),
  work: request(3, 'work', { n: 1 }),
  toolsList: request(4, 'tools/list'),
  toolsCall: request(5, 'tools/call', {
    name: 'echo',
    arguments: { text: 'hi' },
    _meta: { progressToken: 't' },
  }),
  resourcesRead: request(6, 'resources/read', { uri: 'note://alpha' }),
  resourcesSubscribe: request(7, 'resources/subscribe', { uri: 'memo://readme' }),
  resourcesUnsubscribe: request(8, 'resources/unsubscribe', { uri: 'memo://readme' }),
  promptsGet: request(9, 'prompts/get', { name: 'greet', arguments: { who: 'ada' } }),
  completion: request(10, 'completion/complete', {
    ref: { type: 'ref/prompt', name: 'greet' },
    argument: { name: 'who', value: 'a' },
    context: { arguments: { who: 'a' } },
  }),
  setLevel: request(11, 'logging/setLevel', { level: 'info' }),
  cancelled: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, reason: 'x' } },
  progress: { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } },
  result: { jsonrpc: '2.0', id: 12, result: {} },
  error: { jsonrpc: '2.0', id: 13, error: { code: -32000, message: 'no', data: { why: 1 } } },
};

/** Where inside each valid message a hostile value goes, beside the fields every message has. */
export const interestingPaths: Readonly<Record<string, readonly (readonly string[])[]>> = {
  initialize: [
    ['params', 'protocolVersion'],
    ['params', 'capabilities'],
    ['params', 'clientInfo', 'name'],
  ],
  toolsCall: [
    ['params', 'name'],
    ['params', 'arguments'],
    ['params', 'arguments', 'text'],
    ['params', '_meta'],
    ['params', '_meta', 'progressToken'],
  ],
  resourcesRead: [['params', 'uri']],
  resourcesSubscribe: [['params', 'uri']],
  promptsGet: [
    ['params', 'name'],
    ['params', 'arguments', 'who'],
  ],
  completion: [
    ['params', 'ref', 'name'],
    ['params', 'argument', 'name'],
    ['params', 'argument', 'value'],
    ['params', 'context', 'arguments'],
  ],
  setLevel: [['params', 'level']],
  cancelled: [['params', 'requestId']],
  progress: [['params', 'progressToken']],
  result: [['result']],
  error: [
    ['error', 'code'],
    ['error', 'message'],
    ['error', 'data'],
  ],
};

export const commonPaths: readonly (readonly string[])[] = [['jsonrpc'], ['id'], ['method'], ['params']];

/** A copy of `message` with `path` set to `value` (intermediate objects copied, never shared). */
export function withValueAt(message: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const base = typeof message === 'object' && message !== null && !Array.isArray(message) ? message : {};
  const copy: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  Object.defineProperty(copy, head, {
    value: withValueAt(copy[head], rest, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** A copy of `message` without the field at `path`. */
export function withoutValueAt(message: unknown, path: readonly string[]): unknown {
  if (typeof message !== 'object' || message === null || Array.isArray(message) || path.length === 0) {
    return message;
  }
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = { ...(message as Record<string, unknown>) };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutValueAt(copy[head], rest);
  return copy;
}

/** Ids of every type: the valid string and integer, and floats, NaN, infinities, null, objects, arrays. */
export const anyId = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1.5, 2 ** 53 + 2, null, true, '', [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A value to put where a well-typed one belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: anyId },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc
        .constantFrom(...(Object.keys(hostile) as (keyof typeof hostile)[]))
        .map((name) => new HostileRef(name)),
      fc.constant(undefined),
    ),
  },
);

/** Method names near and far from real ones. */
export const anyMethod = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'tools/call ',
    'TOOLS/CALL',
    'tools//call',
    'notifications/',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'rpc.discover',
    'sampling/createMessage',
    'roots/list',
  ),
);

type Mutation =
  | { readonly kind: 'set'; readonly path: readonly string[]; readonly value: unknown }
  | { readonly kind: 'delete'; readonly path: readonly string[] }
  | { readonly kind: 'method'; readonly method: string }
  | { readonly kind: 'batch'; readonly copies: number };

function pathsOf(name: string): readonly (readonly string[])[] {
  return [...commonPaths, ...(interestingPaths[name] ?? [])];
}

function mutationFor(name: string): fc.Arbitrary<Mutation> {
  const path = fc.oneof(
    fc.constantFrom(...pathsOf(name)),
    fc.string({ maxLength: 8 }).map((key) => ['params', key] as const),
    fc.string({ maxLength: 8 }).map((key) => [key] as const),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), path, value: hostileValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('method' as const), method: anyMethod }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('batch' as const), copies: fc.integer({ min: 0, max: 3 }) }),
    },
  );
}

function apply(message: unknown, mutation: Mutation): unknown {
  switch (mutation.kind) {
    case 'set':
      return withValueAt(message, mutation.path, mutation.value);
    case 'delete':
      return withoutValueAt(message, mutation.path);
    case 'method':
      return withValueAt(message, ['method'], mutation.method);
    default:
      return Array.from({ length: mutation.copies }, () => message);
  }
}

/** A valid message of some kind with one to three structural mutations applied. */
export const mutatedMessage: fc.Arbitrary<unknown> = fc
  .constantFrom(...Object.keys(validMessages))
  .chain((name) =>
    fc
      .array(mutationFor(name), { minLength: 1, maxLength: 3 })
      .map((mutations) => mutations.reduce<unknown>(apply, validMessages[name])),
  );

/** Values no JSON parser makes: null-prototype objects, Maps, BigInts, Dates, sparse and typed arrays. */
const exoticValue = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

/**
 * `dispatch` takes `unknown`: a transport or a handler's `ctx.dispatch` may hand it anything. An
 * exotic value alone, or put into one field of a valid message.
 */
export const exoticMessage: fc.Arbitrary<unknown> = fc.oneof(
  exoticValue,
  fc
    .constantFrom(...Object.keys(validMessages))
    .chain((name) =>
      fc
        .tuple(fc.constantFrom(...pathsOf(name)), exoticValue)
        .map(([path, value]) => withValueAt(validMessages[name], path, value)),
    ),
);

/** True for what `JSON.parse` can produce: finite numbers, plain objects and dense arrays all the way down. */
export function isJsonValue(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (item === null || typeof item === 'string' || typeof item === 'boolean') continue;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return false;
      continue;
    }
    if (Array.isArray(item)) {
      for (let index = 0; index < item.length; index++) {
        if (!(index in item)) return false;
        pending.push(item[index]);
      }
      continue;
    }
    if (typeof item !== 'object' || Object.getPrototypeOf(item) !== Object.prototype) return false;
    pending.push(...Object.values(item));
  }
  return true;
}

/** Session ids other than the live one: odd strings, and non-strings a careless transport might pass. */
export const unknownSessionId: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string().map((id) => `unknown:${id}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      '',
      '__proto__',
      'constructor',
      'x'.repeat(100_000),
      undefined,
      null,
      42,
      {},
    ),
  },
);
