/**
 * The shopping cart (examples/shopping-cart.ts) driven by the official TypeScript clients of both
 * protocol eras at once, printing what each did and what went over the wire:
 *
 *   npm run example:cart                              # starts the server in this process
 *   npx tsx examples/shopping-cart-demo.ts URL        # drives a running server instead
 *
 * - `@modelcontextprotocol/client` 2.x pinned to 2026-07-28: no `initialize`, no session; it
 *   mirrors `cartId` in the `Mcp-Param-CartId` header, as the tools' `x-mcp-header` asks.
 * - `@modelcontextprotocol/sdk` 1.x: a 2025-11-25 `initialize` and an `Mcp-Session-Id` session.
 *
 * The two share carts: a cart one creates, the other fills, views and checks out (both callers are
 * the same anonymous principal). After checkout the cart id is answered with an `isError` result
 * ("Unknown or expired `cart` handle …"). Exit code 0 when everything went as described, 1 otherwise.
 */
import { pathToFileURL } from 'node:url';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startCartServer } from './shopping-cart.js';
import { shortHash } from './tools.js';

const MODERN = '2026-07-28';

/** One JSON-RPC request a client POSTed, with the headers that matter here and the HTTP status. */
export interface SentRequest {
  readonly method: string;
  /** `params.name` of a `tools/call`. */
  readonly tool: string | undefined;
  /** `params.arguments.cartId` of a `tools/call`. */
  readonly cartId: string | undefined;
  /** The `Mcp-Param-CartId` header sent with it. */
  readonly cartIdHeader: string | null;
  /** The `Mcp-Session-Id` header sent with it. */
  readonly sessionId: string | null;
  readonly status: number;
}

/** A tool result, as both client generations return it. */
export interface CallResult {
  readonly content: readonly { type: string; text?: string }[];
  readonly structuredContent?: unknown;
  readonly isError?: boolean | undefined;
}

/** One connected client of either era. */
export interface CartClient {
  readonly label: string;
  /** Every request it POSTed, in order. */
  readonly sent: SentRequest[];
  readonly version: string | undefined;
  readonly era: 'modern' | 'legacy' | undefined;
  readonly sessionId: string | undefined;
  listTools(): Promise<readonly { name: string; description?: string | undefined }[]>;
  call(name: string, args: Record<string, unknown>): Promise<CallResult>;
  /** Ends the client: a 2025 client DELETEs its session first. */
  close(): Promise<void>;
}

/** A `fetch` that records each POSTed request (and its answer's status), then forwards it. */
function recordingFetch(sent: SentRequest[]) {
  return async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'POST' && typeof init?.body === 'string') {
      const headers = new Headers(init.headers);
      const messages = [JSON.parse(init.body)].flat() as {
        method?: string;
        params?: { name?: unknown; arguments?: { cartId?: unknown } };
      }[];
      for (const message of messages) {
        if (message.method === undefined) continue;
        const cartId = message.params?.arguments?.cartId;
        sent.push({
          method: message.method,
          tool: typeof message.params?.name === 'string' ? message.params.name : undefined,
          cartId: typeof cartId === 'string' ? cartId : undefined,
          cartIdHeader: headers.get('mcp-param-cartid'),
          sessionId: headers.get('mcp-session-id'),
          status: response.status,
        });
      }
    }
    return response;
  };
}

/** The 2.x client pinned to 2026-07-28 (`versionNegotiation: { mode: { pin } }`). */
export async function connectModern(url: URL, label = 'ts client 2.x'): Promise<CartClient> {
  const sent: SentRequest[] = [];
  const client = new ClientV2(
    { name: label, version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  const transport = new TransportV2(url, { fetch: recordingFetch(sent) });
  await client.connect(transport);
  return {
    label,
    sent,
    version: client.getNegotiatedProtocolVersion(),
    era: client.getProtocolEra(),
    sessionId: transport.sessionId,
    listTools: async () => (await client.listTools()).tools,
    call: (name, args) => client.callTool({ name, arguments: args }) as Promise<CallResult>,
    close: () => client.close(),
  };
}

/** The 1.x client: a 2025-11-25 session. */
export async function connectLegacy(url: URL, label = 'ts sdk 1.x'): Promise<CartClient> {
  const sent: SentRequest[] = [];
  const client = new ClientV1({ name: label, version: '1.0.0' });
  const transport = new TransportV1(url, { fetch: recordingFetch(sent) });
  await client.connect(transport);
  return {
    label,
    sent,
    version: transport.protocolVersion,
    era: 'legacy',
    sessionId: transport.sessionId,
    listTools: async () => (await client.listTools()).tools,
    call: (name, args) => client.callTool({ name, arguments: args }) as Promise<CallResult>,
    async close() {
      await transport.terminateSession();
      await client.close();
    },
  };
}

/** The text of a result's first block. */
export const textOf = (result: CallResult): string => result.content[0]?.text ?? '';

/** A cart id as the step lines show it: its kind and first characters, enough to follow it. */
const short = (id: string) => `${id.slice(0, 11)}…`;

/**
 * Runs the demo against `url`, writing a line per step with `print`; resolves with the failures
 * (empty when every step went as described).
 */
export async function runDemo(url: URL, print: (line: string) => void): Promise<string[]> {
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) {
      failures.push(what);
      print(`  !! ${what}`);
    }
  };
  const modern = await connectModern(url);
  const legacy = await connectLegacy(url);
  try {
    print(
      `${modern.label}: negotiated ${modern.version} (${modern.era}), ${modern.sessionId === undefined ? 'no session' : 'a session'}`,
    );
    print(
      `${legacy.label}: negotiated ${legacy.version} (${legacy.era}), session ${legacy.sessionId === undefined ? 'none' : shortHash(legacy.sessionId)}`,
    );
    check(
      modern.version === MODERN && modern.sessionId === undefined,
      '2.x client is not sessionless 2026-07-28',
    );
    check(legacy.sessionId !== undefined, '1.x client holds no session');

    const tools = await modern.listTools();
    await legacy.listTools();
    print(`tools: ${tools.map((tool) => tool.name).join(', ')}`);

    const step = async (client: CartClient, name: string, args: Record<string, unknown>) => {
      const result = await client.call(name, args);
      const shown = Object.entries(args)
        .map(([key, value]) => `${key}=${key === 'cartId' ? short(String(value)) : JSON.stringify(value)}`)
        .join(' ');
      const last = client.sent.at(-1);
      const header =
        last?.cartIdHeader === null || last?.cartIdHeader === undefined
          ? ''
          : ` [Mcp-Param-CartId: ${short(last.cartIdHeader)}]`;
      print(`[${client.label}] ${name} ${shown}${header}`);
      for (const block of result.content) {
        for (const line of (block.text ?? `(${block.type})`).split('\n')) {
          print(`    ${result.isError ? 'isError: ' : ''}${line}`);
        }
      }
      return result;
    };
    const idOf = (result: CallResult) =>
      (result.structuredContent as { cartId?: string } | undefined)?.cartId;

    // A cart created by the 2026 client, filled by both, checked out by the 2025 client.
    const first = idOf(await step(modern, 'cart_create', {}));
    check(first?.startsWith('cart_') === true, 'cart_create returned no cartId');
    const a = first ?? '';
    await step(modern, 'cart_add', { cartId: a, item: 'apple', quantity: 3 });
    await step(legacy, 'cart_add', { cartId: a, item: 'coffee' });
    await step(modern, 'cart_remove', { cartId: a, item: 'apple', quantity: 1 });
    const viewed = await step(legacy, 'cart_view', { cartId: a });
    check(
      (viewed.structuredContent as { totalCents?: number } | undefined)?.totalCents === 2 * 50 + 899,
      'the shared cart does not hold 2 apples and 1 coffee',
    );

    // A cart created by the 2025 client, checked out by the 2026 client.
    const second = idOf(await step(legacy, 'cart_create', {}));
    const b = second ?? '';
    await step(modern, 'cart_add', { cartId: b, item: 'bread', quantity: 2 });
    await step(legacy, 'cart_add', { cartId: b, item: 'tea' });

    const orderA = await step(legacy, 'cart_checkout', { cartId: a });
    check(!orderA.isError, 'checkout of the 2.x client’s cart by the 1.x client failed');
    const afterA = await step(modern, 'cart_view', { cartId: a });
    check(
      afterA.isError === true && textOf(afterA).startsWith('Unknown or expired'),
      'a checked-out cart is still reachable',
    );
    const orderB = await step(modern, 'cart_checkout', { cartId: b });
    check(!orderB.isError, 'checkout of the 1.x client’s cart by the 2.x client failed');
    const afterB = await step(legacy, 'cart_add', { cartId: b, item: 'fig' });
    check(
      afterB.isError === true && textOf(afterB).startsWith('Unknown or expired'),
      'a checked-out cart is still reachable',
    );

    // What went over the wire.
    const onCart = (client: CartClient) =>
      client.sent.filter((sent) => sent.method === 'tools/call' && sent.cartId !== undefined);
    const mirrored = onCart(modern).filter((sent) => sent.cartIdHeader === sent.cartId);
    print(
      `wire: ${modern.label} sent Mcp-Param-CartId on ${mirrored.length} of ${onCart(modern).length} calls with a cartId, and no Mcp-Session-Id on any request (${modern.sent.filter((sent) => sent.sessionId !== null).length} had one)`,
    );
    check(mirrored.length === onCart(modern).length, '2.x client did not mirror cartId in every call');
    check(
      modern.sent.every((sent) => sent.sessionId === null),
      '2.x client sent an Mcp-Session-Id',
    );
    const legacySessions = new Set(legacy.sent.map((sent) => sent.sessionId).filter((id) => id !== null));
    print(
      `wire: ${legacy.label} sent no Mcp-Param-CartId (${onCart(legacy).filter((sent) => sent.cartIdHeader !== null).length} had one) and one Mcp-Session-Id on every request after initialize (${legacySessions.size} distinct)`,
    );
    check(legacySessions.size === 1, '1.x client used other than one session');
  } finally {
    await Promise.allSettled([modern.close(), legacy.close()]);
  }
  print(failures.length === 0 ? 'OK' : `FAILED: ${failures.length} checks`);
  return failures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const given = process.argv[2];
  const server = given === undefined ? await startCartServer({ log: true }) : undefined;
  const url = server?.url ?? new URL(given as string);
  process.stdout.write(`shopping cart at ${url.href}${server === undefined ? '' : ' (in this process)'}\n`);
  let failures: string[];
  try {
    failures = await runDemo(url, (line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    failures = ['the demo threw'];
  }
  await server?.close();
  process.exitCode = failures.length === 0 ? 0 : 1;
}
