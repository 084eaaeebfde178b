/**
 * A cluster of real instances for the forwarding tests: runtimes behind the Node handler on
 * ephemeral ports, sharing an in-memory placement (id → instance). The runtime's own use of a
 * placement (claims when an actor starts) is stood in for here: each runtime is wrapped so that it
 * reports the placement, locates through it, and claims its sessions when they start.
 */
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { StreamableHttpOptions } from '../../src/http/index.js';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
import type { ActorKey, ClusterNotification, Location, Placement } from '../../src/runtime/placement.js';
import { placementIdOf } from '../../src/runtime/placement.js';

/** The shared store of the fake: placement id → owning instance id, instance id → address. */
export class FakeDirectory {
  readonly owners = new Map<string, string>();
  readonly addresses = new Map<string, string>();
}

/** The whole {@link Placement} contract over a {@link FakeDirectory}; `locateWith` lets a test decide. */
export class FakePlacement implements Placement {
  /** When set, answers `locate` instead of the directory (a test's own verdict, or a rejection). */
  locateWith: ((id: string) => Promise<Location>) | undefined;
  /** The cluster's shared forwarding secret, if the test gives one. */
  forwardingKey: Uint8Array | undefined;
  private lost: ((id: string) => void) | undefined;
  private listener: ((notification: ClusterNotification) => void) | undefined;

  constructor(
    readonly instanceId: string,
    public address: string,
    private readonly directory: FakeDirectory,
  ) {}

  async claim(id: string): Promise<boolean> {
    const owner = this.directory.owners.get(id);
    if (owner === undefined) this.directory.owners.set(id, this.instanceId);
    return (owner ?? this.instanceId) === this.instanceId;
  }

  holds(id: string): boolean {
    return this.directory.owners.get(id) === this.instanceId;
  }

  release(id: string): void {
    if (this.holds(id)) this.directory.owners.delete(id);
  }

  async locate(id: string): Promise<Location> {
    if (this.locateWith !== undefined) return this.locateWith(id);
    const owner = this.directory.owners.get(id);
    if (owner === undefined) return { kind: 'none' };
    if (owner === this.instanceId) return { kind: 'local' };
    return { kind: 'remote', instanceId: owner, address: this.directory.addresses.get(owner) ?? '' };
  }

  onLost(listener: (id: string) => void): void {
    this.lost = listener;
  }

  publish(_notification: ClusterNotification): void {}

  onNotification(listener: (notification: ClusterNotification) => void): void {
    this.listener = listener;
  }

  /** Tells the runtime it lost `id` (unused by the HTTP side; the contract has it). */
  lose(id: string): void {
    this.lost?.(id);
  }

  /** Hands the runtime a notification of another instance (unused by the HTTP side). */
  deliver(notification: ClusterNotification): void {
    this.listener?.(notification);
  }
}

/**
 * `runtime` as a clustered runtime: `placement` is the fake, `locate` answers `local` for a live
 * session and asks the placement otherwise, every other member is the runtime's own.
 */
export function clustered(runtime: SessionRuntime, placement: Placement): SessionRuntime {
  const locate = (key: ActorKey): Promise<Location> =>
    key.kind === 'session' && runtime.has(key.id)
      ? Promise.resolve({ kind: 'local' })
      : placement.locate(placementIdOf(key));
  runtime.events.on('sessionStarted', ({ sessionId }) => void placement.claim(`session:${sessionId}`));
  runtime.events.on('sessionStopped', ({ sessionId }) => placement.release(`session:${sessionId}`));
  return new Proxy(runtime, {
    get(target, property) {
      if (property === 'placement') return placement;
      if (property === 'locate') return locate;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A request an instance received: its method, headers, and (Node form) its connection's close. */
export interface Received {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly forwardedBy: string | undefined;
  readonly closed: Promise<void> | undefined;
}

export interface Instance {
  readonly id: string;
  readonly url: URL;
  readonly address: string;
  readonly runtime: SessionRuntime;
  readonly placement: FakePlacement;
  readonly received: Received[];
  readonly errors: unknown[];
  /** Cuts every open connection of the server (the runtime goes on). */
  dropConnections(): void;
  /** Closes the runtime and the server (the process "gone"). Idempotent. */
  close(): Promise<void>;
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => {
    if (server.listening) resolve((server.address() as AddressInfo).port);
    else server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
}

export interface InstanceOptions {
  readonly runtime?: SessionRuntimeOptions;
  readonly http?: StreamableHttpOptions;
  /** The handler form: `node` (`createNodeHandler`) or `fetch` (`createFetchHandler` on Hono's Node server). */
  readonly kind?: 'node' | 'fetch';
  /** The placement's `forwardingKey`. */
  readonly forwardingKey?: Uint8Array;
}

/** Starts one instance of the cluster `directory`; `forwardTimeoutMs` is 200 unless `http` says otherwise. */
export async function startInstance(
  id: string,
  directory: FakeDirectory,
  options: InstanceOptions = {},
): Promise<Instance> {
  const base = createSessionRuntime(options.runtime);
  const placement = new FakePlacement(id, '', directory);
  placement.forwardingKey = options.forwardingKey;
  const runtime = clustered(base, placement);
  const errors: unknown[] = [];
  const httpOptions: StreamableHttpOptions = {
    forwardTimeoutMs: 200,
    onError: (error) => errors.push(error),
    ...options.http,
  };
  const received: Received[] = [];
  let server: Server;
  if (options.kind === 'fetch') {
    const mcp = createFetchHandler(runtime, httpOptions);
    server = serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (request: Request) => {
        const headers = Object.fromEntries(request.headers);
        received.push({
          method: request.method,
          headers,
          forwardedBy: headers['mcp-forwarded-by'],
          closed: undefined,
        });
        return mcp(request);
      },
    }) as Server;
  } else {
    const mcp = createNodeHandler(runtime, httpOptions);
    server = createServer((req: IncomingMessage, res) => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
      );
      const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
      received.push({ method: req.method ?? '', headers, forwardedBy: headers['mcp-forwarded-by'], closed });
      mcp(req, res);
    }).listen(0, '127.0.0.1');
  }
  const port = await listening(server);
  const address = `http://127.0.0.1:${port}`;
  placement.address = address;
  directory.addresses.set(id, address);
  let closing: Promise<void> | undefined;
  return {
    id,
    url: new URL(`${address}/mcp`),
    address,
    runtime,
    placement,
    received,
    errors,
    dropConnections: () => server.closeAllConnections(),
    close() {
      closing ??= (async () => {
        await base.close({ drainMs: 0 });
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      })();
      return closing;
    },
  };
}

export const postHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

export const initializeBody = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: { elicitation: {} },
    clientInfo: { name: 'forward', version: '1' },
  },
};

/** A raw POST with the headers a correct client sends, plus `headers`. */
export function post(
  url: URL,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...postHeaders, ...headers },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** Initializes a session at `url` (and sends `notifications/initialized` there); its id. */
export async function initialize(url: URL): Promise<string> {
  const response = await post(url, initializeBody);
  const sessionId = response.headers.get('mcp-session-id');
  await response.body?.cancel();
  if (response.status !== 200 || sessionId === null) throw new Error(`initialize failed: ${response.status}`);
  const initialized = await post(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
  );
  await initialized.body?.cancel();
  return sessionId;
}

/** The `data:` payloads of an SSE body, parsed, in order. */
export function eventsOf(text: string): unknown[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '')
    .map((data) => JSON.parse(data) as unknown);
}
