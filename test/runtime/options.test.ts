import { describe, expect, it } from 'vitest';
import { createSessionRuntime } from '../../src/index.js';

describe('options', () => {
  it.each([
    [{ mailboxCapacity: 0 }, /Expected `mailboxCapacity`.*got `0`/],
    [{ maxConcurrentRequests: 1.5 }, /Expected `maxConcurrentRequests`/],
    [{ maxSessions: -1 }, /Expected `maxSessions`/],
    [{ idleTimeoutMs: 'soon' }, /Expected `idleTimeoutMs`.*got `"soon"`/],
    [{ spawnPolicy: 'sometimes' }, /Expected `spawnPolicy`/],
    [{ handlers: { x: 42 } }, /Expected `handlers.x`/],
    [{ clock: { now: () => 0 } }, /Expected `clock`/],
  ])('rejects %j with a TypeError naming the option', (options, message) => {
    expect(() => createSessionRuntime(options as never)).toThrow(TypeError);
    expect(() => createSessionRuntime(options as never)).toThrow(message);
  });

  it('accepts Infinity as an idle timeout (never expire)', () => {
    expect(() => createSessionRuntime({ idleTimeoutMs: Number.POSITIVE_INFINITY })).not.toThrow();
  });

  it('rejects a negative sweep threshold', () => {
    expect(() => createSessionRuntime().sweepIdle(-1)).toThrow(TypeError);
  });
});
