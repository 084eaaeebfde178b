/**
 * Resting: a quiet session puts its lifecycle actor away and keeps a compact record, reviving the
 * actor on its next lifecycle event. Nothing a client or the server can observe may change; these
 * tests look inside (is the actor put away?) only to know that the behaviour they check ran on a
 * resting session.
 */
import { describe, expect, it } from 'vitest';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime, ManualClock } from '../../src/index.js';
import type { Directory } from '../../src/runtime/Directory.js';
import type { Session } from '../../src/runtime/Session.js';
import {
  deferred,
  flush,
  initializedNotification,
  initializeRequest,
  openSession,
  reasonOfResponse,
  request,
} from '../helpers.js';

const REST_AFTER_MS = 1_000;
const IDLE_TIMEOUT_MS = 60_000;

function setUp(options: Partial<SessionRuntimeOptions> = {}) {
  const clock = new ManualClock();
  const runtime = createSessionRuntime({
    clock,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    restAfterMs: REST_AFTER_MS,
    handlers: { echo: (params) => ({ echoed: params.text }) },
    ...options,
  });
  const stopped: { sessionId: string; reason: string }[] = [];
  runtime.events.on('sessionStopped', (event) => stopped.push(event));
  return { clock, runtime, stopped };
}

/** White-box: whether session `sessionId` has put its actor away. */
function isResting(runtime: SessionRuntime, sessionId: string): boolean | undefined {
  return (runtime as unknown as { directory: Directory<Session> }).directory.get(sessionId)?.isResting;
}

describe('a resting session', () => {
  it('puts its actor away after restAfterMs without traffic, and stays live with the same info', async () => {
    const { clock, runtime, stopped } = setUp();
    await openSession(runtime, 's');
    const before = runtime.info('s');
    clock.advance(REST_AFTER_MS - 1);
    expect(isResting(runtime, 's')).toBe(false);
    clock.advance(1);
    expect(isResting(runtime, 's')).toBe(true);
    expect(runtime.has('s')).toBe(true);
    expect(runtime.size).toBe(1);
    expect(runtime.info('s')).toEqual(before);
    expect(stopped).toEqual([]);
    expect(runtime.metrics().sessions).toBe(1);
  });

  it('serves ordinary requests without reviving its actor', async () => {
    const { clock, runtime } = setUp();
    await openSession(runtime, 's');
    clock.advance(REST_AFTER_MS);
    expect(await runtime.dispatch('s', request(1, 'echo', { text: 'hi' }))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { echoed: 'hi' },
    });
    expect(await runtime.dispatch('s', request(2, 'ping'))).toMatchObject({ result: {} });
    expect(isResting(runtime, 's')).toBe(true);
  });

  it('refuses a second initialize from its record', async () => {
    const { clock, runtime } = setUp();
    await openSession(runtime, 's');
    clock.advance(REST_AFTER_MS);
    expect(reasonOfResponse(await runtime.dispatch('s', initializeRequest(9)))).toBe('already_initialized');
  });

  it('revives for notifications/initialized and moves to ready', async () => {
    const { clock, runtime } = setUp();
    await runtime.dispatch('s', initializeRequest());
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
    expect(runtime.info('s')?.state).toBe('initialized');
    await runtime.dispatch('s', initializedNotification);
    expect(isResting(runtime, 's')).toBe(false);
    expect(runtime.info('s')?.state).toBe('ready');
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
    expect(runtime.info('s')?.state).toBe('ready');
  });

  it('keeps its log level across rest and revival', async () => {
    const { clock, runtime } = setUp();
    await openSession(runtime, 's');
    await runtime.dispatch('s', request(1, 'logging/setLevel', { level: 'error' }));
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
    const directory = (runtime as unknown as { directory: Directory<Session> }).directory;
    expect(directory.get('s')?.passesLogLevel('warning')).toBe(false);
    expect(directory.get('s')?.passesLogLevel('error')).toBe(true);
    await runtime.dispatch('s', request(2, 'logging/setLevel', { level: 'debug' }));
    expect(directory.get('s')?.passesLogLevel('warning')).toBe(true);
  });

  it('still idles out exactly at idleTimeoutMs after its last traffic, as idle', async () => {
    const { clock, runtime, stopped } = setUp();
    await openSession(runtime, 's');
    clock.advance(IDLE_TIMEOUT_MS / 2);
    await runtime.dispatch('s', request(1, 'echo', { text: 'still here' }));
    expect(isResting(runtime, 's')).toBe(true);
    clock.advance(IDLE_TIMEOUT_MS - 1);
    expect(runtime.has('s')).toBe(true);
    clock.advance(1);
    expect(runtime.has('s')).toBe(false);
    expect(stopped).toEqual([{ sessionId: 's', reason: 'idle' }]);
    expect(runtime.metrics().sessions).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is removed, and a request after the removal is answered session_not_found', async () => {
    const { clock, runtime, stopped } = setUp();
    await openSession(runtime, 's');
    clock.advance(REST_AFTER_MS);
    expect(runtime.remove('s')).toBe(true);
    expect(stopped).toEqual([{ sessionId: 's', reason: 'removed' }]);
    expect(reasonOfResponse(await runtime.dispatch('s', request(1, 'echo', {})))).toBe('session_not_found');
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops on close()', async () => {
    const { clock, runtime, stopped } = setUp();
    await openSession(runtime, 'a');
    await openSession(runtime, 'b');
    clock.advance(REST_AFTER_MS);
    await runtime.close();
    expect(stopped.map((event) => event.reason)).toEqual(['closed', 'closed']);
    expect(runtime.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is swept only when idle for the threshold, and not revived to be asked otherwise', async () => {
    const { clock, runtime, stopped } = setUp();
    await openSession(runtime, 's');
    clock.advance(2 * REST_AFTER_MS);
    expect(runtime.sweepIdle(10 * REST_AFTER_MS)).toBe(0);
    expect(isResting(runtime, 's')).toBe(true);
    expect(runtime.sweepIdle(REST_AFTER_MS)).toBe(1);
    expect(stopped).toEqual([{ sessionId: 's', reason: 'swept' }]);
  });
});

describe('when a session rests', () => {
  it('not while a handler runs, and once it is done and quiet for restAfterMs', async () => {
    const gate = deferred();
    const { clock, runtime } = setUp({ handlers: { wait: () => gate.promise.then(() => ({})) } });
    await openSession(runtime, 's');
    const answer = runtime.dispatch('s', request(1, 'wait'));
    clock.advance(5 * REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(false);
    gate.resolve(undefined);
    expect(await answer).toMatchObject({ result: {} });
    clock.advance(REST_AFTER_MS - 1);
    expect(isResting(runtime, 's')).toBe(false);
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
  });

  it('never with restAfterMs: Infinity', async () => {
    const { clock, runtime } = setUp({ restAfterMs: Number.POSITIVE_INFINITY });
    await openSession(runtime, 's');
    clock.advance(IDLE_TIMEOUT_MS - 1);
    expect(isResting(runtime, 's')).toBe(false);
    expect(clock.pendingTimers).toBe(1);
  });

  it('while awaiting initialize under the any policy, and revives for initialize', async () => {
    const { clock, runtime } = setUp({ spawnPolicy: 'any' });
    await runtime.dispatch('s', request(1, 'ping'));
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
    expect(reasonOfResponse(await runtime.dispatch('s', request(2, 'echo', {})))).toBe('not_initialized');
    expect(await runtime.dispatch('s', initializeRequest(3))).toMatchObject({ result: {} });
    expect(runtime.info('s')?.state).toBe('initialized');
    await flush();
  });
});

describe('restAfterMs', () => {
  it('rejects zero and negative values (a session with work would re-check at once, forever)', () => {
    expect(() => createSessionRuntime({ restAfterMs: 0 })).toThrow(TypeError);
    expect(() => createSessionRuntime({ restAfterMs: -1 })).toThrow(TypeError);
  });
});

/**
 * Everything the handshake settled (revision, client identity, client capabilities) must come back
 * with the actor, whichever lifecycle event revives it. The client asks for an older revision and
 * declares capabilities, so that no default (our latest revision, no capabilities) could stand in
 * for what it negotiated.
 */
describe('a revived session keeps its handshake', () => {
  const NEGOTIATED_VERSION = '2025-06-18';
  const CLIENT_INFO = { name: 'resting-client', title: 'Resting Client', version: '3.1.4' };
  const CLIENT_CAPABILITIES = { roots: { listChanged: true }, sampling: {}, elicitation: { form: {} } };
  const handshake = {
    jsonrpc: '2.0' as const,
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: NEGOTIATED_VERSION,
      capabilities: CLIENT_CAPABILITIES,
      clientInfo: CLIENT_INFO,
    },
  };

  /** What info() must show of the handshake, awake, resting and revived alike. */
  const handshakeFacts = {
    initialized: true,
    protocolVersion: NEGOTIATED_VERSION,
    clientInfo: CLIENT_INFO,
    clientCapabilities: CLIENT_CAPABILITIES,
  };

  /** Initializes `s` with the handshake above (without notifications/initialized), then lets it rest. */
  async function restingAfterInitialize(options: Partial<SessionRuntimeOptions> = {}) {
    const setup = setUp(options);
    expect(await setup.runtime.dispatch('s', handshake)).toMatchObject({
      result: { protocolVersion: NEGOTIATED_VERSION },
    });
    expect(setup.runtime.info('s')).toEqual(
      expect.objectContaining({ ...handshakeFacts, state: 'initialized' }),
    );
    setup.clock.advance(REST_AFTER_MS);
    expect(isResting(setup.runtime, 's')).toBe(true);
    expect(setup.runtime.info('s')).toEqual(
      expect.objectContaining({ ...handshakeFacts, state: 'initialized' }),
    );
    return setup;
  }

  it('when notifications/initialized revives it', async () => {
    const { runtime } = await restingAfterInitialize();
    await runtime.dispatch('s', initializedNotification);
    expect(isResting(runtime, 's')).toBe(false);
    expect(runtime.info('s')).toEqual(expect.objectContaining({ ...handshakeFacts, state: 'ready' }));
  });

  it('when logging/setLevel revives it, before and after notifications/initialized', async () => {
    const { clock, runtime } = await restingAfterInitialize();
    expect(await runtime.dispatch('s', request(1, 'logging/setLevel', { level: 'error' }))).toMatchObject({
      result: {},
    });
    expect(isResting(runtime, 's')).toBe(false);
    expect(runtime.info('s')).toEqual(expect.objectContaining({ ...handshakeFacts, state: 'initialized' }));
    await runtime.dispatch('s', initializedNotification);
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
    expect(await runtime.dispatch('s', request(2, 'logging/setLevel', { level: 'info' }))).toMatchObject({
      result: {},
    });
    expect(isResting(runtime, 's')).toBe(false);
    expect(runtime.info('s')).toEqual(expect.objectContaining({ ...handshakeFacts, state: 'ready' }));
  });

  it('when the idle deadline revives it to find a handler still running', async () => {
    const gate = deferred();
    const seen: unknown[] = [];
    const { clock, runtime, stopped } = await restingAfterInitialize({
      handlers: {
        wait: async (_params, context) => {
          await gate.promise;
          seen.push(context.session);
          return {};
        },
      },
    });
    await runtime.dispatch('s', initializedNotification);
    clock.advance(REST_AFTER_MS);
    expect(isResting(runtime, 's')).toBe(true);
    // An ordinary request runs on the resting session; at the idle deadline the machine is asked
    // (the actor revives), finds work in flight and keeps the session.
    const answer = runtime.dispatch('s', request(1, 'wait'));
    expect(isResting(runtime, 's')).toBe(true);
    clock.advance(IDLE_TIMEOUT_MS);
    expect(isResting(runtime, 's')).toBe(false);
    expect(stopped).toEqual([]);
    expect(runtime.info('s')).toEqual(
      expect.objectContaining({ ...handshakeFacts, state: 'ready', inFlight: 1 }),
    );
    gate.resolve(undefined);
    expect(await answer).toMatchObject({ result: {} });
    expect(seen).toEqual([expect.objectContaining({ ...handshakeFacts, state: 'ready' })]);
  });

  it('through several rests and revivals, and handlers of the revived session see it', async () => {
    const seen: unknown[] = [];
    const { clock, runtime } = await restingAfterInitialize({
      handlers: {
        whoami: (_params, context) => {
          seen.push(context.session);
          return {};
        },
      },
    });
    await runtime.dispatch('s', initializedNotification);
    for (const level of ['debug', 'warning', 'critical']) {
      clock.advance(REST_AFTER_MS);
      expect(isResting(runtime, 's')).toBe(true);
      await runtime.dispatch('s', request(`level-${level}`, 'logging/setLevel', { level }));
      expect(isResting(runtime, 's')).toBe(false);
      expect(runtime.info('s')).toEqual(expect.objectContaining({ ...handshakeFacts, state: 'ready' }));
    }
    await runtime.dispatch('s', request('who', 'whoami'));
    expect(seen).toEqual([expect.objectContaining({ ...handshakeFacts, state: 'ready' })]);
  });

  it('with the capabilities of a client that declared none', async () => {
    const { clock, runtime } = setUp();
    await openSession(runtime, 's');
    const before = runtime.info('s');
    expect(before).toMatchObject({
      initialized: true,
      protocolVersion: '2025-11-25',
      clientCapabilities: {},
    });
    clock.advance(REST_AFTER_MS);
    await runtime.dispatch('s', request(1, 'logging/setLevel', { level: 'error' }));
    expect(isResting(runtime, 's')).toBe(false);
    expect(runtime.info('s')).toEqual({ ...before, lastActivity: REST_AFTER_MS });
  });
});
