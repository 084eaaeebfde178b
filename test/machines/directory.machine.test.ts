import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import type { DirectoryHost } from '../../src/machines/directory.machine.js';
import { directoryMachine } from '../../src/machines/directory.machine.js';
import type { KeyedActorOutput } from '../../src/machines/stopReason.js';

function fakeHost(live: number) {
  const forgotten: KeyedActorOutput[] = [];
  const state = { live, closeCalls: 0, retiring: 0 };
  const host: DirectoryHost = {
    forget: (output) => {
      forgotten.push(output);
      state.live--;
    },
    closeEntries: () => {
      state.closeCalls++;
    },
    liveEntries: () => state.live,
    retiring: () => state.retiring,
    retired: () => {
      state.retiring--;
    },
  };
  return { host, forgotten, state };
}

const done = (key: string, reason: KeyedActorOutput['reason']) =>
  ({
    type: 'xstate.done.actor.keyed',
    actorId: 'keyed',
    output: { key, owner: undefined, reason },
  }) as const;

describe('directory machine', () => {
  it('forgets a session when its actor reports done', () => {
    const { host, forgotten } = fakeHost(1);
    const actor = createActor(directoryMachine, { input: { host } }).start();
    actor.send(done('a', 'idle'));
    expect(forgotten).toEqual([{ key: 'a', owner: undefined, reason: 'idle' }]);
    expect(actor.getSnapshot().value).toBe('accepting');
  });

  it('drains on close and reaches closed when the last session is gone', () => {
    const { host, state } = fakeHost(2);
    const actor = createActor(directoryMachine, { input: { host } }).start();
    actor.send({ type: 'close' });
    expect(state.closeCalls).toBe(1);
    expect(actor.getSnapshot().value).toBe('draining');
    actor.send(done('a', 'closed'));
    expect(actor.getSnapshot().value).toBe('draining');
    actor.send(done('b', 'closed'));
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('closes at once when no session is live', () => {
    const { host } = fakeHost(0);
    const actor = createActor(directoryMachine, { input: { host } }).start();
    actor.send({ type: 'close' });
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('stops retired lifecycle actors in batches and closes only after the last batch', () => {
    const { host, state } = fakeHost(0);
    const parent = createActor(directoryMachine, { input: { host } }).start();
    const children = Array.from({ length: 3 }, () =>
      createActor(setup({}).createMachine({ initial: 'idle', states: { idle: {} } }), { parent }).start(),
    );
    // As the runtime's host does: the entries stopped quietly, their actors queued for retirement.
    host.closeEntries = () => {
      state.retiring = 2;
      parent.send({ type: 'retire', actors: children.slice(0, 2) });
      parent.send({ type: 'retire', actors: children.slice(2) });
    };
    parent.send({ type: 'close' });
    expect(state.retiring).toBe(0);
    expect(children.map((child) => child.getSnapshot().status)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(parent.getSnapshot().status).toBe('done');
  });

  it('stays draining while a retire batch is still on its way', () => {
    const { host, state } = fakeHost(0);
    state.retiring = 1;
    const actor = createActor(directoryMachine, { input: { host } }).start();
    actor.send({ type: 'close' });
    expect(actor.getSnapshot().value).toBe('draining');
    actor.send({ type: 'retire', actors: [] });
    expect(actor.getSnapshot().status).toBe('done');
  });
});
