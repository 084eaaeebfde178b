/**
 * Sessions that never had work share one empty queue and one empty holder list (an idle session
 * allocates neither). Whatever other sessions do, a fresh session must report nothing queued or in
 * flight: a push into the shared arrays would show here.
 */
import { describe, expect, it } from 'vitest';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import { cancelled, deferred, flush, openSession, request } from '../helpers.js';

describe('a session that never had work', () => {
  it('reports nothing queued or in flight after other sessions queued, ran, cancelled, timed out and stopped', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const runtime = createSessionRuntime({
      clock,
      requestTimeoutMs: 1_000,
      handlers: { wait: () => gate.promise.then(() => ({})), quick: () => ({}) },
    });
    await openSession(runtime, 'busy');
    await openSession(runtime, 'removed');
    const answers = [
      runtime.dispatch('busy', request(1, 'wait')),
      runtime.dispatch('busy', request(2, 'wait')),
      runtime.dispatch('busy', request(3, 'quick')),
      runtime.dispatch('removed', request(1, 'wait')),
      runtime.dispatch('removed', request(2, 'quick')),
    ];
    await runtime.dispatch('busy', cancelled(2));
    await flush();
    await openSession(runtime, 'fresh');
    expect(runtime.info('fresh')).toMatchObject({ queued: 0, inFlight: 0 });
    runtime.remove('removed');
    clock.advance(1_000);
    gate.resolve(undefined);
    await Promise.all(answers);
    await openSession(runtime, 'fresher');
    for (const sessionId of ['fresh', 'fresher']) {
      expect(runtime.info(sessionId)).toMatchObject({ queued: 0, inFlight: 0 });
    }
    expect(await runtime.dispatch('fresher', request(1, 'quick'))).toMatchObject({ result: {} });
    expect(runtime.info('fresh')).toMatchObject({ queued: 0, inFlight: 0 });
  });
});
