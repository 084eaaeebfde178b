/**
 * The task machine alone, over a host double: each status change, the terminal states' ttl rule,
 * and `remove` / `close` / `drainExpired` with and without running work.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { TaskHost } from '../../src/machines/task.machine.js';
import { taskMachine } from '../../src/machines/task.machine.js';

interface HostDouble extends TaskHost {
  idle: boolean;
  work: boolean;
  readonly calls: string[];
}

function host(): HostDouble {
  const calls: string[] = [];
  const double: HostDouble = {
    idle: false,
    work: true,
    calls,
    isIdle: () => double.idle,
    isIdleFor: () => double.idle,
    hasNoWork: () => !double.work,
    rearmIdleTimer: () => calls.push('rearm'),
    cancelWork: () => calls.push('cancelWork'),
    releaseAll: (reason) => calls.push(`releaseAll:${reason}`),
  };
  return double;
}

function start(double = host()) {
  const actor = createActor(taskMachine, { input: { taskId: 't1', owner: 'alice', host: double } });
  actor.start();
  return { actor, double, value: () => actor.getSnapshot().value };
}

describe('task machine', () => {
  it('starts working, asks for input, resumes and completes', () => {
    const { actor, value } = start();
    expect(value()).toBe('working');
    actor.send({ type: 'input' });
    expect(value()).toBe('input_required');
    actor.send({ type: 'resume' });
    expect(value()).toBe('working');
    actor.send({ type: 'complete' });
    expect(value()).toBe('completed');
  });

  it.each([
    ['fail', 'failed'],
    ['complete', 'completed'],
  ] as const)('%s from input_required ends %s', (event, status) => {
    const { actor, value } = start();
    actor.send({ type: 'input' });
    actor.send({ type: event });
    expect(value()).toBe(status);
  });

  it('cancel asks the host to cancel the work, and the status is final', () => {
    const { actor, double, value } = start();
    actor.send({ type: 'cancel' });
    expect(value()).toBe('cancelled');
    expect(double.calls).toContain('cancelWork');
    actor.send({ type: 'complete' });
    actor.send({ type: 'fail' });
    actor.send({ type: 'resume' });
    expect(value()).toBe('cancelled');
  });

  it('stops a finished task on the idle check only once its ttl has passed', () => {
    const { actor, double, value } = start();
    double.work = false;
    actor.send({ type: 'complete' });
    actor.send({ type: 'idle.check' });
    expect(value()).toBe('completed');
    expect(double.calls).toContain('rearm');
    double.idle = true;
    actor.send({ type: 'idle.check' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ key: 't1', owner: 'alice', reason: 'idle' });
    expect(double.calls.at(-1)).toBe('releaseAll:idle');
  });

  it('never stops a running task on the idle check', () => {
    const { actor, double, value } = start();
    double.idle = true;
    actor.send({ type: 'idle.check' });
    expect(value()).toBe('working');
    actor.send({ type: 'sweep', thresholdMs: 0 });
    expect(value()).toBe('working');
  });

  it('sweeps a finished task that is idle for the threshold', () => {
    const { actor, double } = start();
    double.work = false;
    actor.send({ type: 'fail' });
    double.idle = true;
    actor.send({ type: 'sweep', thresholdMs: 10 });
    expect(actor.getSnapshot().output?.reason).toBe('swept');
  });

  it('remove stops a task in any state', () => {
    const { actor, double } = start();
    actor.send({ type: 'input' });
    actor.send({ type: 'remove' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(double.calls).toContain('releaseAll:removed');
  });

  it('close stops a finished task at once', () => {
    const { actor, double } = start();
    double.work = false;
    actor.send({ type: 'complete' });
    actor.send({ type: 'close' });
    expect(actor.getSnapshot().output?.reason).toBe('closed');
  });

  it('close lets running work finish, then stops', () => {
    const { actor, double, value } = start();
    actor.send({ type: 'close' });
    expect(value()).toBe('working');
    expect(actor.getSnapshot().context.closing).toBe(true);
    double.work = false;
    actor.send({ type: 'complete' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output?.reason).toBe('closed');
  });

  it('a cancelled task still holding its slot stops on drained once closing', () => {
    const { actor, double, value } = start();
    actor.send({ type: 'cancel' });
    actor.send({ type: 'close' });
    expect(value()).toBe('cancelled');
    actor.send({ type: 'drained' });
    expect(value()).toBe('cancelled');
    double.work = false;
    actor.send({ type: 'drained' });
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('drainExpired stops running work at once', () => {
    const { actor, double } = start();
    actor.send({ type: 'close' });
    actor.send({ type: 'drainExpired' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(double.calls.at(-1)).toBe('releaseAll:closed');
  });
});
