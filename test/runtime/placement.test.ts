/**
 * The runtime on a `Placement` (the cluster contract), against an in-memory fake the test steers:
 * ids claimed before they leave the instance, released when their actor stops, fenced by `holds`
 * and `onLost` (`lease_lost`), `actorOf` and `locate` for routing, and the fan-out of
 * notifications both ways.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonRpcMessage, RuntimeEvents, SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  defineHandle,
  defineResource,
  defineTool,
  ManualClock,
  parseMessage,
} from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import type { ClusterNotification, Location, Placement } from '../../src/runtime/placement.js';
import { PlacementUnavailableError } from '../../src/runtime/placement.js';
import { deferred, flush, initializeRequest, openSession, request } from '../helpers.js';
import { FakePlacement } from './fakePlacement.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read in assertions
type Json = Record<string, any>;

const TASKS = 'io.modelcontextprotocol/tasks';

function setUp(options: { placement?: FakePlacement | undefined; clock?: ManualClock } = {}) {
  const placement = 'placement' in options ? options.placement : new FakePlacement();
  const clock = options.clock ?? new ManualClock();
  const gate = deferred<void>();
  const signals: AbortSignal[] = [];
  const cart = defineHandle<{ items: string[] }>({
    name: 'cart',
    idleTimeoutMs: 60_000,
    create: () => ({ items: [] }),
  });
  const tools = [
    defineTool({
      name: 'wait',
      handler: async (_args, ctx) => {
        signals.push(ctx.signal);
        await new Promise<void>((resolve, reject) => {
          gate.promise.then(resolve);
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        });
        return 'waited';
      },
    }),
    defineTool({ name: 'cart_open', opens: cart, handler: () => 'opened' }),
    defineTool({
      name: 'cart_add',
      handle: cart,
      inputSchema: { cartId: cart.idSchema, item: z.string() },
      handler: ({ item }, ctx) => {
        ctx.handle.state.items.push(item);
        return `${ctx.handle.state.items.length} items`;
      },
    }),
    defineTool({
      name: 'cart_close',
      handle: cart,
      inputSchema: { cartId: cart.idSchema },
      handler: (_args, ctx) => {
        ctx.handle.close();
        return 'closed';
      },
    }),
    defineTool({
      name: 'job',
      execution: { taskSupport: 'optional' },
      handler: () => 'job done',
    }),
  ];
  const runtime = createSessionRuntime({
    clock,
    tools,
    resources: [defineResource({ uri: 'test://doc', name: 'Doc', read: () => 'doc' })],
    tasks: { ttlMs: 10_000 },
    ...(placement === undefined ? {} : { placement }),
  });
  const stopped: { kind: string; id: string; reason: string }[] = [];
  const onSession: RuntimeEvents['sessionStopped'] = ({ sessionId, reason }) =>
    stopped.push({ kind: 'session', id: sessionId, reason });
  const onHandle: RuntimeEvents['handleStopped'] = ({ handleId, reason }) =>
    stopped.push({ kind: 'handle', id: handleId, reason });
  runtime.events.on('sessionStopped', onSession);
  runtime.events.on('handleStopped', onHandle);
  return { runtime, placement: placement as FakePlacement, clock, gate, signals, stopped };
}

let nextId = 1;

/** A 2026-07-28 request, classified, with its envelope. */
function modern(method: string, params: Json, tasks = false) {
  const message = parseMessage({
    jsonrpc: '2.0',
    id: nextId++,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': tasks ? { extensions: { [TASKS]: {} } } : {},
      },
    },
  }) as IncomingRequest;
  const envelope = readEnvelope(message.params);
  if (typeof envelope === 'string') throw new Error(envelope);
  return { message, envelope };
}

async function serve(runtime: SessionRuntime, method: string, params: Json, tasks = false): Promise<Json> {
  const { message, envelope } = modern(method, params, tasks);
  return (await runtime.serve(message, envelope)) as unknown as Json;
}

const openCart = async (runtime: SessionRuntime): Promise<string> => {
  const answer = await serve(runtime, 'tools/call', { name: 'cart_open', arguments: {} });
  const cartId = answer.result?.structuredContent?.cartId;
  if (typeof cartId !== 'string') throw new Error(`cart_open failed: ${JSON.stringify(answer)}`);
  return cartId;
};

const startTask = async (runtime: SessionRuntime): Promise<string> => {
  const answer = await serve(runtime, 'tools/call', { name: 'job', arguments: {} }, true);
  const taskId = answer.result?.taskId;
  if (typeof taskId !== 'string') throw new Error(`job failed: ${JSON.stringify(answer)}`);
  return taskId;
};

/** The live tasks of a runtime (no public counter holds them). */
const liveTasks = (runtime: SessionRuntime): number =>
  (runtime as unknown as { readonly tasks: { readonly size: number } }).tasks.size;

describe('the placement option', () => {
  it('is what runtime.placement returns, and undefined without one', () => {
    const placement = new FakePlacement();
    expect(createSessionRuntime({ placement }).placement).toBe(placement);
    expect(createSessionRuntime().placement).toBeUndefined();
  });

  it('refuses an object without the interface functions with a TypeError', () => {
    expect(() => createSessionRuntime({ placement: {} as Placement })).toThrow(TypeError);
    const { publish: _publish, ...partial } = new FakePlacement();
    expect(() => createSessionRuntime({ placement: partial as unknown as Placement })).toThrow(/placement/);
  });

  it('unregisters its listeners from the placement once closed, not before', async () => {
    const { runtime, placement, stopped } = setUp();
    await openSession(runtime, 's1');
    runtime.dispatch('s1', request(1, 'tools/call', { name: 'wait', arguments: {} }));
    await flush();
    const closed = runtime.close({ drainMs: 60_000 });
    // Draining: a lost lease still stops its actor at once.
    expect(placement.listening).toEqual({ lost: true, notifications: true });
    placement.lose('session:s1');
    expect(stopped).toEqual([{ kind: 'session', id: 's1', reason: 'lease_lost' }]);
    await closed;
    expect(placement.listening).toEqual({ lost: false, notifications: false });
    // What the placement tells afterwards reaches nothing of the closed runtime, and throws nothing.
    expect(() => placement.lose('session:s2')).not.toThrow();
    expect(() => placement.receive({ type: 'listChanged', list: 'tools' })).not.toThrow();
    expect(stopped).toHaveLength(1);
  });

  it('leaves the listeners of a placement that returns no unsubscribe function (the older contract)', async () => {
    const placement = new FakePlacement();
    const older: Placement = Object.assign(Object.create(placement) as FakePlacement, {
      onLost(listener: (id: string) => void): void {
        placement.onLost(listener);
      },
      onNotification(listener: (notification: ClusterNotification) => void): void {
        placement.onNotification(listener);
      },
    });
    const runtime = createSessionRuntime({ placement: older });
    await runtime.close({ drainMs: 0 });
    expect(placement.listening).toEqual({ lost: true, notifications: true });
  });

  it('reports an unsubscribe that throws as listenerError, and still closes', async () => {
    const placement = new FakePlacement();
    const failing: Placement = Object.assign(Object.create(placement) as FakePlacement, {
      onLost(listener: (id: string) => void): () => void {
        placement.onLost(listener);
        return () => {
          throw new Error('cannot unsubscribe');
        };
      },
    });
    const runtime = createSessionRuntime({ placement: failing });
    const errors: unknown[] = [];
    runtime.events.on('listenerError', ({ error }) => errors.push(error));
    await runtime.close({ drainMs: 0 });
    expect(errors).toEqual([new Error('cannot unsubscribe')]);
    expect(placement.listening).toEqual({ lost: true, notifications: false });
  });
});

describe('claims before the id leaves this instance', () => {
  it('answers initialize only once the session id is claimed, with no session before', async () => {
    const { runtime, placement } = setUp();
    placement.claimAnswer = 'hold';
    const answer = runtime.dispatch('s1', initializeRequest());
    await flush();
    expect(placement.heldBack.map((claim) => claim.id)).toEqual(['session:s1']);
    expect(runtime.size).toBe(0);
    let settled = false;
    void answer.then(() => {
      settled = true;
    });
    await flush();
    expect(settled).toBe(false);
    placement.heldBack[0]?.settle(true);
    expect(((await answer) as Json).result.protocolVersion).toBe('2025-11-25');
    expect(runtime.has('s1')).toBe(true);
  });

  it('returns an opened handle only once its id is claimed', async () => {
    const { runtime, placement } = setUp();
    placement.claimAnswer = 'hold';
    const answer = serve(runtime, 'tools/call', { name: 'cart_open', arguments: {} });
    await flush();
    expect(placement.heldBack).toHaveLength(1);
    expect(runtime.metrics().handles.cart?.live).toBe(0);
    const claim = placement.heldBack[0] as { id: string; settle: (granted: boolean) => void };
    claim.settle(true);
    const cartId = (await answer).result.structuredContent.cartId;
    expect(claim.id).toBe(`handle:${cartId}`);
    expect(runtime.metrics().handles.cart?.live).toBe(1);
  });

  it('answers CreateTaskResult only once the task id is claimed', async () => {
    const { runtime, placement } = setUp();
    placement.claimAnswer = 'hold';
    const answer = serve(runtime, 'tools/call', { name: 'job', arguments: {} }, true);
    await flush();
    expect(placement.heldBack).toHaveLength(1);
    expect(liveTasks(runtime)).toBe(0);
    const claim = placement.heldBack[0] as { id: string; settle: (granted: boolean) => void };
    claim.settle(true);
    const taskId = (await answer).result.taskId;
    expect(claim.id).toBe(`task:${taskId}`);
    expect(liveTasks(runtime)).toBe(1);
  });

  it('never claims for a message to a live session', async () => {
    const { runtime, placement } = setUp();
    await openSession(runtime, 's1');
    const claims = placement.claims.length;
    expect(await runtime.dispatch('s1', request(1, 'ping'))).toMatchObject({ result: {} });
    expect(placement.claims).toHaveLength(claims);
  });

  it('answers a refused claim as an unknown session, a handle or task as overloaded, and starts nothing', async () => {
    const { runtime, placement } = setUp();
    placement.claimAnswer = 'refuse';
    const session = (await runtime.dispatch('s1', initializeRequest())) as Json;
    expect(session.error).toMatchObject({ code: -32001, data: { reason: 'session_not_found' } });
    const handle = await serve(runtime, 'tools/call', { name: 'cart_open', arguments: {} });
    expect(handle.error).toMatchObject({ code: -32011, data: { reason: 'overloaded' } });
    const task = await serve(runtime, 'tools/call', { name: 'job', arguments: {} }, true);
    expect(task.error).toMatchObject({ code: -32011, data: { reason: 'overloaded' } });
    expect(runtime.size).toBe(0);
    expect(runtime.metrics().handles.cart?.live).toBe(0);
    expect(liveTasks(runtime)).toBe(0);
    expect(runtime.metrics().rejected.claim_refused).toBe(3);
    expect(placement.releases).toEqual([]);
  });

  it('answers an unavailable placement -32024 with retryAfterSeconds, and leaves no actor', async () => {
    const { runtime, placement } = setUp();
    placement.claimAnswer = 'unavailable';
    const unavailable = {
      code: -32024,
      message: 'Cluster directory unavailable',
      data: { reason: 'cluster_unavailable', retryAfterSeconds: 7 },
    };
    expect(((await runtime.dispatch('s1', initializeRequest())) as Json).error).toEqual(unavailable);
    const handle = await serve(runtime, 'tools/call', { name: 'cart_open', arguments: {} });
    expect(handle.error).toEqual(unavailable);
    const task = await serve(runtime, 'tools/call', { name: 'job', arguments: {} }, true);
    expect(task.error).toEqual(unavailable);
    expect(runtime.size).toBe(0);
    expect(runtime.metrics().handles.cart?.live).toBe(0);
    expect(liveTasks(runtime)).toBe(0);
    expect(runtime.metrics().rejected.cluster_unavailable).toBe(3);
  });

  it('gives a claim back when the session could not be created after all', async () => {
    const placement = new FakePlacement();
    const runtime = createSessionRuntime({ placement, maxSessions: 1 });
    await openSession(runtime, 's1');
    const answer = (await runtime.dispatch('s2', initializeRequest())) as Json;
    expect(answer.error.data.reason).toBe('overloaded');
    expect(placement.releases).toEqual(['session:s2']);
    expect(placement.held.has('session:s1')).toBe(true);
  });
});

describe('close() and claims still in flight', () => {
  it('resolves only once a pending claimed creation was refused and its claim given back', async () => {
    const { runtime, placement } = setUp();
    placement.claimAnswer = 'hold';
    const answer = runtime.dispatch('new-session', initializeRequest());
    await flush();
    let closed = false;
    const closing = runtime.close({ drainMs: 0 }).then(() => {
      closed = true;
    });
    await flush();
    expect(closed).toBe(false);
    placement.heldBack[0]?.settle(true);
    await closing;
    expect(await answer).toMatchObject({ error: { code: -32013 } });
    expect(placement.releases).toContain('session:new-session');
  });
});

describe('release when an actor stops', () => {
  it('releases a session that stops idle, removed, closed or lost', async () => {
    const { runtime, placement, clock, stopped } = setUp();
    for (const id of ['idle', 'removed', 'lost', 'closed']) await openSession(runtime, id);
    clock.advance(29 * 60_000);
    for (const id of ['removed', 'lost', 'closed']) await runtime.dispatch(id, request(1, 'ping'));
    clock.advance(60_000);
    runtime.remove('removed');
    placement.lose('session:lost');
    await runtime.close({ drainMs: 0 });
    expect(stopped).toEqual([
      { kind: 'session', id: 'idle', reason: 'idle' },
      { kind: 'session', id: 'removed', reason: 'removed' },
      { kind: 'session', id: 'lost', reason: 'lease_lost' },
      { kind: 'session', id: 'closed', reason: 'closed' },
    ]);
    expect(placement.releases).toEqual(['session:idle', 'session:removed', 'session:lost', 'session:closed']);
    expect(runtime.metrics().sessionsStopped).toEqual({
      idle: 1,
      removed: 1,
      swept: 0,
      closed: 1,
      lease_lost: 1,
    });
  });

  it('releases a handle that is closed, expires or is lost, and a task at the end of its ttl', async () => {
    const { runtime, placement, clock, stopped } = setUp();
    const closed = await openCart(runtime);
    const idle = await openCart(runtime);
    const lost = await openCart(runtime);
    await serve(runtime, 'tools/call', { name: 'cart_close', arguments: { cartId: closed } });
    placement.lose(`handle:${lost}`);
    const taskId = await startTask(runtime);
    await flush();
    clock.advance(60_000);
    await flush();
    expect(stopped).toEqual([
      { kind: 'handle', id: closed, reason: 'removed' },
      { kind: 'handle', id: lost, reason: 'lease_lost' },
      { kind: 'handle', id: idle, reason: 'idle' },
    ]);
    // The task's ttl (10 s) ends before the idle handle's timeout (60 s).
    expect(placement.releases).toEqual([
      `handle:${closed}`,
      `handle:${lost}`,
      `task:${taskId}`,
      `handle:${idle}`,
    ]);
  });
});

describe('fencing', () => {
  it('stops a session whose id this instance no longer holds and answers as for an unknown session', async () => {
    const { runtime, placement, stopped } = setUp();
    await openSession(runtime, 's1');
    placement.held.delete('session:s1');
    const answer = (await runtime.dispatch('s1', request(1, 'ping'))) as Json;
    expect(answer.error).toMatchObject({ code: -32001, data: { reason: 'session_not_found' } });
    expect(stopped).toEqual([{ kind: 'session', id: 's1', reason: 'lease_lost' }]);
    expect(runtime.has('s1')).toBe(false);
    expect(placement.releases).toEqual(['session:s1']);
  });

  it('answers a handle or task no longer held as unknown, and stops it', async () => {
    const { runtime, placement, stopped } = setUp();
    const cartId = await openCart(runtime);
    const taskId = await startTask(runtime);
    placement.held.delete(`handle:${cartId}`);
    placement.held.delete(`task:${taskId}`);
    const add = await serve(runtime, 'tools/call', { name: 'cart_add', arguments: { cartId, item: 'x' } });
    expect(add.result.isError).toBe(true);
    expect(add.result.content[0].text).toMatch(/^Unknown or expired `cart` handle/);
    expect(stopped).toEqual([{ kind: 'handle', id: cartId, reason: 'lease_lost' }]);
    const get = await serve(runtime, 'tasks/get', { taskId }, true);
    expect(get.error).toMatchObject({ code: -32602, message: 'Task not found (unknown or expired)' });
    expect(liveTasks(runtime)).toBe(0);
  });

  it('stops an awake session at once on onLost: its running request settles, its queued one is answered', async () => {
    const { runtime, placement, signals, stopped } = setUp();
    await openSession(runtime, 's1');
    const running = runtime.dispatch('s1', request(1, 'tools/call', { name: 'wait', arguments: {} }));
    const queued = runtime.dispatch('s1', request(2, 'tools/call', { name: 'wait', arguments: {} }));
    await flush();
    expect(signals).toHaveLength(1);
    placement.lose('session:s1');
    expect(((await running) as Json).error.data.reason).toBe('session_closed');
    expect(((await queued) as Json).error.data.reason).toBe('session_closed');
    await flush();
    expect(signals[0]?.aborted).toBe(true);
    expect(stopped).toEqual([{ kind: 'session', id: 's1', reason: 'lease_lost' }]);
    expect(runtime.size).toBe(0);
  });

  it('ignores a lost id that names no live actor here', async () => {
    const { runtime, placement, stopped } = setUp();
    await openSession(runtime, 's1');
    placement.lose('session:other');
    placement.lose('handle:cart_nothing');
    placement.lose('task:nothing');
    expect(stopped).toEqual([]);
    expect(runtime.has('s1')).toBe(true);
  });
});

describe('actorOf', () => {
  it('names the handle of a tool that takes one, and the task of tasks/*', () => {
    const { runtime } = setUp();
    const of = (method: string, params: Json) => runtime.actorOf(modern(method, params).message);
    expect(of('tools/call', { name: 'cart_add', arguments: { cartId: 'cart_abc', item: 'x' } })).toEqual({
      kind: 'handle',
      id: 'cart_abc',
    });
    expect(of('tasks/get', { taskId: 't1' })).toEqual({ kind: 'task', id: 't1' });
    expect(of('tasks/cancel', { taskId: 't1' })).toEqual({ kind: 'task', id: 't1' });
  });

  it('names nothing for a tool without a handle, a missing or non-string id, or an unknown tool', () => {
    const { runtime } = setUp();
    const of = (method: string, params: Json) => runtime.actorOf(modern(method, params).message);
    expect(of('tools/call', { name: 'cart_open', arguments: {} })).toBeUndefined();
    expect(of('tools/call', { name: 'cart_add', arguments: { item: 'x' } })).toBeUndefined();
    expect(of('tools/call', { name: 'cart_add', arguments: { cartId: 7 } })).toBeUndefined();
    expect(of('tools/call', { name: 'nope', arguments: { cartId: 'cart_abc' } })).toBeUndefined();
    expect(of('tools/list', {})).toBeUndefined();
  });
});

describe('locate', () => {
  it('is always local without a placement', async () => {
    const { runtime } = setUp({ placement: undefined });
    expect(await runtime.locate({ kind: 'session', id: 'unknown' })).toEqual({ kind: 'local' });
  });

  it('is local for a live actor held here, without asking the placement', async () => {
    const { runtime, placement } = setUp();
    await openSession(runtime, 's1');
    const cartId = await openCart(runtime);
    const taskId = await startTask(runtime);
    for (const key of [
      { kind: 'session', id: 's1' },
      { kind: 'handle', id: cartId },
      { kind: 'task', id: taskId },
    ] as const)
      expect(await runtime.locate(key)).toEqual({ kind: 'local' });
    expect(placement.located).toEqual([]);
  });

  it('asks the placement otherwise: remote, none, and a remote that is this instance is local', async () => {
    const { runtime, placement } = setUp();
    const elsewhere: Location = { kind: 'remote', instanceId: 'instance-b', address: 'http://10.0.0.2:3000' };
    placement.locations.set('session:b', elsewhere);
    placement.locations.set('task:mine', {
      kind: 'remote',
      instanceId: 'instance-a',
      address: placement.address,
    });
    expect(await runtime.locate({ kind: 'session', id: 'b' })).toEqual(elsewhere);
    expect(await runtime.locate({ kind: 'task', id: 'mine' })).toEqual({ kind: 'local' });
    expect(await runtime.locate({ kind: 'handle', id: 'cart_x' })).toEqual({ kind: 'none' });
    expect(placement.located).toEqual(['session:b', 'task:mine', 'handle:cart_x']);
  });

  it('asks the placement for a live actor this instance no longer holds (and stops it)', async () => {
    const { runtime, placement, stopped } = setUp();
    await openSession(runtime, 's1');
    placement.held.delete('session:s1');
    expect(await runtime.locate({ kind: 'session', id: 's1' })).toEqual({ kind: 'none' });
    expect(stopped).toEqual([{ kind: 'session', id: 's1', reason: 'lease_lost' }]);
  });

  it('passes a PlacementUnavailableError through', async () => {
    const { runtime, placement } = setUp();
    placement.locateFails = true;
    await expect(runtime.locate({ kind: 'session', id: 'b' })).rejects.toBeInstanceOf(
      PlacementUnavailableError,
    );
  });
});

describe('fan-out of notifications', () => {
  it('delivers its own notifications here and publishes them', async () => {
    const { runtime, placement } = setUp();
    await openSession(runtime, 's1');
    const told: JsonRpcMessage[] = [];
    runtime.attach('s1', (message) => told.push(message));
    await runtime.dispatch('s1', request(1, 'resources/subscribe', { uri: 'test://doc' }));
    expect(runtime.notifyResourceUpdated('test://doc')).toBe(1);
    expect(runtime.notifyListChanged('tools')).toBe(1);
    expect(told.map((message) => (message as { method: string }).method)).toEqual([
      'notifications/resources/updated',
      'notifications/tools/list_changed',
    ]);
    expect(placement.published).toEqual([
      { type: 'resourceUpdated', uri: 'test://doc' },
      { type: 'listChanged', list: 'tools' },
    ]);
  });

  it("delivers other instances' notifications here without publishing them again", async () => {
    const { runtime, placement } = setUp();
    await openSession(runtime, 's1');
    const told: JsonRpcMessage[] = [];
    runtime.attach('s1', (message) => told.push(message));
    await runtime.dispatch('s1', request(1, 'resources/subscribe', { uri: 'test://doc' }));
    placement.receive({ type: 'resourceUpdated', uri: 'test://doc' });
    placement.receive({ type: 'listChanged', list: 'prompts' });
    expect(told).toEqual([
      { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://doc' } },
      { jsonrpc: '2.0', method: 'notifications/prompts/list_changed' },
    ]);
    expect(placement.published).toEqual([]);
  });

  it("publishes a task's status changes with its principal, and tells its listens here", async () => {
    const { runtime, placement } = setUp();
    const { message, envelope } = modern('tools/call', { name: 'job', arguments: {} }, true);
    const answer = (await runtime.serve(message, envelope, {
      principal: { id: 'alice' },
    })) as unknown as Json;
    const taskId = answer.result.taskId as string;
    await flush();
    const published = placement.published.filter((notification) => notification.type === 'taskStatus');
    expect(published.at(-1)).toEqual({
      type: 'taskStatus',
      taskId,
      principal: 'alice',
      task: expect.objectContaining({ taskId, status: 'completed' }),
    });
  });

  it("tells another instance's task status to the listens of its principal that asked, never published again", () => {
    const { runtime, placement } = setUp();
    const sink = () => {
      const told: JsonRpcMessage[] = [];
      return { told, send: (message: JsonRpcMessage) => told.push(message) > 0, end: () => {} };
    };
    const alice = sink();
    const bob = sink();
    const aliceOther = sink();
    const opened = [
      runtime.listen({ taskIds: ['t-remote'] }, alice, { principal: { id: 'alice' } }),
      runtime.listen({ taskIds: ['t-remote'] }, bob, { principal: { id: 'bob' } }),
      runtime.listen({ taskIds: ['t-other'] }, aliceOther, { principal: { id: 'alice' } }),
    ];
    // No task of that id runs here: with a placement the id is honoured all the same.
    expect(opened.map((listen) => (typeof listen === 'string' ? listen : listen.honored))).toEqual([
      { taskIds: ['t-remote'] },
      { taskIds: ['t-remote'] },
      { taskIds: ['t-other'] },
    ]);
    const task = { taskId: 't-remote', status: 'working' };
    placement.receive({ type: 'taskStatus', taskId: 't-remote', principal: 'alice', task });
    expect(alice.told).toEqual([{ jsonrpc: '2.0', method: 'notifications/tasks', params: task }]);
    expect(bob.told).toEqual([]);
    expect(aliceOther.told).toEqual([]);
    expect(placement.published).toEqual([]);
  });

  it('honours only the caller’s own live tasks without a placement', async () => {
    const { runtime } = setUp({ placement: undefined });
    const taskId = await startTask(runtime);
    const listen = runtime.listen({ taskIds: [taskId, 't-elsewhere'] }, { send: () => true, end: () => {} });
    expect(typeof listen === 'string' ? listen : listen.honored).toEqual({ taskIds: [taskId] });
  });

  it('publishes nothing without a placement', async () => {
    const { runtime } = setUp({ placement: undefined });
    await openSession(runtime, 's1');
    expect(runtime.notifyListChanged('tools')).toBe(0);
  });
});
