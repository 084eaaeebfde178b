/**
 * State handles (SEP-2567 pattern): `defineHandle`, tools that open one (`opens`) and tools that
 * run on one (`handle`), served by keyed actors: ids unguessable and bound to their principal,
 * calls on one handle in FIFO order, on different handles in parallel, idle expiry, limits, both
 * eras.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonRpcResponse, RuntimeEvents, SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  defineHandle,
  defineTool,
  ManualClock,
  parseMessage,
} from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import {
  deferred,
  flush,
  initializedNotification,
  initializeRequest,
  openSession,
  request,
} from '../helpers.js';

interface Cart {
  items: string[];
}

function cartServer(
  options: {
    idleTimeoutMs?: number;
    maxPerPrincipal?: number;
    maxHandles?: number;
    mailboxCapacity?: number;
    clock?: ManualClock;
    header?: string;
  } = {},
) {
  const { clock, header, ...limits } = options;
  const cart = defineHandle<Cart>({
    name: 'cart',
    description: 'a shopping cart',
    create: (args) => {
      if (args.fail === 'create') throw new Error('database down');
      return { items: [] };
    },
    ...limits,
    ...(header === undefined ? {} : { header }),
  });
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const log: string[] = [];
  const open = defineTool({
    name: 'cart_open',
    description: 'Opens a cart.',
    opens: cart,
    inputSchema: { fail: z.string().optional() },
    handler: ({ fail }, ctx) => {
      if (fail === 'handler') return { content: [{ type: 'text', text: 'no' }], isError: true };
      if (fail === 'throw') throw new Error('boom');
      return `Cart ready with ${ctx.handle.state.items.length} items`;
    },
  });
  const add = defineTool({
    name: 'cart_add',
    handle: cart,
    inputSchema: { cartId: cart.idSchema, item: z.string(), gate: z.string().optional() },
    handler: async ({ item, gate }, ctx) => {
      log.push(`start ${item}`);
      if (gate !== undefined) {
        const waiting = deferred<void>();
        gates.set(gate, waiting);
        await waiting.promise;
      }
      ctx.handle.state.items.push(item);
      log.push(`end ${item}`);
      return { content: [{ type: 'text', text: `${ctx.handle.state.items.length} items` }] };
    },
  });
  const view = defineTool({
    name: 'cart_view',
    handle: cart,
    inputSchema: { cartId: cart.idSchema },
    handler: (_args, ctx) => ({
      content: [{ type: 'text', text: ctx.handle.state.items.join(',') }],
      structuredContent: { items: ctx.handle.state.items },
    }),
  });
  const checkout = defineTool({
    name: 'cart_checkout',
    handle: cart,
    inputSchema: { cartId: cart.idSchema },
    handler: (_args, ctx) => {
      ctx.handle.close();
      return `Bought ${ctx.handle.state.items.length} items`;
    },
  });
  const runtime = createSessionRuntime({
    tools: [open, add, view, checkout],
    ...(clock === undefined ? {} : { clock }),
  });
  const stopped: Parameters<RuntimeEvents['handleStopped']>[0][] = [];
  runtime.events.on('handleStopped', (event) => stopped.push(event));
  const release = (gate: string) => gates.get(gate)?.resolve();
  return { runtime, cart, log, release, gates, stopped };
}

let nextId = 1;

type Result = {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/**
 * `tools/call` on a 2025 session: `s` (opened by the test), or for a principal that principal's own
 * session, opened here on first use (a session is bound to the principal that created it).
 */
async function call(
  runtime: SessionRuntime,
  name: string,
  args: Record<string, unknown>,
  principal?: string,
) {
  const sessionId = principal === undefined ? 's' : `s-${principal}`;
  const options = { principal: principal === undefined ? undefined : { id: principal } };
  if (principal !== undefined && !runtime.has(sessionId, options)) {
    await runtime.dispatch(sessionId, initializeRequest(), options);
    await runtime.dispatch(sessionId, initializedNotification, options);
  }
  return (await runtime.dispatch(
    sessionId,
    request(nextId++, 'tools/call', { name, arguments: args }),
    options,
  )) as JsonRpcResponse;
}

const resultOf = (answer: JsonRpcResponse | undefined) => {
  expect(answer !== undefined && 'result' in answer, JSON.stringify(answer)).toBe(true);
  return (answer as unknown as { result: Result }).result;
};

/** `tools/call` at 2026-07-28 (no session), through `runtime.serve` as the HTTP transport calls it. */
async function callModern(runtime: SessionRuntime, name: string, args: Record<string, unknown>) {
  const message = parseMessage({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: {
      name,
      arguments: args,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  return (await runtime.serve(message, envelope)) as JsonRpcResponse;
}

async function openCart(runtime: SessionRuntime, principal?: string): Promise<string> {
  const result = resultOf(await call(runtime, 'cart_open', {}, principal));
  expect(result.isError).toBeUndefined();
  const id = result.structuredContent?.cartId;
  expect(typeof id).toBe('string');
  return id as string;
}

describe('state handles: opening', () => {
  it('returns an unguessable id in structuredContent and as text, bound to a live actor', async () => {
    const { runtime } = cartServer();
    await openSession(runtime, 's');
    const result = resultOf(await call(runtime, 'cart_open', {}));
    const id = result.structuredContent?.cartId as string;
    // `cart_` then 144 bits of base64url.
    expect(id).toMatch(/^cart_[A-Za-z0-9_-]{24}$/);
    expect(result.content[0]).toEqual({ type: 'text', text: 'Cart ready with 0 items' });
    expect(result.content[1]).toEqual({ type: 'text', text: JSON.stringify({ cartId: id }) });
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 1, started: 1 });
    const ids = new Set(await Promise.all(Array.from({ length: 50 }, () => openCart(runtime))));
    expect(ids.size).toBe(50);
  });

  it('lists the opening tool with the lifetime and the tools that take the handle', async () => {
    const { runtime } = cartServer({ idleTimeoutMs: 15 * 60_000, header: 'CartId' });
    await openSession(runtime, 's');
    const answer = (await runtime.dispatch('s', request(1, 'tools/list'))) as unknown as {
      result: { tools: { name: string; description?: string; inputSchema: Record<string, unknown> }[] };
    };
    const byName = new Map(answer.result.tools.map((tool) => [tool.name, tool]));
    expect(byName.get('cart_open')?.description).toBe(
      'Opens a cart.\n\nReturns `cartId`, a `cart` handle (pass it to `cart_add`, `cart_view`, `cart_checkout`); it expires after 15 minutes without use.',
    );
    const properties = (byName.get('cart_add')?.inputSchema.properties ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    const property = properties.cartId;
    expect(property).toMatchObject({ type: 'string', 'x-mcp-header': 'CartId' });
    expect(runtime.paramHeadersOf('cart_add')).toEqual([
      { path: ['cartId'], header: 'CartId', fieldName: 'mcp-param-cartid', type: 'string' },
    ]);
  });

  it('leaves no handle behind when create throws, the handler throws, or it answers isError', async () => {
    const { runtime, stopped } = cartServer();
    await openSession(runtime, 's');
    for (const fail of ['create', 'throw', 'handler']) {
      const result = resultOf(await call(runtime, 'cart_open', { fail }));
      expect(result.isError, fail).toBe(true);
      expect(result.structuredContent).toBeUndefined();
    }
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 0, started: 3 });
    expect(stopped.map((event) => event.reason)).toEqual(['removed', 'removed', 'removed']);
  });
});

describe('state handles: calls', () => {
  it('keeps state across calls, as the handle id names it', async () => {
    const { runtime } = cartServer();
    await openSession(runtime, 's');
    const a = await openCart(runtime);
    const b = await openCart(runtime);
    await call(runtime, 'cart_add', { cartId: a, item: 'apple' });
    await call(runtime, 'cart_add', { cartId: a, item: 'pear' });
    await call(runtime, 'cart_add', { cartId: b, item: 'fig' });
    expect(resultOf(await call(runtime, 'cart_view', { cartId: a })).structuredContent).toEqual({
      items: ['apple', 'pear'],
    });
    expect(resultOf(await call(runtime, 'cart_view', { cartId: b })).structuredContent).toEqual({
      items: ['fig'],
    });
  });

  it('runs the calls on one handle one at a time in arrival order, and other handles beside them', async () => {
    const { runtime, log, release, gates } = cartServer();
    await openSession(runtime, 's');
    // Sessions run one request at a time by default; these calls come from three sessions so that
    // only the handle can order them.
    const runtimeOpen = async (sessionId: string) => openSession(runtime, sessionId);
    await runtimeOpen('t');
    await runtimeOpen('u');
    const a = await openCart(runtime);
    const b = await openCart(runtime);
    const first = call(runtime, 'cart_add', { cartId: a, item: 'one', gate: 'one' });
    await flush();
    const second = runtime.dispatch(
      't',
      request(nextId++, 'tools/call', { name: 'cart_add', arguments: { cartId: a, item: 'two' } }),
    );
    const other = runtime.dispatch(
      'u',
      request(nextId++, 'tools/call', { name: 'cart_add', arguments: { cartId: b, item: 'other' } }),
    );
    // The call on the other handle ran to its end while `one` holds handle `a`; `two` waits.
    expect(resultOf(await other).content[0]?.text).toBe('1 items');
    expect(log).toEqual(['start one', 'start other', 'end other']);
    expect(gates.has('one')).toBe(true);
    release('one');
    expect(resultOf(await first).content[0]?.text).toBe('1 items');
    expect(resultOf(await second).content[0]?.text).toBe('2 items');
    expect(log).toEqual(['start one', 'start other', 'end other', 'end one', 'start two', 'end two']);
  });

  it('answers an unknown id, a malformed one and another principal’s as a tool execution error', async () => {
    const { runtime } = cartServer();
    await openSession(runtime, 's');
    const alices = await openCart(runtime, 'alice');
    for (const [cartId, principal] of [
      ['cart_doesnotexist', 'alice'],
      [alices, 'bob'],
      [alices, undefined],
    ] as const) {
      const result = resultOf(await call(runtime, 'cart_view', { cartId }, principal));
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(
        /^Unknown or expired `cart` handle ".{16}…": .*Create a new one with `cart_open`, then retry with its `cartId`\.$/,
      );
      // Never the whole id back, never a hint that it exists for someone else.
      expect(result.content[0]?.text).not.toContain(alices);
    }
    expect(resultOf(await call(runtime, 'cart_view', { cartId: alices }, 'alice')).isError).toBeUndefined();
    const empty = resultOf(await call(runtime, 'cart_view', { cartId: '' }, 'alice'));
    expect(empty.isError).toBe(true);
    expect(empty.content[0]?.text).toMatch(/^Invalid arguments for tool `cart_view`/);
  });

  it('expires a handle after its idle timeout, and a call keeps it alive', async () => {
    const clock = new ManualClock();
    const { runtime, stopped } = cartServer({ clock, idleTimeoutMs: 60_000 });
    await openSession(runtime, 's');
    const id = await openCart(runtime);
    clock.advance(50_000);
    await call(runtime, 'cart_add', { cartId: id, item: 'apple' });
    clock.advance(50_000);
    expect(resultOf(await call(runtime, 'cart_view', { cartId: id })).structuredContent).toEqual({
      items: ['apple'],
    });
    clock.advance(60_001);
    expect(stopped).toEqual([{ kind: 'cart', handleId: id, reason: 'idle' }]);
    expect(resultOf(await call(runtime, 'cart_view', { cartId: id })).isError).toBe(true);
  });

  it('ends a handle that a handler closed, after the calls queued on it are answered', async () => {
    const { runtime, release } = cartServer();
    await openSession(runtime, 's');
    await openSession(runtime, 't');
    const id = await openCart(runtime);
    const busy = call(runtime, 'cart_add', { cartId: id, item: 'apple', gate: 'g' });
    await flush();
    const done = runtime.dispatch(
      't',
      request(nextId++, 'tools/call', { name: 'cart_checkout', arguments: { cartId: id } }),
    );
    release('g');
    expect(resultOf(await busy).content[0]?.text).toBe('1 items');
    expect(resultOf(await done).content[0]?.text).toBe('Bought 1 items');
    const after = resultOf(await call(runtime, 'cart_view', { cartId: id }));
    expect(after.isError).toBe(true);
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 0, stopped: { removed: 1 } });
  });

  it('is one handle for clients of both eras', async () => {
    const { runtime } = cartServer();
    await openSession(runtime, 's');
    const opened = (await callModern(runtime, 'cart_open', {})) as unknown as { result: Result };
    const id = opened.result.structuredContent?.cartId as string;
    await call(runtime, 'cart_add', { cartId: id, item: 'from 2025' });
    await callModern(runtime, 'cart_add', { cartId: id, item: 'from 2026' });
    const viewed = (await callModern(runtime, 'cart_view', { cartId: id })) as unknown as { result: Result };
    expect(viewed.result.structuredContent).toEqual({ items: ['from 2025', 'from 2026'] });
  });
});

describe('state handles: limits and shutdown', () => {
  it('refuses one handle more than maxPerPrincipal as a tool error, and maxHandles as overloaded', async () => {
    const { runtime } = cartServer({ maxPerPrincipal: 2, maxHandles: 3 });
    await openSession(runtime, 's');
    await openCart(runtime, 'alice');
    await openCart(runtime, 'alice');
    const third = resultOf(await call(runtime, 'cart_open', {}, 'alice'));
    expect(third.isError).toBe(true);
    expect(third.content[0]?.text).toMatch(/^You already hold 2 open `cart` handles, the most allowed/);
    await openCart(runtime, 'bob');
    const full = (await call(runtime, 'cart_open', {}, 'carol')) as {
      error: { code: number; data: unknown };
    };
    expect(full.error.code).toBe(-32011);
    expect(full.error.data).toMatchObject({ reason: 'overloaded', limit: 3 });
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 3, refused: 2 });
  });

  it('counts every unauthenticated caller as one principal against maxPerPrincipal', async () => {
    const { runtime } = cartServer({ maxPerPrincipal: 2 });
    await openSession(runtime, 's');
    await openSession(runtime, 't');
    const first = await openCart(runtime);
    await openCart(runtime);
    // Another session, still no principal: the same count.
    const third = (await runtime.dispatch(
      't',
      request(nextId++, 'tools/call', { name: 'cart_open', arguments: {} }),
    )) as JsonRpcResponse;
    expect(resultOf(third).isError).toBe(true);
    expect(resultOf(third).content[0]?.text).toMatch(/^You already hold 2 open `cart` handles/);
    // An authenticated principal has a count of its own.
    await openCart(runtime, 'alice');
    // Closing one of the anonymous handles gives its place back.
    await call(runtime, 'cart_checkout', { cartId: first });
    await openCart(runtime);
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 3, refused: 1 });
  });

  it('refuses a call beyond the handle’s mailbox with mailbox_full, losing none accepted', async () => {
    const { runtime, release } = cartServer({ mailboxCapacity: 1 });
    const sessions = ['s', 'a', 'b', 'c'];
    for (const sessionId of sessions) await openSession(runtime, sessionId);
    const id = await openCart(runtime);
    const calls = sessions.map((sessionId, index) =>
      runtime.dispatch(
        sessionId,
        request(nextId++, 'tools/call', {
          name: 'cart_add',
          arguments: { cartId: id, item: `i${index}`, ...(index === 0 ? { gate: 'g' } : {}) },
        }),
      ),
    );
    await flush();
    release('g');
    const answers = (await Promise.all(calls)) as JsonRpcResponse[];
    const refused = answers.filter((answer) => 'error' in answer);
    expect(refused).toHaveLength(2);
    for (const answer of refused) expect((answer as { error: { code: number } }).error.code).toBe(-32012);
    expect(resultOf(await call(runtime, 'cart_view', { cartId: id })).structuredContent).toEqual({
      items: ['i0', 'i1'],
    });
  });

  it('cancels a call waiting on a handle when its request is cancelled, and the handle goes on', async () => {
    const { runtime, release, log } = cartServer();
    await openSession(runtime, 's');
    await openSession(runtime, 't');
    const id = await openCart(runtime);
    const busy = call(runtime, 'cart_add', { cartId: id, item: 'one', gate: 'g' });
    await flush();
    const controller = new AbortController();
    const waiting = runtime.dispatch(
      't',
      request(nextId++, 'tools/call', { name: 'cart_add', arguments: { cartId: id, item: 'never' } }),
      { signal: controller.signal },
    );
    await flush();
    controller.abort();
    expect(await waiting).toBeUndefined();
    release('g');
    await busy;
    expect(log).not.toContain('start never');
    expect(resultOf(await call(runtime, 'cart_view', { cartId: id })).structuredContent).toEqual({
      items: ['one'],
    });
  });

  it('drains handles on close: a running call finishes, queued ones are answered, handles stop', async () => {
    const { runtime, release, stopped } = cartServer();
    await openSession(runtime, 's');
    await openSession(runtime, 't');
    const id = await openCart(runtime);
    const busy = call(runtime, 'cart_add', { cartId: id, item: 'one', gate: 'g' });
    await flush();
    const closed = runtime.close({ drainMs: 60_000 });
    await flush();
    release('g');
    expect(resultOf(await busy).content[0]?.text).toBe('1 items');
    await closed;
    expect(stopped).toEqual([{ kind: 'cart', handleId: id, reason: 'closed' }]);
    expect(runtime.metrics().handles.cart?.live).toBe(0);
  });

  it('cuts the drain short: a call still running when it ends is answered, the handle stops', async () => {
    const { runtime, stopped } = cartServer();
    await openSession(runtime, 's');
    const id = await openCart(runtime);
    const busy = call(runtime, 'cart_add', { cartId: id, item: 'stuck', gate: 'never' });
    await flush();
    await runtime.close({ drainMs: 0 });
    const answer = (await busy) as { error?: { data: { reason: string } } };
    expect(answer.error?.data.reason).toBe('shutting_down');
    expect(stopped.map((event) => event.reason)).toEqual(['closed']);
  });
});

describe('state handles: residency', () => {
  it('revives a resting handle without walking the runtime: no state of any handle is read', async () => {
    const clock = new ManualClock();
    let reads = 0;
    const probe = defineHandle({
      name: 'probe',
      // XState revives a restored context by reading every enumerable property it can reach; a
      // walk that crossed the runtime would reach this state through its handle.
      create: () =>
        Object.defineProperty({}, 'watched', {
          enumerable: true,
          get: () => {
            reads++;
            return 0;
          },
        }),
    });
    const runtime = createSessionRuntime({
      clock,
      restAfterMs: 1_000,
      tools: [
        defineTool({ name: 'probe_open', opens: probe, handler: () => 'open' }),
        defineTool({
          name: 'probe_close',
          handle: probe,
          inputSchema: { probeId: probe.idSchema },
          handler: (_args, ctx) => {
            ctx.handle.close();
            return 'closed';
          },
        }),
      ],
    });
    const stopped: string[] = [];
    runtime.events.on('handleStopped', ({ reason }) => stopped.push(reason));
    await openSession(runtime, 's');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const opened = resultOf(await call(runtime, 'probe_open', {}));
      ids.push(opened.structuredContent?.probeId as string);
    }
    // Quiet for restAfterMs: the handles put their lifecycle actors away.
    clock.advance(1_000);
    // Closing one revives it (its `remove`), and so does shutdown for the others.
    expect(resultOf(await call(runtime, 'probe_close', { probeId: ids[0] })).content[0]?.text).toBe('closed');
    await runtime.close({ drainMs: 0 });
    expect(stopped).toEqual(['removed', 'closed', 'closed']);
    expect(reads).toBe(0);
  });
});

describe('defineHandle and tools: definition errors', () => {
  const cart = defineHandle({ name: 'cart' });

  it.each([
    ['a bad name', () => defineHandle({ name: 'Cart!' })],
    ['a misspelt key', () => defineHandle({ name: 'cart', idleTimeout: 5 } as never)],
    ['a non-positive limit', () => defineHandle({ name: 'cart', maxPerPrincipal: 0 })],
    ['a fractional limit', () => defineHandle({ name: 'cart', maxHandles: 1.5 })],
    ['a bad header', () => defineHandle({ name: 'cart', header: 'Cart Id' })],
    ['a bad argument', () => defineHandle({ name: 'cart', argument: 'cart id' })],
    [
      'a tool without the id argument',
      () => defineTool({ name: 't', handle: cart, inputSchema: { other: z.string() }, handler: () => '' }),
    ],
    [
      'a tool whose id argument is optional',
      () =>
        defineTool({
          name: 't',
          handle: cart,
          inputSchema: { cartId: cart.idSchema.optional() },
          handler: () => '',
        }),
    ],
    [
      'a tool with handle and opens',
      () => defineTool({ name: 't', handle: cart, opens: cart, handler: () => '' }),
    ],
    [
      'a tool whose handle is not a kind',
      () => defineTool({ name: 't', opens: { name: 'cart' } as never, handler: () => '' }),
    ],
  ])('refuses %s with a TypeError', (_what, define) => {
    expect(define).toThrow(TypeError);
  });

  it('refuses two different kinds of one name in one runtime', () => {
    const other = defineHandle({ name: 'cart' });
    expect(() =>
      createSessionRuntime({
        tools: [
          defineTool({ name: 'a', opens: cart, handler: () => '' }),
          defineTool({ name: 'b', opens: other, handler: () => '' }),
        ],
      }),
    ).toThrow(/Two different handle kinds are named `cart`/);
  });

  it('names the argument after the kind by default', () => {
    expect(defineHandle({ name: 'shopping_cart' }).argument).toBe('shoppingCartId');
    expect(defineHandle({ name: 'doc-draft' }).argument).toBe('docDraftId');
  });
});
