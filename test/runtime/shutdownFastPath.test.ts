/**
 * Shutdown's fast path: closing the runtime stops idle sessions and handles in one synchronous
 * step each (no revive of a resting one, no event to an awake one's machine), and the lifecycle
 * actors of the awake ones are stopped by their directory before it is done (XState lets only a
 * parent stop a child), so none stays active or registered after `close()`.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineHandle, defineTool, ManualClock } from '../../src/index.js';
import { openSession, request } from '../helpers.js';

/** The lifecycle actor of live entry `key` (internal state, read for this test only). */
function lifecycleActorOf(runtime: SessionRuntime, key: string): { getSnapshot(): { status: string } } {
  const directory = (
    runtime as unknown as { directory: { get(key: string): { awake: unknown } | undefined } }
  ).directory;
  const actor = directory.get(key)?.awake;
  if (actor === undefined) throw new Error(`no awake actor for ${key}`);
  return actor as { getSnapshot(): { status: string } };
}

describe('close() of idle sessions and handles', () => {
  it('leaves no awake lifecycle actor active', async () => {
    const runtime = createSessionRuntime({ restAfterMs: 3_600_000 });
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    const actors = ['a', 'b'].map((key) => lifecycleActorOf(runtime, key));
    expect(actors.map((actor) => actor.getSnapshot().status)).toEqual(['active', 'active']);
    await runtime.close({ drainMs: 0 });
    expect(runtime.size).toBe(0);
    expect(actors.map((actor) => actor.getSnapshot().status)).not.toContain('active');
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
});
