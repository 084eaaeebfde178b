/**
 * The HTTP handlers' arguments fail loudly (issue 13, item 9): a misspelt option names the closest
 * valid one, at the top level and inside nested options; anything but a runtime is refused.
 */
import { describe, expect, it } from 'vitest';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import { createSessionRuntime } from '../../src/index.js';

const factories = [
  ['createNodeHandler', createNodeHandler],
  ['createFetchHandler', createFetchHandler],
] as const;

describe.each(factories)('%s', (name, create) => {
  const runtime = createSessionRuntime();

  it.each([
    [{ allowedHost: ['x'] }, 'Unknown option `allowedHost`; did you mean `allowedHosts`?'],
    [{ allowedOrigin: ['x'] }, 'Unknown option `allowedOrigin`; did you mean `allowedOrigins`?'],
    [{ maxBodySize: 1 }, 'Unknown option `maxBodySize`; did you mean `maxBodyBytes`?'],
    [{ onerror: () => {} }, 'Unknown option `onerror`; did you mean `onError`?'],
    [{ authentication: () => undefined }, 'Unknown option `authentication`; did you mean `authenticate`?'],
    [
      { maxStreamPerSession: 2 },
      'Unknown option `maxStreamPerSession`; did you mean `maxStreamsPerSession`?',
    ],
    [{ bodyTimeout: 5 }, 'Unknown option `bodyTimeout`; did you mean `bodyTimeoutMs`?'],
    [
      { cors: { allowedOrigin: ['https://a.example'] } },
      'Unknown key `allowedOrigin` in `cors`; did you mean `allowedOrigins`?',
    ],
    [
      { rateLimit: { requestPerSecond: 1 } },
      'Unknown key `requestPerSecond` in `rateLimit`; did you mean `requestsPerSecond`?',
    ],
    [
      { protectedResource: { resource: 'https://a/mcp', authorizationServer: ['https://as'] } },
      'Unknown key `authorizationServer` in `protectedResource`; did you mean `authorizationServers`?',
    ],
  ])('rejects the misspelt option %j, naming the closest', (options, message) => {
    expect(() => create(runtime, options as never)).toThrow(TypeError);
    expect(() => create(runtime, options as never)).toThrow(message);
  });

  it.each([
    ['null', null],
    ['a number', 3000],
    ['an array', ['localhost']],
  ])('rejects %s as options', (_, options) => {
    expect(() => create(runtime, options as never)).toThrow(/^Expected `options` to be an object, got /);
  });

  it.each([
    ['undefined', undefined, 'got `undefined`'],
    ['null', null, 'got `null`'],
    ['an empty object', {}, 'got an object without the method `dispatch`'],
    ['the options in its place', { allowedHosts: ['x'] }, 'got an object without the method `dispatch`'],
    ['a number', 42, 'got `42`'],
    ['half a runtime', { dispatch: () => undefined }, 'got an object without the method `attach`'],
  ])('rejects %s as the runtime', (_, value, got) => {
    expect(() => create(value as never)).toThrow(TypeError);
    expect(() => create(value as never)).toThrow(
      `Expected the first argument of ${name} to be a SessionRuntime (from \`createSessionRuntime\`), ${got}`,
    );
  });

  it('accepts a runtime with no options', () => {
    expect(typeof create(runtime)).toBe('function');
    expect(typeof create(runtime, undefined)).toBe('function');
  });
});
