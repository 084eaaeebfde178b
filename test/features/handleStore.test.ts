/**
 * The store hook of a kind of state handle (`defineHandle({ store })`): saved after creation and
 * after each call (inside the handle's slot, so in order), revived from its record when a call names
 * an id that is not live (a restart, a dead cluster owner), bound to its principal, deleted when the
 * handle ends for good, kept when the runtime closes or the lease is lost; fenced saves in a cluster.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type {
  HandleStore,
  JsonRpcResponse,
  RuntimeEvents,
  SessionRuntime,
  StoredHandle,
} from '../../src/index.js';
import {
  createSessionRuntime,
  defineHandle,
  defineTool,
  HandleStoreError,
  ManualClock,
  MemoryHandleStore,
  parseMessage,
  StaleFencingTokenError,
} from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import type { ClusterNotification, Location, Placement } from '../../src/runtime/placement.js';
import { deferred, flush, initializedNotification, initializeRequest, request } from '../helpers.js';

interface Cart {
  items: string[];
}

/** A store that records every operation and that the test can make fail or hold back. */
class RecordingStore implements HandleStore<Cart> {
  readonly inner = new MemoryHandleStore<Cart>();
  readonly log: string[] = [];
  failSaves = false;
  failLoads = false;
  loads = 0;
  /** Held back loads: the test resolves the gate to let them through. */
  loadGate: Promise<void> | undefined;

  async load(id: string): Promise<StoredHandle<Cart> | undefined> {
    this.loads++;
    this.log.push(`load ${id}`);
    await this.loadGate;
    if (this.failLoads) throw new Error('store down');
    const record = await this.inner.load(id);
    // A copy, as a store that serializes would hand back.
    return record === undefined ? undefined : { ...record, state: { items: [...record.state.items] } };
  }
  async save(id: string, record: StoredHandle<Cart>): Promise<void> {
    this.log.push(`save ${id} ${record.state.items.join(',')} ${record.fencingToken ?? '-'}`);
    if (this.failSaves) throw new Error('disk full');
    await this.inner.save(id, { ...record, state: { items: [...record.state.items] } });
  }
  async delete(id: string, fencingToken: number | undefined): Promise<void> {
    this.log.push(`delete ${id}`);
    await this.inner.delete(id, fencingToken);
  }
}

function cartServer(
  store: HandleStore<Cart>,
  options: { clock?: ManualClock; placement?: Placement; idleTimeoutMs?: number } = {},
) {
  const cart = defineHandle<Cart>({
    name: 'cart',
    create: () => ({ items: [] }),
    store,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
  });
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const tools = [
    defineTool({
      name: 'cart_open',
      opens: cart,
      inputSchema: { fail: z.boolean().optional() },
      handler: ({ fail }) =>
        fail === true ? { content: [{ type: 'text', text: 'no' }], isError: true } : 'opened',
    }),
    defineTool({
      name: 'cart_add',
      handle: cart,
      inputSchema: { cartId: cart.idSchema, item: z.string(), gate: z.string().optional() },
      handler: async ({ item, gate }, ctx) => {
        if (gate !== undefined) {
          const waiting = deferred<void>();
          gates.set(gate, waiting);
          await waiting.promise;
        }
        ctx.handle.state.items.push(item);
        return ctx.handle.state.items.join(',');
      },
    }),
    defineTool({
      name: 'cart_checkout',
      handle: cart,
      inputSchema: { cartId: cart.idSchema },
      handler: (_args, ctx) => {
        ctx.handle.close();
        return 'bought';
      },
    }),
  ];
  const runtime = createSessionRuntime({
    tools,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.placement === undefined ? {} : { placement: options.placement }),
  });
  const stopped: string[] = [];
  runtime.events.on('handleStopped', ({ reason }) => stopped.push(reason));
  const handlerErrors: unknown[] = [];
  runtime.events.on('handlerError', ({ error }) => handlerErrors.push(error));
  const storeErrors: Parameters<RuntimeEvents['handleStoreError']>[0][] = [];
  runtime.events.on('handleStoreError', (event) => storeErrors.push(event));
  const release = (gate: string) => gates.get(gate)?.resolve();
  return { runtime, stopped, handlerErrors, storeErrors, release, gates };
}

type Result = {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

let nextId = 1;

/** `tools/call` on a 2025 session of `principal` (opened on first use; `undefined`: unauthenticated). */
async function call(
  runtime: SessionRuntime,
  name: string,
  args: Record<string, unknown>,
  principal?: string,
): Promise<Result> {
  const sessionId = `s-${principal ?? 'anonymous'}`;
  const options = { principal: principal === undefined ? undefined : { id: principal } };
  await ensureSession(runtime, principal);
  const answer = (await runtime.dispatch(
    sessionId,
    request(nextId++, 'tools/call', { name, arguments: args }),
    options,
  )) as JsonRpcResponse;
  if (answer === undefined || !('result' in answer)) throw new Error(JSON.stringify(answer));
  return answer.result as unknown as Result;
}

/** Opens `principal`'s 2025 session unless it is open. */
async function ensureSession(runtime: SessionRuntime, principal?: string): Promise<void> {
  const sessionId = `s-${principal ?? 'anonymous'}`;
  const options = { principal: principal === undefined ? undefined : { id: principal } };
  if (runtime.has(sessionId, options)) return;
  await runtime.dispatch(sessionId, initializeRequest(), options);
  await runtime.dispatch(sessionId, initializedNotification, options);
}

/** `tools/call` at 2026-07-28 (no session), as the HTTP transport serves it. */
async function serveCall(
  runtime: SessionRuntime,
  name: string,
  args: Record<string, unknown>,
): Promise<Result> {
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
  const answer = (await runtime.serve(message, envelope)) as JsonRpcResponse;
  if (answer === undefined || !('result' in answer)) throw new Error(JSON.stringify(answer));
  return answer.result as unknown as Result;
}

async function openCart(runtime: SessionRuntime, principal?: string): Promise<string> {
  const result = await call(runtime, 'cart_open', {}, principal);
  const id = result.structuredContent?.cartId;
  if (typeof id !== 'string') throw new Error(JSON.stringify(result));
  return id;
}

async function openCartModern(runtime: SessionRuntime): Promise<string> {
  const id = (await serveCall(runtime, 'cart_open', {})).structuredContent?.cartId;
  if (typeof id !== 'string') throw new Error('cart_open failed');
  return id;
}

const textOf = (result: Result) => result.content[0]?.text;

describe('handle store: saving', () => {
  it('saves after the handle is created and after each call, in call order, before each answer', async () => {
    const store = new RecordingStore();
    const { runtime, release, gates } = cartServer(store);
    const id = await openCart(runtime);
    expect(store.log).toEqual([`save ${id}  -`]);
    const first = call(runtime, 'cart_add', { cartId: id, item: 'a', gate: 'g' });
    const second = call(runtime, 'cart_add', { cartId: id, item: 'b' });
    while (!gates.has('g')) await flush();
    // The second call waits behind the first: nothing saved yet.
    expect(store.log).toHaveLength(1);
    release('g');
    expect(textOf(await first)).toBe('a');
    // The first answer came after its save.
    expect(store.log[1]).toBe(`save ${id} a -`);
    expect(textOf(await second)).toBe('a,b');
    expect(store.log).toEqual([`save ${id}  -`, `save ${id} a -`, `save ${id} a,b -`]);
    await runtime.close();
  });

  it('answers a call whose save failed with a tool execution error and reports it', async () => {
    const store = new RecordingStore();
    const { runtime, handlerErrors } = cartServer(store);
    const id = await openCart(runtime);
    store.failSaves = true;
    const failed = await call(runtime, 'cart_add', { cartId: id, item: 'a' });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toContain('the change may not be kept');
    expect(handlerErrors).toHaveLength(1);
    expect(handlerErrors[0]).toBeInstanceOf(HandleStoreError);
    expect(handlerErrors[0]).toMatchObject({ operation: 'save', kind: 'cart', handleId: id });
    // The handle lives on with its state; the next save that succeeds keeps it.
    store.failSaves = false;
    expect(textOf(await call(runtime, 'cart_add', { cartId: id, item: 'b' }))).toBe('a,b');
    expect((await store.inner.load(id))?.state.items).toEqual(['a', 'b']);
    await runtime.close();
  });

  it('leaves no handle when the save of a new one fails, and deletes what it may have written', async () => {
    const store = new RecordingStore();
    store.failSaves = true;
    const { runtime, stopped } = cartServer(store);
    const result = await call(runtime, 'cart_open', {});
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(runtime.metrics().handles.cart?.live).toBe(0);
    expect(stopped).toEqual(['removed']);
    await flush();
    expect(store.log.map((line) => line.split(' ')[0])).toEqual(['save', 'delete']);
    await runtime.close();
  });

  it('never saves a creation that failed', async () => {
    const store = new RecordingStore();
    const { runtime } = cartServer(store);
    const result = await call(runtime, 'cart_open', { fail: true });
    expect(result.isError).toBe(true);
    await flush();
    expect(store.log).toEqual([]);
    await runtime.close();
  });
});

describe('handle store: ending', () => {
  it('deletes the record when a handler closes the handle', async () => {
    const store = new RecordingStore();
    const { runtime } = cartServer(store);
    const id = await openCart(runtime);
    expect(textOf(await call(runtime, 'cart_checkout', { cartId: id }))).toBe('bought');
    await flush();
    expect(store.log).toEqual([`save ${id}  -`, `delete ${id}`]);
    expect(store.inner.size).toBe(0);
    // Ended for good: no revival.
    expect((await call(runtime, 'cart_add', { cartId: id, item: 'x' })).isError).toBe(true);
    await runtime.close();
  });

  it('deletes the record when the handle expires idle', async () => {
    const clock = new ManualClock();
    const store = new RecordingStore();
    const { runtime, stopped } = cartServer(store, { clock, idleTimeoutMs: 1000 });
    const id = await openCart(runtime);
    clock.advance(1000);
    await flush();
    expect(stopped).toContain('idle');
    await flush();
    expect(store.log).toContain(`delete ${id}`);
    expect(store.inner.size).toBe(0);
    await runtime.close();
  });

  it('keeps the record when the runtime closes, and a new runtime revives the handle from it', async () => {
    const store = new RecordingStore();
    const first = cartServer(store);
    const id = await openCart(first.runtime, 'alice');
    await call(first.runtime, 'cart_add', { cartId: id, item: 'a' }, 'alice');
    await first.runtime.close();
    expect(first.stopped).toEqual(['closed']);
    expect(store.log.some((line) => line.startsWith('delete'))).toBe(false);
    // A restart: a new runtime over the same store.
    const second = cartServer(store);
    expect(textOf(await call(second.runtime, 'cart_add', { cartId: id, item: 'b' }, 'alice'))).toBe('a,b');
    expect(second.runtime.metrics().handles.cart?.live).toBe(1);
    expect((await store.inner.load(id))?.state.items).toEqual(['a', 'b']);
    await second.runtime.close();
  });

  it("answers another principal's record exactly as an unknown id, and revives nothing", async () => {
    const store = new RecordingStore();
    const first = cartServer(store);
    const id = await openCart(first.runtime, 'alice');
    await first.runtime.close();
    const second = cartServer(store);
    const unknown = await call(
      second.runtime,
      'cart_add',
      { cartId: 'cart_nonexistent-id-000', item: 'x' },
      'bob',
    );
    const others = await call(second.runtime, 'cart_add', { cartId: id, item: 'x' }, 'bob');
    expect(others.isError).toBe(true);
    expect(textOf(others)?.replace(/".*?"/, 'ID')).toBe(textOf(unknown)?.replace(/".*?"/, 'ID'));
    expect(second.runtime.metrics().handles.cart?.live).toBe(0);
    // Alice's handle is still hers.
    expect(textOf(await call(second.runtime, 'cart_add', { cartId: id, item: 'a' }, 'alice'))).toBe('a');
    await second.runtime.close();
  });

  it('revives one handle for concurrent calls on one id, loading its record once', async () => {
    const store = new RecordingStore();
    const first = cartServer(store);
    const id = await openCart(first.runtime);
    await first.runtime.close();
    const second = cartServer(store);
    const gate = deferred<void>();
    store.loadGate = gate.promise;
    // 2026-07-28 calls: no session orders them, they reach the handle side by side.
    const calls = ['a', 'b', 'c'].map((item) => serveCall(second.runtime, 'cart_add', { cartId: id, item }));
    while (store.loads === 0) await flush();
    await flush();
    gate.resolve();
    const texts = (await Promise.all(calls)).map(textOf);
    expect(texts).toEqual(['a', 'a,b', 'a,b,c']);
    expect(store.loads).toBe(1);
    expect(second.runtime.metrics().handles.cart).toMatchObject({ live: 1, started: 1 });
    await second.runtime.close();
  });

  it('answers a failed load with a tool execution error and reports it', async () => {
    const store = new RecordingStore();
    const { runtime, storeErrors } = cartServer(store);
    store.failLoads = true;
    const result = await call(runtime, 'cart_add', { cartId: 'cart_some-id-0000000000', item: 'x' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('could not be loaded');
    expect(storeErrors).toMatchObject([
      { kind: 'cart', operation: 'load', handleId: 'cart_some-id-0000000000' },
    ]);
    await runtime.close();
  });
});

describe('MemoryHandleStore', () => {
  it('refuses a save or delete with a fencing token lower than the highest seen', async () => {
    const store = new MemoryHandleStore<number>();
    await store.save('h', { state: 1, principal: undefined, fencingToken: 5 });
    await expect(store.save('h', { state: 0, principal: undefined, fencingToken: 4 })).rejects.toBeInstanceOf(
      StaleFencingTokenError,
    );
    await expect(store.delete('h', 4)).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect((await store.load('h'))?.state).toBe(1);
    await store.save('h', { state: 2, principal: undefined, fencingToken: 6 });
    await store.delete('h', 6);
    // The highest token outlives the record: a late writer cannot bring it back.
    await expect(store.save('h', { state: 9, principal: undefined, fencingToken: 5 })).rejects.toBeInstanceOf(
      StaleFencingTokenError,
    );
    expect(await store.load('h')).toBeUndefined();
  });
});

/** A cluster of fake instances: one lease per id, with a fencing token that grows per claim. */
class FakeCluster {
  readonly owners = new Map<string, { instance: FencedPlacement; token: number }>();
  private nextToken = 1;

  claim(instance: FencedPlacement, id: string): boolean {
    const owner = this.owners.get(id);
    if (owner !== undefined && owner.instance !== instance) return false;
    if (owner === undefined) this.owners.set(id, { instance, token: this.nextToken++ });
    return true;
  }
}

class FencedPlacement implements Placement {
  readonly address: string;
  private lostListener: ((id: string) => void) | undefined;

  constructor(
    readonly instanceId: string,
    private readonly cluster: FakeCluster,
  ) {
    this.address = `http://${instanceId}:3000`;
  }
  claim(id: string): Promise<boolean> {
    return Promise.resolve(this.cluster.claim(this, id));
  }
  holds(id: string): boolean {
    return this.cluster.owners.get(id)?.instance === this;
  }
  fencingToken(id: string): number | undefined {
    const owner = this.cluster.owners.get(id);
    return owner?.instance === this ? owner.token : undefined;
  }
  release(id: string): void {
    if (this.holds(id)) this.cluster.owners.delete(id);
  }
  locate(id: string): Promise<Location> {
    const owner = this.cluster.owners.get(id);
    if (owner === undefined) return Promise.resolve({ kind: 'none' });
    if (owner.instance === this) return Promise.resolve({ kind: 'local' });
    return Promise.resolve({
      kind: 'remote',
      instanceId: owner.instance.instanceId,
      address: owner.instance.address,
    });
  }
  onLost(listener: (id: string) => void): void {
    this.lostListener = listener;
  }
  publish(_notification: ClusterNotification): void {}
  onNotification(_listener: (notification: ClusterNotification) => void): void {}
  /** The lease lapsed (this instance paused past its deadline): the store took it away. */
  lapse(id: string): void {
    if (this.holds(id)) this.cluster.owners.delete(id);
  }
  /** Tells the runtime, as the lease keeper would once it noticed. */
  notifyLost(id: string): void {
    this.lostListener?.(id);
  }
}

describe('handle store: in a cluster', () => {
  it('lets the next owner revive a handle whose owner lost its lease; the old owner cannot overwrite it', async () => {
    const cluster = new FakeCluster();
    const store = new RecordingStore();
    const placementA = new FencedPlacement('a', cluster);
    const a = cartServer(store, { placement: placementA });
    const b = cartServer(store, { placement: new FencedPlacement('b', cluster) });
    const id = await openCartModern(a.runtime);
    const placementId = `handle:${id}`;
    expect(cluster.owners.get(placementId)?.token).toBe(1);
    expect(store.log).toEqual([`save ${id}  1`]);
    // A call on A waits inside its handler while A's lease lapses and B takes over.
    const late = serveCall(a.runtime, 'cart_add', { cartId: id, item: 'stale', gate: 'g' });
    while (!a.gates.has('g')) await flush();
    placementA.lapse(placementId);
    expect(textOf(await serveCall(b.runtime, 'cart_add', { cartId: id, item: 'fresh' }))).toBe('fresh');
    expect(cluster.owners.get(placementId)?.token).toBe(2);
    expect(store.log.at(-1)).toBe(`save ${id} fresh 2`);
    // A's handler ends after it lost the lease: it does not save (it no longer holds the id), and says so.
    a.release('g');
    const lateResult = await late;
    expect(lateResult.isError).toBe(true);
    expect(textOf(lateResult)).toContain('the change may not be kept');
    expect((await store.inner.load(id))?.state.items).toEqual(['fresh']);
    // And were a late save with A's old token to reach the store, the store refuses it.
    await expect(
      store.inner.save(id, { state: { items: ['stale'] }, principal: undefined, fencingToken: 1 }),
    ).rejects.toBeInstanceOf(StaleFencingTokenError);
    // A stops the handle as lease_lost, which keeps the record for B.
    placementA.notifyLost(placementId);
    await flush();
    expect(a.stopped).toContain('lease_lost');
    expect(store.log.some((line) => line.startsWith('delete'))).toBe(false);
    await a.runtime.close();
    await b.runtime.close();
  });

  it('does not revive an id another instance holds', async () => {
    const cluster = new FakeCluster();
    const store = new RecordingStore();
    const a = cartServer(store, { placement: new FencedPlacement('a', cluster) });
    const b = cartServer(store, { placement: new FencedPlacement('b', cluster) });
    const id = await openCartModern(a.runtime);
    // Reached on B without forwarding (the transport would have forwarded it): B's claim is refused.
    const refused = await serveCall(b.runtime, 'cart_add', { cartId: id, item: 'x' });
    expect(refused.isError).toBe(true);
    // Not "unknown": the record is the caller's, and a retry once the owner's lease lapses revives it.
    expect(textOf(refused)).toMatch(/held by another instance .* Retry in a few seconds; its state is kept/);
    expect(b.runtime.metrics().handles.cart?.live).toBe(0);
    expect(textOf(await serveCall(a.runtime, 'cart_add', { cartId: id, item: 'a' }))).toBe('a');
    await a.runtime.close();
    await b.runtime.close();
  });
});
