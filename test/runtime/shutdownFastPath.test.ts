/**
 * Shutdown's fast path: closing the runtime stops idle sessions and handles in one synchronous
 * step each (no revive of a resting one, no event to an awake one's machine), and the lifecycle
 * actors of the awake ones are stopped by their directory in the background before it is done
 * (XState lets only a parent stop a child), so none stays active or registered once it is.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  defineHandle,
  defineTool,
  ManualClock,
  parseMessage,
} from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { flush, initializeRequest, openSession, request } from '../helpers.js';

/** The lifecycle actor of live entry `key` (internal state, read for this test only). */
function lifecycleActorOf(runtime: SessionRuntime, key: string): { getSnapshot(): { status: string } } {
  const directory = (
    runtime as unknown as { directory: { get(key: string): { awake: unknown } | undefined } }
  ).directory;
  const actor = directory.get(key)?.awake;
  if (actor === undefined) throw new Error(`no awake actor for ${key}`);
  return actor as { getSnapshot(): { status: string } };
}

/** Resolves when the sessions' directory actor is done (internal state, read for this test only). */
function directoryDone(runtime: SessionRuntime): Promise<void> {
  const actor = (
    runtime as unknown as {
      directory: {
        actor: {
          getSnapshot(): { status: string };
          subscribe(observer: { complete(): void }): unknown;
        };
      };
    }
  ).directory.actor;
  return new Promise((resolve) => {
    if (actor.getSnapshot().status === 'done') resolve();
    else actor.subscribe({ complete: resolve });
  });
}

describe('close() of idle sessions and handles', () => {
  it('releases every awake lifecycle actor after close() resolved, before its directory is done', async () => {
    const runtime = createSessionRuntime({ restAfterMs: 3_600_000 });
    // 1,500: the first 1,024 are released in the step that closes, the rest in the background.
    const keys = Array.from({ length: 1_500 }, (_, index) => `s${index}`);
    for (const key of keys) await openSession(runtime, key);
    const actors = keys.map((key) => lifecycleActorOf(runtime, key));
    expect(new Set(actors.map((actor) => actor.getSnapshot().status))).toEqual(new Set(['active']));
    await runtime.close({ drainMs: 0 });
    expect(runtime.size).toBe(0);
    // 256 to an event (6 here): the directory closes after the last.
    await directoryDone(runtime);
    expect(new Set(actors.map((actor) => actor.getSnapshot().status))).toEqual(new Set(['stopped']));
  });

  it('stops awake idle sessions without an event through their machines, each stop reported once', async () => {
    const machineEvents: string[] = [];
    const runtime = createSessionRuntime({
      restAfterMs: 3_600_000,
      inspect: (event) => {
        const { type, actorRef } = event as {
          type: string;
          actorRef: { id: string };
          event?: { type: string };
        };
        const sent = (event as { event?: { type: string } }).event;
        if (type === '@xstate.event' && actorRef.id === 'keyed' && sent !== undefined)
          machineEvents.push(sent.type);
      },
    });
    const stopped: string[] = [];
    runtime.events.on('sessionStopped', ({ sessionId, reason }) => stopped.push(`${sessionId}:${reason}`));
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    const actors = ['a', 'b'].map((key) => lifecycleActorOf(runtime, key));
    machineEvents.length = 0;
    await runtime.close({ drainMs: 0 });
    await directoryDone(runtime);
    expect(machineEvents.filter((type) => type === 'close' || type === 'drained')).toEqual([]);
    expect(actors.map((actor) => actor.getSnapshot().status)).toEqual(['stopped', 'stopped']);
    expect(stopped.sort()).toEqual(['a:closed', 'b:closed']);
    expect(runtime.metrics().sessionsStopped.closed).toBe(2);
  });

  it('stops a session between initialize and notifications/initialized the same way', async () => {
    const runtime = createSessionRuntime({ restAfterMs: 3_600_000 });
    const stopped: string[] = [];
    runtime.events.on('sessionStopped', ({ sessionId, reason }) => stopped.push(`${sessionId}:${reason}`));
    // `initialize` answered, `notifications/initialized` not yet sent.
    await runtime.dispatch(
      'half',
      request(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      }),
    );
    await openSession(runtime, 'whole');
    await runtime.close({ drainMs: 0 });
    expect(stopped.sort()).toEqual(['half:closed', 'whole:closed']);
    expect(runtime.size).toBe(0);
  });

  it('stops resting sessions without reviving them, and reports each stop once', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, restAfterMs: 1_000 });
    const stopped: string[] = [];
    runtime.events.on('sessionStopped', ({ sessionId, reason }) => stopped.push(`${sessionId}:${reason}`));
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    clock.advance(1_500);
    await runtime.close({ drainMs: 0 });
    expect(stopped.sort()).toEqual(['a:closed', 'b:closed']);
    expect(runtime.metrics().sessionsStopped.closed).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets a session with work drain through its machine while idle ones stop at once', async () => {
    let release: () => void = () => {};
    const runtime = createSessionRuntime({
      tools: [
        defineTool({
          name: 'slow',
          inputSchema: { n: z.number() },
          handler: () => new Promise<string>((resolve) => (release = () => resolve('done'))),
        }),
      ],
    });
    await openSession(runtime, 'busy');
    await openSession(runtime, 'idle');
    const call = runtime.dispatch('busy', request(1, 'tools/call', { name: 'slow', arguments: { n: 1 } }));
    await new Promise((resolve) => setImmediate(resolve));
    const closed = runtime.close({ drainMs: 60_000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(runtime.has('idle')).toBe(false);
    expect(runtime.has('busy')).toBe(true);
    release();
    expect(await call).toMatchObject({ result: { content: [{ type: 'text', text: 'done' }] } });
    await closed;
    expect(runtime.size).toBe(0);
  });

  it('stops idle state handles the same way', async () => {
    const counter = defineHandle({ name: 'counter', create: () => ({ n: 0 }) });
    const runtime = createSessionRuntime({
      tools: [defineTool({ name: 'open', opens: counter, handler: () => 'opened' })],
    });
    const stopped: string[] = [];
    runtime.events.on('handleStopped', ({ reason }) => stopped.push(reason));
    await openSession(runtime, 's');
    await runtime.dispatch('s', request(1, 'tools/call', { name: 'open' }));
    await runtime.dispatch('s', request(2, 'tools/call', { name: 'open' }));
    await runtime.close({ drainMs: 0 });
    expect(stopped).toEqual(['closed', 'closed']);
    expect(runtime.metrics().handles.counter).toMatchObject({ live: 0, stopped: { closed: 2 } });
  });

  it('refuses a session opened by a listener told of a stop during close, and closes on time', async () => {
    const clock = new ManualClock();
    const runtime = createSessionRuntime({ clock, restAfterMs: 3_600_000, idleTimeoutMs: 600_000 });
    await openSession(runtime, 'a');
    let answer: Promise<unknown> | undefined;
    runtime.events.on('sessionStopped', ({ sessionId }) => {
      if (sessionId === 'a') answer = runtime.dispatch('late', initializeRequest(1));
    });
    let settled = false;
    void runtime.close({ drainMs: 1_000 }).then(() => {
      settled = true;
    });
    expect(await answer).toMatchObject({ error: { code: -32013 } });
    expect(runtime.has('late')).toBe(false);
    clock.advance(2_000);
    await flush();
    expect(settled).toBe(true);
  });

  it('answers a close() from a listener during the shutdown with the same promise and its drainMs', async () => {
    let release: () => void = () => {};
    const clock = new ManualClock();
    const runtime = createSessionRuntime({
      clock,
      tools: [
        defineTool({
          name: 'slow',
          inputSchema: { n: z.number() },
          handler: () => new Promise<string>((resolve) => (release = () => resolve('late'))),
        }),
      ],
    });
    await openSession(runtime, 'a');
    // "Stop when the last session ends": called while the first close() is stopping `a`.
    const inner: Promise<void>[] = [];
    runtime.events.on('sessionStopped', () => {
      if (runtime.size === 0) inner.push(runtime.close());
    });
    const message = parseMessage({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'slow',
        arguments: { n: 1 },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }) as IncomingRequest;
    const envelope = readEnvelope(message.params);
    if (typeof envelope === 'string') throw new Error(envelope);
    const sessionless = runtime.serve(message, envelope);
    await flush();
    let settled = false;
    const closed = runtime.close({ drainMs: 60_000 });
    void closed.then(() => {
      settled = true;
    });
    expect(inner).toEqual([closed]);
    // Past the default 5 s drain: a second shutdown would have cut the call short here.
    clock.advance(5_000);
    await flush();
    release();
    expect(await sessionless).toMatchObject({ result: { content: [{ type: 'text', text: 'late' }] } });
    await flush();
    expect(settled).toBe(true);
  });
});
