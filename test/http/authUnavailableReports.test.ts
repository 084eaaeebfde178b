/**
 * An outage of the `authenticate` hook (it throws `AuthenticatorUnavailableError`, as the JWT
 * authenticator does while its key set cannot be fetched) fails every request the same way: each is
 * answered 503 `authentication_unavailable`, but `onError` hears of the first one, then of at most
 * one a second, with how many were left unreported meanwhile.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthenticatorUnavailableError, createFetchHandler } from '../../src/http/index.js';
import { createSessionRuntime } from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

function setUp() {
  const errors: unknown[] = [];
  let calls = 0;
  const runtime = createSessionRuntime({});
  const handler = createFetchHandler(runtime, {
    onError: (error) => errors.push(error),
    authenticate: () => {
      calls++;
      throw new AuthenticatorUnavailableError(`key set unreachable (${calls})`, { retryAfterSeconds: 2 });
    },
  });
  const post = async (): Promise<number> => {
    const response = await handler(
      new Request('http://localhost:3000/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      }),
    );
    await response.text();
    return response.status;
  };
  return { errors, post };
}

describe('reports of an authenticate outage', () => {
  it('reports the first, then at most one a second with the count left unreported meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const { errors, post } = setUp();
    for (let i = 0; i < 20; i++) expect(await post()).toBe(503);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AuthenticatorUnavailableError);
    expect((errors[0] as Error).message).toBe('key set unreachable (1)');

    vi.advanceTimersByTime(1000);
    expect(await post()).toBe(503);
    expect(errors).toHaveLength(2);
    const second = errors[1] as AuthenticatorUnavailableError;
    expect(second).toBeInstanceOf(AuthenticatorUnavailableError);
    expect(second.message).toBe('key set unreachable (21) (and 19 more suppressed since the last report)');
    expect(second.retryAfterSeconds).toBe(2);
    expect((second.cause as Error).message).toBe('key set unreachable (21)');

    // The window runs from the last report: 999 ms later only counted, a second later reported.
    vi.advanceTimersByTime(999);
    expect(await post()).toBe(503);
    expect(errors).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(await post()).toBe(503);
    expect(errors).toHaveLength(3);
    expect((errors[2] as Error).message).toBe(
      'key set unreachable (23) (and 1 more suppressed since the last report)',
    );

    // Nothing left unreported since: the next report, a second later, is the error as thrown.
    vi.advanceTimersByTime(1000);
    expect(await post()).toBe(503);
    expect(errors).toHaveLength(4);
    expect(errors[3]).toBeInstanceOf(AuthenticatorUnavailableError);
    expect((errors[3] as Error).message).toBe('key set unreachable (24)');
  });
});
