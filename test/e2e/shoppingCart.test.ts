/**
 * The shopping cart example (examples/shopping-cart.ts) over HTTP with the official TypeScript
 * clients of both eras: the 2.x client pinned to 2026-07-28 (sessionless) and the 1.x SDK client
 * (a 2025 session). A cart is a state handle: either client can create one and the other can use
 * it (both are the same anonymous principal), checkout closes it, and a closed or idle-expired
 * cart is an `isError` result. The 2.x client mirrors `cartId` in `Mcp-Param-CartId`, which the
 * server requires of 2026-07-28 requests and checks against the body.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CartServer } from '../../examples/shopping-cart.js';
import { startCartServer } from '../../examples/shopping-cart.js';
import type { CallResult, CartClient } from '../../examples/shopping-cart-demo.js';
import { connectLegacy, connectModern, runDemo, textOf } from '../../examples/shopping-cart-demo.js';
import { ManualClock } from '../../src/index.js';

const MODERN = '2026-07-28';
const UNKNOWN = /^Unknown or expired `cart` handle "cart_.{11}…": .*Create a new one/;

interface CartContent {
  readonly lines: readonly {
    item: string;
    quantity: number;
    unitPriceCents: number;
    lineTotalCents: number;
  }[];
  readonly units: number;
  readonly totalCents: number;
}

const contentOf = (result: CallResult) => result.structuredContent as CartContent;
const quantities = (result: CallResult) =>
  Object.fromEntries(contentOf(result).lines.map((line) => [line.item, line.quantity]));

async function create(client: CartClient): Promise<string> {
  const result = await client.call('cart_create', {});
  expect(result.isError, textOf(result)).toBeFalsy();
  const id = (result.structuredContent as { cartId?: unknown }).cartId;
  expect(id).toMatch(/^cart_[A-Za-z0-9_-]{24}$/);
  return id as string;
}

/** A raw 2026-07-28 `tools/call` of `cart_view`, with `headers` added to the standard ones. */
function rawModernView(url: URL, cartId: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'cart_view',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'cart_view',
        arguments: { cartId },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
        },
      },
    }),
  });
}

describe('examples/shopping-cart.ts with the official clients of both eras', () => {
  let server: CartServer | undefined;
  const clients: CartClient[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    await server?.close();
    server = undefined;
  });

  const connectBoth = async (url: URL) => {
    const modern = await connectModern(url);
    const legacy = await connectLegacy(url);
    clients.push(modern, legacy);
    return { modern, legacy };
  };

  it('shares carts between a 2026-07-28 client and a 2025 session; checkout closes the cart', async () => {
    server = await startCartServer();
    const { runtime } = server;
    const { modern, legacy } = await connectBoth(server.url);
    expect({ version: modern.version, era: modern.era, session: modern.sessionId }).toEqual({
      version: MODERN,
      era: 'modern',
      session: undefined,
    });
    expect(legacy.version).toBe('2025-11-25');
    expect(legacy.sessionId).toMatch(/^[0-9a-f]{32}$/);
    await modern.listTools();

    // The 2.x client's cart, filled by both clients.
    const a = await create(modern);
    await modern.call('cart_add', { cartId: a, item: 'apple', quantity: 3 });
    const added = await legacy.call('cart_add', { cartId: a, item: 'coffee' });
    expect(quantities(added)).toEqual({ apple: 3, coffee: 1 });
    await modern.call('cart_remove', { cartId: a, item: 'apple', quantity: 1 });
    const viewedA = await legacy.call('cart_view', { cartId: a });
    expect(contentOf(viewedA)).toEqual({
      lines: [
        { item: 'apple', quantity: 2, unitPriceCents: 50, lineTotalCents: 100 },
        { item: 'coffee', quantity: 1, unitPriceCents: 899, lineTotalCents: 899 },
      ],
      units: 3,
      totalCents: 999,
    });

    // The 1.x client's cart, used by the 2.x client.
    const b = await create(legacy);
    await modern.call('cart_add', { cartId: b, item: 'bread', quantity: 2 });
    expect(quantities(await modern.call('cart_view', { cartId: b }))).toEqual({ bread: 2 });
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 2, started: 2 });
    // Only the 2025 client holds a session; carts are not sessions.
    expect(runtime.size).toBe(1);

    // Checkout by the other client closes each cart; a later call gets the isError result.
    const orderA = await legacy.call('cart_checkout', { cartId: a });
    expect(orderA.isError).toBeFalsy();
    expect(orderA.structuredContent).toMatchObject({
      orderId: expect.stringMatching(/^order_/),
      totalCents: 999,
    });
    const afterA = await modern.call('cart_view', { cartId: a });
    expect(afterA.isError).toBe(true);
    expect(textOf(afterA)).toMatch(UNKNOWN);
    const orderB = await modern.call('cart_checkout', { cartId: b });
    expect(orderB.structuredContent).toMatchObject({ units: 2, totalCents: 500 });
    const afterB = await legacy.call('cart_add', { cartId: b, item: 'fig' });
    expect(afterB.isError).toBe(true);
    expect(textOf(afterB)).toMatch(UNKNOWN);
    expect(runtime.metrics().handles.cart).toMatchObject({ live: 0, stopped: { removed: 2 } });

    // The ids travelled in the arguments; the 2.x client mirrored them in Mcp-Param-CartId, the
    // 1.x client sent none and kept its one session.
    const onCart = (client: CartClient) =>
      client.sent.filter((sent) => sent.method === 'tools/call' && sent.cartId !== undefined);
    expect(onCart(modern).length).toBeGreaterThan(0);
    for (const sent of onCart(modern)) expect(sent).toMatchObject({ cartIdHeader: sent.cartId, status: 200 });
    expect(modern.sent.every((sent) => sent.sessionId === null)).toBe(true);
    expect(onCart(legacy).every((sent) => sent.cartIdHeader === null)).toBe(true);
    expect(new Set(legacy.sent.slice(1).map((sent) => sent.sessionId))).toEqual(new Set([legacy.sessionId]));
  });

  it('lists the cart tools with the lifetime and the x-mcp-header on cartId', async () => {
    server = await startCartServer();
    const { modern } = await connectBoth(server.url);
    const tools = (await modern.listTools()) as readonly {
      name: string;
      description?: string;
      inputSchema: { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    }[];
    expect(tools.map((tool) => tool.name)).toEqual([
      'cart_create',
      'cart_add',
      'cart_remove',
      'cart_view',
      'cart_checkout',
    ]);
    expect(tools[0]?.description).toBe(
      'Creates an empty shopping cart.\n\nReturns `cartId`, a `cart` handle (pass it to `cart_add`, `cart_remove`, `cart_view`, `cart_checkout`); it expires after 15 minutes without use.',
    );
    for (const tool of tools.slice(1)) {
      expect(tool.inputSchema.properties?.cartId).toMatchObject({ type: 'string', 'x-mcp-header': 'CartId' });
      expect(tool.inputSchema.required).toContain('cartId');
    }
  });

  it('requires Mcp-Param-CartId of a 2026-07-28 request, matching the body; the 2.x client recovers when it had not listed the tools', async () => {
    server = await startCartServer();
    const { url } = server;
    const { modern, legacy } = await connectBoth(url);
    const id = await create(legacy);
    await legacy.call('cart_add', { cartId: id, item: 'fig' });

    // A 2.x client that has not listed the tools knows no x-mcp-header yet: its first call goes
    // without the header and is refused -32020 (HTTP 400); it lists the tools and retries with it.
    const viewed = await modern.call('cart_view', { cartId: id });
    expect(quantities(viewed)).toEqual({ fig: 1 });
    expect(modern.sent.map((sent) => [sent.method, sent.cartIdHeader, sent.status])).toEqual([
      ['server/discover', null, 200],
      ['tools/call', null, 400],
      ['tools/list', null, 200],
      ['tools/call', id, 200],
    ]);
    // From then on every call carries it at once.
    await modern.call('cart_add', { cartId: id, item: 'pear' });
    expect(modern.sent.at(-1)).toMatchObject({ tool: 'cart_add', cartIdHeader: id, status: 200 });

    // The server's side of it, raw: missing, or naming another cart, is -32020.
    const missing = await rawModernView(url, id, {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { code: -32020, data: { header: 'Mcp-Param-CartId', problem: 'missing', expected: id } },
    });
    const other = await rawModernView(url, id, { 'mcp-param-cartid': 'cart_someoneelsescart00000' });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: { code: -32020, data: { problem: 'mismatch' } } });
    const right = await rawModernView(url, id, { 'mcp-param-cartid': id });
    expect(right.status).toBe(200);
    const body = (await right.json()) as { result: CallResult };
    expect(quantities(body.result)).toEqual({ fig: 1, pear: 1 });
  });

  it('holds at most 10 carts per principal (every anonymous caller is one); checkout frees one', async () => {
    server = await startCartServer();
    const { modern, legacy } = await connectBoth(server.url);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await create(modern), await create(legacy));
    for (const client of [modern, legacy]) {
      const refused = await client.call('cart_create', {});
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/^You already hold 10 open `cart` handles, the most allowed/);
    }
    expect(server.runtime.metrics().handles.cart).toMatchObject({ live: 10, refused: 2 });
    // An empty cart cannot be checked out (a tool error; the cart stays open)...
    const empty = await modern.call('cart_checkout', { cartId: ids[0] });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toBe('The cart is empty: add something before checking out.');
    // ...a full one can, and that makes room for a new cart.
    await modern.call('cart_add', { cartId: ids[0], item: 'tea' });
    expect((await modern.call('cart_checkout', { cartId: ids[0] })).isError).toBeFalsy();
    await create(legacy);
  });

  it('answers a bad item or quantity as a tool error the model can correct', async () => {
    server = await startCartServer();
    const { modern } = await connectBoth(server.url);
    await modern.listTools();
    const id = await create(modern);
    const unknownItem = await modern.call('cart_add', { cartId: id, item: 'caviar' });
    expect(unknownItem.isError).toBe(true);
    expect(textOf(unknownItem)).toMatch(/^Invalid arguments for tool `cart_add`:\n.*item/s);
    const tooMany = await modern.call('cart_add', { cartId: id, item: 'apple', quantity: 100 });
    expect(tooMany.isError).toBe(true);
    await modern.call('cart_add', { cartId: id, item: 'apple', quantity: 99 });
    const over = await modern.call('cart_add', { cartId: id, item: 'apple' });
    expect(textOf(over)).toBe('A cart holds at most 99 of one item; this one has 99 apple.');
    const notHeld = await modern.call('cart_remove', { cartId: id, item: 'pear' });
    expect(textOf(notHeld)).toBe('The cart holds no pear.');
    const removed = await modern.call('cart_remove', { cartId: id, item: 'apple' });
    expect(contentOf(removed)).toEqual({ lines: [], units: 0, totalCents: 0 });
  });

  it('drops a cart after 15 minutes without a call; a call keeps it alive', async () => {
    const clock = new ManualClock();
    server = await startCartServer({ runtime: { clock } });
    const { modern, legacy } = await connectBoth(server.url);
    await modern.listTools();
    const id = await create(modern);
    await modern.call('cart_add', { cartId: id, item: 'pear' });
    clock.advance(14 * 60_000);
    expect(quantities(await legacy.call('cart_view', { cartId: id }))).toEqual({ pear: 1 });
    clock.advance(14 * 60_000);
    expect(quantities(await modern.call('cart_view', { cartId: id }))).toEqual({ pear: 1 });
    clock.advance(15 * 60_000);
    expect(server.runtime.metrics().handles.cart).toMatchObject({ live: 0, stopped: { idle: 1 } });
    const expired = await modern.call('cart_view', { cartId: id });
    expect(expired.isError).toBe(true);
    expect(textOf(expired)).toMatch(UNKNOWN);
    expect(textOf(expired)).toContain('it may have expired after 15 minutes without use');
  });

  it('runs the demo script end to end', async () => {
    server = await startCartServer();
    const lines: string[] = [];
    const failures = await runDemo(server.url, (line) => lines.push(line));
    expect(failures).toEqual([]);
    expect(lines.at(-1)).toBe('OK');
    expect(lines).toContain(
      'wire: ts client 2.x sent Mcp-Param-CartId on 5 of 5 calls with a cartId, and no Mcp-Session-Id on any request (0 had one)',
    );
    expect(server.runtime.metrics().handles.cart).toMatchObject({ live: 0, started: 2 });
  });
});
