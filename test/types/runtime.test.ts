/**
 * Type tests of the runtime's public surface: what `dispatch` and `deliver` take and resolve with,
 * the event payloads, and `StopReason`, which is the session machine's own stop-reason type (so the
 * public name and the machine's cannot drift apart).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  DispatchOptions,
  DispatchResult,
  IncomingMessage,
  JsonRpcResponse,
  RuntimeEvents,
  RuntimeMetrics,
  SessionInfo,
  SessionRuntime,
  StopReason,
} from '../../src/index.js';
import { createSessionRuntime, parseMessage } from '../../src/index.js';
import type { SessionStopReason } from '../../src/machines/session.machine.js';
import { initializeRequest } from '../helpers.js';

describe('SessionRuntime types', () => {
  it('dispatch takes any value and resolves with a response or undefined; deliver takes a parsed message', async () => {
    const runtime = createSessionRuntime();
    expectTypeOf(runtime).toEqualTypeOf<SessionRuntime>();
    expectTypeOf<DispatchResult>().toEqualTypeOf<JsonRpcResponse | undefined>();
    expectTypeOf(runtime.dispatch).parameters.toEqualTypeOf<
      [sessionId: string, message: unknown, options?: DispatchOptions]
    >();
    expectTypeOf(runtime.dispatch).returns.toEqualTypeOf<Promise<JsonRpcResponse | undefined>>();
    expectTypeOf(runtime.deliver).parameter(1).toEqualTypeOf<IncomingMessage>();
    expectTypeOf(runtime.deliver).returns.toEqualTypeOf<Promise<DispatchResult>>();
    expectTypeOf(runtime.info).returns.toEqualTypeOf<SessionInfo | undefined>();
    // @ts-expect-error: deliver takes what parseMessage returns, not a raw message
    void (() => runtime.deliver('s', initializeRequest()));

    const answer = await runtime.deliver('s', parseMessage(initializeRequest()));
    expect(answer).toMatchObject({ id: 0, result: { protocolVersion: '2025-11-25' } });
    await runtime.close();
  });

  it('StopReason is the session machine stop reason, and keys the stop counters', () => {
    expectTypeOf<StopReason>().toEqualTypeOf<SessionStopReason>();
    expectTypeOf<StopReason>().toEqualTypeOf<'idle' | 'removed' | 'swept' | 'closed' | 'lease_lost'>();
    expectTypeOf<RuntimeMetrics['sessionsStopped']>().toEqualTypeOf<Readonly<Record<StopReason, number>>>();
    expectTypeOf<Parameters<RuntimeEvents['sessionStopped']>[0]['reason']>().toEqualTypeOf<StopReason>();
    expect(createSessionRuntime().metrics().sessionsStopped).toEqual({
      idle: 0,
      removed: 0,
      swept: 0,
      closed: 0,
      lease_lost: 0,
    });
  });

  it('types each event payload for its listener', () => {
    const runtime = createSessionRuntime();
    runtime.events.on('sessionStopped', (event) => {
      expectTypeOf(event).toEqualTypeOf<{ readonly sessionId: string; readonly reason: StopReason }>();
    });
    runtime.events.on('overload', (event) => {
      expectTypeOf(event.reason).toEqualTypeOf<'overloaded' | 'mailbox_full' | 'too_many_sessions'>();
    });
    runtime.events.on('listenerError', (event) => {
      expectTypeOf(event.error).toEqualTypeOf<unknown>();
      // Another event's name, a dispatch caller's onNotification, or the placement's unsubscribe.
      expectTypeOf(event.event).toEqualTypeOf<
        Exclude<keyof RuntimeEvents, 'listenerError'> | 'onNotification' | 'placement'
      >();
      expectTypeOf<'sessionStopped' | 'onNotification' | 'placement'>().toExtend<typeof event.event>();
      // @ts-expect-error: listenerError's own listeners' throws are dropped, never reported
      expectTypeOf<'listenerError'>().toExtend<typeof event.event>();
    });
    // @ts-expect-error: no such event
    runtime.events.on('sessionCreated', () => {});
    // @ts-expect-error: a sessionStarted payload has no reason
    runtime.events.on('sessionStarted', (event) => event.reason);
    expect(runtime.events.listenerCount('sessionStopped')).toBe(1);
  });
});
