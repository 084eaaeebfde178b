import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { SessionHost, SessionStopReason } from '../../src/machines/session.machine.js';
import { sessionMachine } from '../../src/machines/session.machine.js';

/** A host whose answers the test sets, recording what the machine asked of it. */
function fakeHost(overrides: Partial<Record<'idle' | 'noWork', boolean>> = {}) {
  const calls: string[] = [];
  const state = { idle: overrides.idle ?? false, noWork: overrides.noWork ?? true };
  const host: SessionHost = {
    isIdle: () => state.idle,
    isIdleFor: () => state.idle,
    hasNoWork: () => state.noWork,
    rearmIdleTimer: () => calls.push('rearm'),
    beginDrain: () => calls.push('drain'),
    releaseAll: (reason: SessionStopReason) => calls.push(`release:${reason}`),
  };
  return { host, calls, state };
}

function start(host: SessionHost) {
  return createActor(sessionMachine, { input: { sessionId: 's1', owner: undefined, host } }).start();
}

const handshake = {
  type: 'initialize',
  protocolVersion: '2025-11-25',
  clientInfo: { name: 'c', version: '1' },
  clientCapabilities: { sampling: {} },
} as const;

describe('session machine', () => {
  it('starts awaiting initialize', () => {
    expect(start(fakeHost().host).getSnapshot().value).toBe('awaitingInitialize');
  });

  it('records the handshake and moves to initialized, then ready on notifications/initialized', () => {
    const actor = start(fakeHost().host);
    actor.send(handshake);
    expect(actor.getSnapshot().value).toBe('initialized');
    expect(actor.getSnapshot().context).toMatchObject({
      protocolVersion: '2025-11-25',
      clientInfo: { name: 'c', version: '1' },
      clientCapabilities: { sampling: {} },
    });
    actor.send({ type: 'initialized' });
    expect(actor.getSnapshot().value).toBe('ready');
  });

  it('ignores notifications/initialized before initialize', () => {
    const actor = start(fakeHost().host);
    actor.send({ type: 'initialized' });
    expect(actor.getSnapshot().value).toBe('awaitingInitialize');
  });

  it('ignores a second initialize once initialized', () => {
    const actor = start(fakeHost().host);
    actor.send(handshake);
    actor.send({ ...handshake, protocolVersion: '2024-11-05' });
    expect(actor.getSnapshot().context.protocolVersion).toBe('2025-11-25');
  });

  it('stops on an idle check only when the host confirms idleness', () => {
    const { host, calls, state } = fakeHost({ idle: false });
    const actor = start(host);
    actor.send(handshake);
    actor.send({ type: 'idle.check' });
    expect(actor.getSnapshot().value).toBe('initialized');
    expect(calls).toEqual(['rearm']);
    state.idle = true;
    actor.send({ type: 'idle.check' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ key: 's1', owner: undefined, reason: 'idle' });
    expect(calls).toEqual(['rearm', 'release:idle']);
  });

  it('stops a session that never initialized once idle (no leak of half-open sessions)', () => {
    const actor = start(fakeHost({ idle: true }).host);
    actor.send({ type: 'idle.check' });
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('stops on remove from any live state, releasing its work', () => {
    for (const prepare of [[], [handshake], [handshake, { type: 'initialized' } as const]]) {
      const { host, calls } = fakeHost();
      const actor = start(host);
      for (const event of prepare) actor.send(event);
      actor.send({ type: 'remove' });
      expect(actor.getSnapshot().output).toEqual({ key: 's1', owner: undefined, reason: 'removed' });
      expect(calls).toEqual(['release:removed']);
    }
  });

  it('sweeps only when idle for the threshold', () => {
    const { host, state } = fakeHost({ idle: false });
    const actor = start(host);
    actor.send({ type: 'sweep', thresholdMs: 10 });
    expect(actor.getSnapshot().status).toBe('active');
    state.idle = true;
    actor.send({ type: 'sweep', thresholdMs: 10 });
    expect(actor.getSnapshot().output).toEqual({ key: 's1', owner: undefined, reason: 'swept' });
  });

  it('drains on close while work remains, and stops when drained', () => {
    const { host, calls, state } = fakeHost({ noWork: false });
    const actor = start(host);
    actor.send(handshake);
    actor.send({ type: 'close' });
    expect(actor.getSnapshot().value).toBe('stopping');
    expect(calls).toEqual(['drain']);
    actor.send({ type: 'idle.check' });
    actor.send({ type: 'sweep', thresholdMs: 0 });
    expect(actor.getSnapshot().value).toBe('stopping');
    actor.send({ type: 'drained' });
    expect(actor.getSnapshot().value).toBe('stopping');
    state.noWork = true;
    actor.send({ type: 'drained' });
    expect(actor.getSnapshot().output).toEqual({ key: 's1', owner: undefined, reason: 'closed' });
    expect(calls).toEqual(['drain', 'release:closed']);
  });

  it('stops at once on close when there is no work', () => {
    const actor = start(fakeHost({ noWork: true }).host);
    actor.send({ type: 'close' });
    expect(actor.getSnapshot().output).toEqual({ key: 's1', owner: undefined, reason: 'closed' });
  });

  it('cancels what is left when the drain expires', () => {
    const { host, calls } = fakeHost({ noWork: false });
    const actor = start(host);
    actor.send({ type: 'close' });
    actor.send({ type: 'drainExpired' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(calls).toEqual(['drain', 'release:closed']);
  });
});
