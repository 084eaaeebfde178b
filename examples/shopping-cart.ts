/**
 * A shopping cart kept in a state handle, served over Streamable HTTP on plain `node:http`:
 * http://127.0.0.1:3000/mcp (PORT and HOST change it).
 *
 *   npx tsx examples/shopping-cart.ts           # the server alone
 *   npm run example:cart                        # the server, driven by a 2026 and a 2025 client
 *
 * `cart_create` opens a `cart` handle and returns its id as `cartId` (in `structuredContent`, and
 * as text for clients that show the model only `content`); `cart_add`, `cart_remove`, `cart_view`
 * and `cart_checkout` take that id. Each cart is its own keyed actor: the calls on one cart run one
 * at a time in arrival order, calls on different carts in parallel, and a cart is dropped after 15
 * minutes without a call, or at checkout (`ctx.handle.close()`). An unknown, expired or
 * checked-out id is an `isError` result telling the model to create a new cart (MCP 2026-07-28,
 * SEP-2567, "Stateful Tools").
 *
 * A handle is not a session: the id travels in the tool arguments, so it works the same for a
 * 2025 client (inside its `Mcp-Session-Id` session, and after that session ends) and for a
 * 2026-07-28 client (which has no session at all). The id is also mirrored in the
 * `Mcp-Param-CartId` request header (`x-mcp-header`, SEP-2243) so that a load balancer can route
 * the calls on one cart to one instance without reading bodies; 2026-07-28 clients must send it.
 *
 * Carts are bound to the principal that created them. This server authenticates nobody, so every
 * caller is the same anonymous principal: any client holding a cart id can use it, and the
 * per-principal limit (10 carts) is shared by every anonymous caller. Behind authentication (see
 * examples/secured-server.ts) each user gets their own carts and their own limit.
 *
 * Examples import from `../src/…` so they run from a checkout; in your code, import from
 * `mcp-session-runtime` and `mcp-session-runtime/http`.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { closeGracefully, createNodeHandler } from '../src/http/index.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../src/index.js';
import { createSessionRuntime, defineHandle, defineTool, ToolError } from '../src/index.js';
import {
  exampleDrainMs,
  exampleEndpoint,
  exampleHost,
  examplePort,
  exitOnSignals,
  explainListenErrors,
} from './listen.js';
import { logHandlerFailures, logSessionLifecycle, shortHash } from './tools.js';

/** What the shop sells, with unit prices in cents. */
export const CATALOG = {
  apple: 50,
  pear: 60,
  fig: 120,
  bread: 250,
  tea: 450,
  coffee: 899,
} as const;

type Item = keyof typeof CATALOG;
const itemNames = Object.keys(CATALOG) as [Item, ...Item[]];

/** Most units of one item a cart may hold. */
export const MAX_QUANTITY = 99;

/** A cart's state: units per item, in the order they were first added. */
interface Cart {
  readonly lines: Map<Item, number>;
}

/** The `cart` handle kind: ids `cart_…`, 15 minutes idle, 10 per principal, `Mcp-Param-CartId`. */
export const cart = defineHandle<Cart>({
  name: 'cart',
  description: 'a shopping cart',
  header: 'CartId',
  create: () => ({ lines: new Map() }),
  idleTimeoutMs: 15 * 60_000,
  maxPerPrincipal: 10,
  maxHandles: 10_000,
});

const item = z.enum(itemNames).describe(`What to buy: one of ${itemNames.join(', ')}`);
const quantity = z.number().int().min(1).max(MAX_QUANTITY);

/** The cart as the model and the client read it: lines with prices, and the total, in cents. */
function summary(state: Cart) {
  const lines = [...state.lines].map(([name, count]) => ({
    item: name,
    quantity: count,
    unitPriceCents: CATALOG[name],
    lineTotalCents: count * CATALOG[name],
  }));
  const totalCents = lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  return { lines, units, totalCents };
}

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;

/** The text block and `structuredContent` of a cart. */
function cartResult(state: Cart, headline: string) {
  const content = summary(state);
  const listing =
    content.lines.length === 0
      ? 'The cart is empty.'
      : content.lines
          .map((line) => `${line.quantity} × ${line.item} at ${money(line.unitPriceCents)}`)
          .join('\n');
  return {
    content: [
      {
        type: 'text' as const,
        text: `${headline}\n${listing}\nTotal: ${money(content.totalCents)} (${content.units} items)`,
      },
    ],
    structuredContent: content,
  };
}

const cartCreate = defineTool({
  name: 'cart_create',
  title: 'Create a cart',
  description: 'Creates an empty shopping cart.',
  opens: cart,
  inputSchema: z.object({}),
  handler: () => 'Created an empty cart.',
});

const cartAdd = defineTool({
  name: 'cart_add',
  title: 'Add to a cart',
  description: `Adds \`quantity\` units of \`item\` to the cart (at most ${MAX_QUANTITY} of one item).`,
  handle: cart,
  inputSchema: z.object({ cartId: cart.idSchema, item, quantity: quantity.default(1) }),
  handler: ({ item: name, quantity: count }, ctx) => {
    const { lines } = ctx.handle.state;
    const next = (lines.get(name) ?? 0) + count;
    if (next > MAX_QUANTITY) {
      throw new ToolError(
        `A cart holds at most ${MAX_QUANTITY} of one item; this one has ${lines.get(name) ?? 0} ${name}.`,
      );
    }
    lines.set(name, next);
    return cartResult(ctx.handle.state, `Added ${count} × ${name}.`);
  },
});

const cartRemove = defineTool({
  name: 'cart_remove',
  title: 'Remove from a cart',
  description: 'Removes `quantity` units of `item` from the cart; without `quantity`, all of them.',
  handle: cart,
  inputSchema: z.object({ cartId: cart.idSchema, item, quantity: quantity.optional() }),
  handler: ({ item: name, quantity: count }, ctx) => {
    const { lines } = ctx.handle.state;
    const held = lines.get(name);
    if (held === undefined) throw new ToolError(`The cart holds no ${name}.`);
    const left = count === undefined ? 0 : Math.max(0, held - count);
    if (left === 0) lines.delete(name);
    else lines.set(name, left);
    return cartResult(ctx.handle.state, `Removed ${held - left} × ${name}.`);
  },
});

const cartView = defineTool({
  name: 'cart_view',
  title: 'View a cart',
  description: 'Shows what the cart holds and its total.',
  handle: cart,
  inputSchema: z.object({ cartId: cart.idSchema }),
  annotations: { readOnlyHint: true },
  handler: (_args, ctx) => cartResult(ctx.handle.state, 'Your cart:'),
});

const cartCheckout = defineTool({
  name: 'cart_checkout',
  title: 'Check out a cart',
  description: 'Places the order for everything in the cart. The cart is closed: its id no longer works.',
  handle: cart,
  inputSchema: z.object({ cartId: cart.idSchema }),
  handler: (_args, ctx) => {
    const order = summary(ctx.handle.state);
    if (order.units === 0) throw new ToolError('The cart is empty: add something before checking out.');
    // The calls already queued on this cart are answered first; later ones find no cart.
    ctx.handle.close();
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    return {
      content: [
        {
          type: 'text',
          text: `Order ${orderId} placed: ${order.units} items, ${money(order.totalCents)}. The cart is closed.`,
        },
      ],
      structuredContent: { orderId, ...order },
    };
  },
});

/** The cart tools, in the order `tools/list` shows them. */
export const cartTools = [cartCreate, cartAdd, cartRemove, cartView, cartCheckout] as const;

/**
 * The cart runtime. `options` are passed on (a clock for tests, limits); `options.tools` are served
 * beside the cart tools.
 */
export function createCartRuntime(options: SessionRuntimeOptions = {}): SessionRuntime {
  return createSessionRuntime({
    serverInfo: { name: 'shopping-cart', version: '1.0.0' },
    instructions: 'Create a cart with cart_create, then pass its cartId to the other cart tools.',
    ...options,
    tools: [...cartTools, ...(options.tools ?? [])],
  });
}

/**
 * Logs carts opening and closing to stderr, each by a short hash of its id: a cart id lets anyone
 * of its principal use the cart, so it is not written to logs whole.
 */
export function logCartLifecycle(runtime: SessionRuntime): void {
  runtime.events.on('handleStarted', ({ kind, handleId }) => {
    process.stderr.write(`${kind} opened: ${shortHash(handleId)}\n`);
  });
  runtime.events.on('handleStopped', ({ kind, handleId, reason }) => {
    process.stderr.write(`${kind} closed: ${shortHash(handleId)} (${reason})\n`);
  });
  runtime.events.on('handleRefused', ({ kind, reason, limit }) => {
    process.stderr.write(`${kind} refused: ${reason} (limit ${limit})\n`);
  });
}

/** An HTTP server with the MCP endpoint at /mcp; everything else is 404. */
export function createCartHttpServer(runtime: SessionRuntime): Server {
  const mcp = createNodeHandler(runtime, {
    health: true,
    onError: (error) =>
      process.stderr.write(`transport error: ${error instanceof Error ? error.stack : String(error)}\n`),
  });
  return createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (path === '/mcp' || path === '/health' || path === '/ready') mcp(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the MCP endpoint is /mcp\n');
  });
}

/** A running cart server. */
export interface CartServer {
  readonly url: URL;
  readonly runtime: SessionRuntime;
  /** Stops the runtime (running calls get `drainMs`, default 0) and the HTTP server. */
  close(drainMs?: number): Promise<void>;
}

/**
 * Starts the cart server on `port` (default 0: any free port) of `host` (default 127.0.0.1), for a
 * script or a test in the same process. `log` writes session, cart and failure lines to stderr.
 */
export async function startCartServer(
  options: { port?: number; host?: string; log?: boolean; runtime?: SessionRuntimeOptions } = {},
): Promise<CartServer> {
  const host = options.host ?? '127.0.0.1';
  const runtime = createCartRuntime(options.runtime);
  if (options.log === true) {
    logSessionLifecycle(runtime);
    logCartLifecycle(runtime);
    logHandlerFailures(runtime);
  }
  const server = createCartHttpServer(runtime);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://${host}:${port}/mcp`),
    runtime,
    async close(drainMs = 0) {
      await runtime.close({ drainMs });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runtime = createCartRuntime();
  logSessionLifecycle(runtime);
  logCartLifecycle(runtime);
  logHandlerFailures(runtime);
  const server = createCartHttpServer(runtime);
  explainListenErrors(server);
  server.listen(examplePort, exampleHost, () => {
    process.stderr.write(`Shopping cart MCP server listening on ${exampleEndpoint(server)}\n`);
  });
  // SIGTERM or Ctrl-C: refuse new work (503), let running calls finish (DRAIN_MS, default 5 s),
  // drop every cart, close the listener, exit 0.
  exitOnSignals(() => closeGracefully(server, runtime, { drainMs: exampleDrainMs }));
}
