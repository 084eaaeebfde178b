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

  it.each([
    ['idleTimeoutMS', 'idleTimeoutMs'],
    ['maxSession', 'maxSessions'],
    ['maxConcurrentRequest', 'maxConcurrentRequests'],
    ['requestTimeout', 'requestTimeoutMs'],
    ['mailboxCapcity', 'mailboxCapacity'],
    ['tool', 'tools'],
    ['resourceTemplate', 'resourceTemplates'],
    ['Logging', 'logging'],
    ['restAfterMS', 'restAfterMs'],
    ['spawnpolicy', 'spawnPolicy'],
  ])('rejects the misspelt option %s, naming %s', (key, suggestion) => {
    expect(() => createSessionRuntime({ [key]: 5 } as never)).toThrow(TypeError);
    expect(() => createSessionRuntime({ [key]: 5 } as never)).toThrow(
      `Unknown option \`${key}\`; did you mean \`${suggestion}\`?`,
    );
  });

  it('rejects an option no name is close to, listing the valid ones', () => {
    expect(() => createSessionRuntime({ port: 3000 } as never)).toThrow(
      /^Unknown option `port`; expected one of `serverInfo`, `instructions`/,
    );
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'fast'],
    ['an array', []],
    ['a function', () => ({})],
  ])('rejects %s as options with a TypeError', (_, options) => {
    expect(() => createSessionRuntime(options as never)).toThrow(TypeError);
    expect(() => createSessionRuntime(options as never)).toThrow(/^Expected `options` to be an object, got /);
  });

  it('accepts no options at all', () => {
    expect(() => createSessionRuntime()).not.toThrow();
    expect(() => createSessionRuntime(undefined)).not.toThrow();
  });
});

describe('createSessionRuntime: durations', () => {
  it.each(['idleTimeoutMs', 'restAfterMs', 'requestTimeoutMs', 'cancelGraceMs', 'clientRequestTimeoutMs'])(
    'refuses %s past the longest timer Node keeps (it would fire at once), naming the bound',
    (option) => {
      expect(() => createSessionRuntime({ [option]: 3_000_000_000 })).toThrow(
        new RegExp(`^Expected \`${option}\` to be valid \\(Expected at most 2147483647 ms`),
      );
      expect(() => createSessionRuntime({ [option]: 2_147_483_647 })).not.toThrow();
    },
  );

  it.each([
    ['idleTimeoutMs', '30s'],
    ['requestTimeoutMs', '5m'],
    ['restAfterMs', null],
  ])('says what each alternative of %s expected (a number of milliseconds, or Infinity)', (option, value) => {
    expect(() => createSessionRuntime({ [option]: value })).toThrow(
      `Expected \`${option}\` to be valid (Expected a number of milliseconds; or Expected Infinity), got \`${JSON.stringify(value)}\``,
    );
  });

  it('describes an object value with the right article', () => {
    expect(() => createSessionRuntime({ tools: {} as never })).toThrow(/got an object$/);
  });
});
