/** Sessions bound to the principal that created them, and per-principal session limits. */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
import { initializedNotification, initializeRequest, reasonOfResponse, request } from '../helpers.js';

const alice: Principal = { id: 'alice', scope: 'read' };
const bob: Principal = { id: 'bob' };

async function openAs(
  runtime: ReturnType<typeof createSessionRuntime>,
  sessionId: string,
  principal: Principal,
) {
  const answer = await runtime.dispatch(sessionId, initializeRequest(), { principal });
  await runtime.dispatch(sessionId, initializedNotification, { principal });
  return answer;
}

describe('sessions bound to their principal', () => {
  it('serves the owner and answers anyone else exactly as for an unknown session', async () => {
    const runtime = createSessionRuntime({ handlers: { whoami: (_params, ctx) => ({ auth: ctx.auth }) } });
    await openAs(runtime, 's', alice);
    expect(await runtime.dispatch('s', request(1, 'whoami'), { principal: alice })).toMatchObject({
      result: { auth: { id: 'alice', scope: 'read' } },
    });
    const asBob = await runtime.dispatch('s', request(2, 'whoami'), { principal: bob });
    const unknown = await runtime.dispatch('nope', request(2, 'whoami'), { principal: bob });
    expect(asBob).toEqual(unknown);
    expect(reasonOfResponse(asBob)).toBe('session_not_found');
    expect(reasonOfResponse(await runtime.dispatch('s', request(3, 'whoami')))).toBe('session_not_found');
  });

  it('refuses a second initialize for a taken id from another principal without touching the session', async () => {
    const runtime = createSessionRuntime();
    await openAs(runtime, 's', alice);
    expect(reasonOfResponse(await runtime.dispatch('s', initializeRequest(9), { principal: bob }))).toBe(
      'session_not_found',
    );
    expect(runtime.info('s')?.state).toBe('ready');
  });

  it('keeps the session across a refreshed token of the same user, showing its latest claims', async () => {
    const runtime = createSessionRuntime({ handlers: { whoami: (_params, ctx) => ({ auth: ctx.auth }) } });
    await openAs(runtime, 's', alice);
    const refreshed: Principal = { id: 'alice', scope: 'read write' };
    expect(await runtime.dispatch('s', request(1, 'whoami'), { principal: refreshed })).toMatchObject({
      result: { auth: { scope: 'read write' } },
    });
  });

  it('checks the principal on has, attach and remove when the caller names one', async () => {
    const runtime = createSessionRuntime();
    await openAs(runtime, 's', alice);
    expect(runtime.has('s', { principal: bob })).toBe(false);
    expect(runtime.has('s', { principal: undefined })).toBe(false);
    expect(runtime.has('s', { principal: alice })).toBe(true);
    expect(runtime.has('s')).toBe(true);
    expect(runtime.attach('s', () => {}, { principal: bob })).toBeUndefined();
    expect(runtime.remove('s', { principal: bob })).toBe(false);
    expect(runtime.remove('s', { principal: alice })).toBe(true);
  });
});

describe('per-principal session limit', () => {
  it('refuses a principal at its limit with too_many_sessions while others still get in', async () => {
    const runtime = createSessionRuntime({ maxSessionsPerPrincipal: 2 });
    await openAs(runtime, 'a1', alice);
    await openAs(runtime, 'a2', alice);
    const refused = await runtime.dispatch('a3', initializeRequest(), { principal: alice });
    expect(refused).toMatchObject({ error: { code: -32019, data: { reason: 'too_many_sessions' } } });
    expect(await openAs(runtime, 'b1', bob)).toMatchObject({ result: {} });
    runtime.remove('a1');
    expect(await openAs(runtime, 'a3', alice)).toMatchObject({ result: {} });
    expect(runtime.metrics().rejected.too_many_sessions).toBe(1);
  });

  it('does not limit sessions opened without a principal', async () => {
    const runtime = createSessionRuntime({ maxSessionsPerPrincipal: 1 });
    for (const id of ['x', 'y', 'z'])
      expect(await runtime.dispatch(id, initializeRequest())).toMatchObject({ result: {} });
  });
});
