/** The `inspect` option: XState's inspection events of every lifecycle actor, for debugging. */
import { describe, expect, it } from 'vitest';
import { createSessionRuntime } from '../../src/index.js';
import { openSession, request } from '../helpers.js';

interface Seen {
  readonly type: string;
  readonly event?: { readonly type: string };
  readonly snapshot?: { readonly value?: unknown };
  readonly actorRef?: { readonly id?: string };
}

describe('the inspect option', () => {
  it("receives a session's lifecycle as @xstate.event and @xstate.snapshot events", async () => {
    const seen: Seen[] = [];
    const runtime = createSessionRuntime({ inspect: (event) => seen.push(event as Seen) });
    await openSession(runtime, 's1');
    runtime.remove('s1');
    await runtime.close({ drainMs: 0 });
    const session = seen.filter((event) => event.actorRef?.id === 'keyed');
    const events = session
      .filter((event) => event.type === '@xstate.event')
      .map((event) => event.event?.type);
    expect(events).toEqual(expect.arrayContaining(['initialize', 'initialized', 'remove']));
    const states = session
      .filter((event) => event.type === '@xstate.snapshot')
      .map((event) => event.snapshot?.value);
    expect(states).toEqual(expect.arrayContaining(['initialized', 'ready', 'stopped']));
    // The directory's own actor is inspected too.
    expect(seen.some((event) => event.type === '@xstate.actor' && event.actorRef?.id !== 'keyed')).toBe(true);
  });

  it('takes an observer with next, as @statelyai/inspect gives', async () => {
    const types = new Set<string>();
    const runtime = createSessionRuntime({ inspect: { next: (event) => types.add(event.type) } });
    await openSession(runtime, 's1');
    await runtime.close({ drainMs: 0 });
    expect([...types]).toEqual(
      expect.arrayContaining(['@xstate.actor', '@xstate.event', '@xstate.snapshot']),
    );
  });

  it('never sees an ordinary request: requests take the mailbox path', async () => {
    const seen: Seen[] = [];
    const runtime = createSessionRuntime({
      handlers: { 'test/echo': () => ({}) },
      inspect: (event) => seen.push(event as Seen),
    });
    await openSession(runtime, 's1');
    const before = seen.length;
    await runtime.dispatch('s1', request(1, 'test/echo'));
    expect(seen.length).toBe(before);
    await runtime.close({ drainMs: 0 });
  });

  it('refuses anything but a function or an observer', () => {
    expect(() => createSessionRuntime({ inspect: 42 as never })).toThrow(TypeError);
  });
});
