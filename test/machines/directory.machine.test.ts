import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { DirectoryHost } from '../../src/machines/directory.machine.js';
import { directoryMachine } from '../../src/machines/directory.machine.js';
import type { SessionMachineOutput } from '../../src/machines/session.machine.js';

function fakeHost(live: number) {
  const forgotten: SessionMachineOutput[] = [];
  const state = { live, closeCalls: 0 };
  const host: DirectoryHost = {
    forgetSession: (output) => {
      forgotten.push(output);
      state.live--;
    },
    closeSessions: () => {
      state.closeCalls++;
    },
    liveSessions: () => state.live,
  };
  return { host, forgotten, state };
}

const done = (sessionId: string, reason: SessionMachineOutput['reason']) =>
  ({
    type: 'xstate.done.actor.session',
    actorId: 'session',
    output: { sessionId, owner: undefined, reason },
  }) as const;

describe('directory machine', () => {
  it('forgets a session when its actor reports done', () => {
    const { host, forgotten } = fakeHost(1);
    const actor = createActor(directoryMachine, { input: { host } }).start();
    actor.send(done('a', 'idle'));
    expect(forgotten).toEqual([{ sessionId: 'a', owner: undefined, reason: 'idle' }]);
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
});
