/**
 * State handles: `defineHandle` declares a kind of cross-request state, a tool that `opens` it mints
 * one (an unguessable id backed by its own actor), and tools that take it (`handle`) run on its
 * state, one call at a time per handle.
 *
 * The pattern is MCP's (2026-07-28, SEP-2567; `server/tools`, "Stateful Tools"): state spanning
 * requests MUST be referenced by an explicit id the client passes on each request; the creating
 * tool returns the id in `structuredContent`; the server validates the caller against the handle on
 * every call; the handle's lifetime is stated in the creating tool's description; an unknown or
 * expired handle is a tool execution error, so that the model can create a new one. There is no
 * wire format: handles work the same for clients of both eras.
 */
import { z } from 'zod';
import { describeClientValue, SessionRuntimeError } from '../protocol/errors.js';
import type { HandleKindConfig } from '../runtime/handleAccess.js';
import type { HandleStore } from '../runtime/handleStore.js';
import type { HandlerContext } from '../runtime/types.js';
import { assertDefinitionObject, rejectUnknownKeys } from './definitions.js';

/** A kind of state handle, declared with {@link defineHandle}. */
export interface HandleDefinition<TState = unknown, TContext = unknown> {
  /**
   * The kind's name: 1 to 32 of `a–z 0–9 _ -`, starting with a letter, unique within the server.
   * It prefixes every id of the kind (`cart_…`) and names it in messages to the model.
   */
  readonly name: string;
  /** What a handle of this kind is, for the model (used in the id argument's description). */
  readonly description?: string;
  /**
   * The tool argument that carries the handle id: the opening tool returns it under this name in
   * `structuredContent`, and the tools that take the handle must have a property of this name in
   * their `inputSchema` (use {@link HandleKind.idSchema}).
   * @default `${name}Id` with `_x`/`-x` turned into `X` (`shopping_cart` → `shoppingCartId`)
   */
  readonly argument?: string;
  /**
   * Mirrors the id argument in the `Mcp-Param-{header}` request header (2026-07-28, SEP-2243,
   * `x-mcp-header`), so that a load balancer can route calls on one handle to one instance without
   * reading bodies. Clients of the 2026-07-28 revision then must send the header, and the server
   * checks it against the body. An RFC 9110 token, e.g. `CartId`. Omitted: no header.
   */
  readonly header?: string;
  /**
   * The initial state of a new handle, from the opening tool's (validated) arguments and context.
   * May be async; a throw fails the opening call and no handle is left behind.
   * @default () => undefined
   */
  readonly create?: (
    args: Readonly<Record<string, unknown>>,
    context: HandlerContext<TContext>,
  ) => TState | Promise<TState>;
  /**
   * ms without a call after which a handle stops (its state is dropped; its id is then unknown).
   * @default 1_800_000 (30 minutes)
   */
  readonly idleTimeoutMs?: number;
  /**
   * Live handles of this kind at most; one more is refused `overloaded` (JSON-RPC -32011).
   * @default 10_000
   */
  readonly maxHandles?: number;
  /**
   * Live handles of this kind one principal may hold; one more is a tool execution error telling
   * the model to close one. Unauthenticated callers share one count.
   * @default 100
   */
  readonly maxPerPrincipal?: number;
  /**
   * Calls that may wait on one handle behind the running one; one more is refused `mailbox_full`
   * (JSON-RPC -32012).
   * @default 64
   */
  readonly mailboxCapacity?: number;
  /**
   * Where handles of this kind are persisted, so that one outlives the process that served it: a
   * restart, or in a cluster the death of its owner (the next instance a call reaches revives it).
   * The store receives the state object (serialize it as you like) with the principal and the
   * fencing token; it is saved after the handle is created and after each call on it that returns,
   * before that call answers; loaded when a call names an id that is not live anywhere; deleted
   * when the handle ends for good (`ctx.handle.close()`, idle timeout), never at `runtime.close`.
   * A failed save answers its call with a tool execution error (the change may not be kept). In a
   * cluster a store must refuse a save with a fencing token lower than one it has seen for the id
   * (`MemoryHandleStore` does). See {@link HandleStore}.
   * @default undefined (state lives in this process's memory only, and ends with it)
   */
  readonly store?: HandleStore<TState>;
}

/**
 * A declared kind of state handle: give it to a tool as `opens` (the tool creates one) or `handle`
 * (the tool runs on one), and put {@link idSchema} in the taking tools' input schemas.
 */
export interface HandleKind<TState = unknown, TContext = unknown> {
  readonly name: string;
  /** The id argument's name (see {@link HandleDefinition.argument}). */
  readonly argument: string;
  /**
   * The zod schema of the id argument: a non-empty string, described for the model, carrying
   * `x-mcp-header` when the kind declares a header.
   */
  readonly idSchema: z.ZodString;
  /** The runtime's settings of the kind (defaults applied). */
  readonly config: HandleKindConfig;
  /** @internal */
  readonly create: HandleDefinition<TState, TContext>['create'];
  /** @internal The state type, for inference only. */
  readonly __state?: TState;
}

const handleKeys = [
  'name',
  'description',
  'argument',
  'header',
  'create',
  'idleTimeoutMs',
  'maxHandles',
  'maxPerPrincipal',
  'mailboxCapacity',
  'store',
] as const;

const kindNamePattern = /^[a-z][a-z0-9_-]{0,31}$/;
const argumentPattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** RFC 9110 §5.6.2 `token`, as `x-mcp-header` requires. */
const headerPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function positiveNumber(value: unknown, fallback: number, what: string, integer: boolean): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (integer ? Number.isInteger(value) || value === Number.POSITIVE_INFINITY : !Number.isNaN(value));
  if (!ok) {
    throw new TypeError(
      `Expected ${what} to be a ${integer ? 'positive integer' : 'number > 0'}, got ${describeClientValue(value)}`,
    );
  }
  return value as number;
}

/**
 * Declares a kind of state handle, checking it at once (a bad name, a misspelt key or a limit that
 * is not a positive number is a `TypeError` here).
 *
 * @example
 * ```ts
 * const cart = defineHandle({
 *   name: 'cart',
 *   description: 'a shopping cart',
 *   create: () => ({ items: [] as string[] }),
 *   idleTimeoutMs: 15 * 60_000,
 * });
 * const open = defineTool({ name: 'cart_open', opens: cart, handler: () => 'Cart opened' });
 * const add = defineTool({
 *   name: 'cart_add',
 *   handle: cart,
 *   inputSchema: { cartId: cart.idSchema, item: z.string() },
 *   handler: ({ item }, ctx) => {
 *     ctx.handle.state.items.push(item);
 *     return `${ctx.handle.state.items.length} items`;
 *   },
 * });
 * ```
 */
export function defineHandle<TState = undefined, TContext = unknown>(
  definition: HandleDefinition<TState, TContext>,
): HandleKind<TState, TContext> {
  assertDefinitionObject(definition, 'handle');
  const raw = definition as unknown as Record<string, unknown>;
  const name = raw.name;
  if (typeof name !== 'string' || !kindNamePattern.test(name)) {
    throw new TypeError(
      `Expected a handle name of 1 to 32 characters of a-z, 0-9, \`_\` and \`-\`, starting with a letter, got ${describeClientValue(name)}`,
    );
  }
  const what = `handle \`${name}\``;
  rejectUnknownKeys(raw, handleKeys, what, []);
  const argument = raw.argument ?? `${name.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Id`;
  if (typeof argument !== 'string' || !argumentPattern.test(argument)) {
    throw new TypeError(
      `Expected the \`argument\` of ${what} to be an identifier such as "cartId", got ${describeClientValue(argument)}`,
    );
  }
  const header = raw.header;
  if (header !== undefined && (typeof header !== 'string' || !headerPattern.test(header))) {
    throw new TypeError(
      `Expected the \`header\` of ${what} to be an RFC 9110 token such as "CartId", got ${describeClientValue(header)}`,
    );
  }
  if (raw.create !== undefined && typeof raw.create !== 'function') {
    throw new TypeError(
      `Expected the \`create\` of ${what} to be a function, got ${describeClientValue(raw.create)}`,
    );
  }
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    throw new TypeError(
      `Expected the \`description\` of ${what} to be a string, got ${describeClientValue(raw.description)}`,
    );
  }
  const store = raw.store as Record<string, unknown> | undefined;
  if (
    store !== undefined &&
    (store === null ||
      typeof store !== 'object' ||
      typeof store.load !== 'function' ||
      typeof store.save !== 'function' ||
      typeof store.delete !== 'function')
  ) {
    throw new TypeError(
      `Expected the \`store\` of ${what} to be an object with \`load\`, \`save\` and \`delete\` methods, got ${describeClientValue(store)}`,
    );
  }
  const config: HandleKindConfig = {
    name,
    idleTimeoutMs: positiveNumber(raw.idleTimeoutMs, 30 * 60_000, `the \`idleTimeoutMs\` of ${what}`, false),
    maxHandles: positiveNumber(raw.maxHandles, 10_000, `the \`maxHandles\` of ${what}`, true),
    maxPerPrincipal: positiveNumber(raw.maxPerPrincipal, 100, `the \`maxPerPrincipal\` of ${what}`, true),
    mailboxCapacity: positiveNumber(raw.mailboxCapacity, 64, `the \`mailboxCapacity\` of ${what}`, true),
    ...(store === undefined ? {} : { store: definition.store as HandleStore }),
  };
  const about = typeof raw.description === 'string' ? ` (${raw.description})` : '';
  const meta: Record<string, unknown> = {
    description: `The id of a \`${name}\` handle${about}, as returned by the tool that creates one.`,
  };
  if (header !== undefined) meta['x-mcp-header'] = header;
  return {
    name,
    argument,
    idSchema: z.string().min(1).max(256).meta(meta),
    config,
    create: definition.create,
  };
}

/** "30 minutes", "90 seconds": a lifetime as the model reads it. */
export function describeLifetime(ms: number): string {
  if (ms === Number.POSITIVE_INFINITY) return 'never';
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, 'hour');
  if (ms % 60_000 === 0) return unit(ms / 60_000, 'minute');
  if (ms % 1000 === 0) return unit(ms / 1000, 'second');
  return `${ms} ms`;
}

/** The first characters of a client's handle id, enough to recognise it in a message. */
export function shortId(id: unknown): string {
  return typeof id === 'string' && id.length > 16 ? `"${id.slice(0, 16)}…"` : describeClientValue(id);
}

/** The principal a handle is bound to: the verified caller's id, if the transport authenticates. */
export function principalOf(context: HandlerContext<unknown>): string | undefined {
  return context.auth?.id;
}

/** The runtime's `overloaded` for a kind at its `maxHandles`. */
export function tooManyHandles(kind: HandleKind<unknown, unknown>): SessionRuntimeError {
  return new SessionRuntimeError('overloaded', `Too many open \`${kind.name}\` handles on this server`, {
    limit: kind.config.maxHandles,
  });
}
