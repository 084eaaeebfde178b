/**
 * Contract test for the one module that builds XState's persisted snapshot by hand
 * (`src/runtime/persistedSnapshot.ts`): what it builds must be what the installed XState persists
 * (`actor.getPersistedSnapshot()`), and must restore to the same state. An XState upgrade that
 * changes the persisted form fails here, by name, instead of in a resting session.
 */

import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { SessionHost, SessionMachineContext } from '../../src/machines/session.machine.js';
import { sessionMachine } from '../../src/machines/session.machine.js';
import { persistedSnapshot } from '../../src/runtime/persistedSnapshot.js';

/** A host whose guards never let the session stop, so the actor stays where the events put it. */
const host: SessionHost = {
  isIdle: () => false,
  isIdleFor: () => false,
  hasNoWork: () => false,
  rearmIdleTimer: () => {},
  beginDrain: () => {},
  releaseAll: () => {},
};

const handshake = {
  type: 'initialize',
  protocolVersion: '2025-11-25',
  clientInfo: { name: 'c', version: '1' },
  clientCapabilities: { roots: {} },
} as const;

/** A live session actor driven to `state`, and the context our builder is given for it. */
function actorIn(state: 'awaitingInitialize' | 'initialized' | 'ready') {
  const actor = createActor(sessionMachine, { input: { sessionId: 's', owner: 'alice', host } }).start();
  if (state !== 'awaitingInitialize') actor.send(handshake);
  if (state === 'ready') actor.send({ type: 'initialized' });
  actor.send({ type: 'setLogLevel', level: 'warning' });
  return actor;
}

describe('the hand-built persisted snapshot matches XState’s own', () => {
  for (const state of ['awaitingInitialize', 'initialized', 'ready'] as const) {
    it(`has the keys and values XState persists, in ${state}`, () => {
      const actor = actorIn(state);
      const { context, ...persisted } = actor.getPersistedSnapshot() as unknown as Record<string, unknown> & {
        context: SessionMachineContext;
      };
      const ours = persistedSnapshot(actor.getSnapshot().value, actor.getSnapshot().context);
      const { context: ourContext, ...rest } = ours;
      // Every key XState writes, and no other; equal values outside the context (which XState
      // copies deeply and we hand over as it is).
      expect(Object.keys(ours).sort()).toEqual([...Object.keys(persisted), 'context'].sort());
      expect(rest).toEqual(persisted);
      expect(Object.keys(ourContext).sort()).toEqual(Object.keys(context).sort());
      actor.stop();
    });

    it(`restores an actor in ${state} with the same context`, () => {
      const original = actorIn(state);
      const { value, context } = original.getSnapshot();
      const revived = createActor(sessionMachine, {
        snapshot: persistedSnapshot(value, context),
        input: { sessionId: 's', owner: 'alice', host },
      }).start();
      expect(revived.getSnapshot().status).toBe('active');
      expect(revived.getSnapshot().value).toBe(state);
      expect(revived.getSnapshot().context).toEqual(context);
      // The revived actor still runs the machine: a lifecycle event moves it as it would the original.
      revived.send({ type: 'remove' });
      original.send({ type: 'remove' });
      expect(revived.getSnapshot().status).toBe(original.getSnapshot().status);
      expect(revived.getSnapshot().status).toBe('done');
    });
  }
});
