/**
 * One tenant against the others: a principal that opens sessions until its cap, floods requests, or
 * holds streams open is stopped with 429 (or 503 for the server-wide stream cap), and another
 * principal still gets in.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/RateLimiter.js';
import type { ServerKind } from './harness.js';
import {
  callTool,
  initializeBody,
  kinds,
  openSession,
  post,
  securedServerPerTest,
  send,
  streamHeaders,
  token,
} from './harness.js';

describe.each(kinds)('per-principal limits (%s handler)', (kind: ServerKind) => {
  const start = securedServerPerTest(kind);

  it('stops a principal at maxSessionsPerPrincipal with 429 + Retry-After while another gets in', async () => {
    const server = await start({ runtime: { maxSessionsPerPrincipal: 3, maxSessions: 10 } });
    const { url, runtime } = server;
    const mallory = await token(url, { subject: 'mallory' });
    for (let opened = 0; opened < 3; opened++) await openSession(url, mallory);
    const refused = await post(url, initializeBody, mallory);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toMatchObject({
      error: { data: { reason: 'too_many_sessions', limit: 3 } },
    });
    expect(runtime.metrics().sessions).toBe(3);
    const alice = await token(url, { subject: 'alice' });
    const sessionId = await openSession(url, alice);
    expect(runtime.has(sessionId)).toBe(true);
  });

  it('rate-limits a flooding principal with 429 + Retry-After; another principal is unaffected', async () => {
    const server = await start({ http: { rateLimit: { requestsPerSecond: 2, burst: 5 } } });
    const { url } = server;
    const mallory = await token(url, { subject: 'mallory' });
    const alice = await token(url, { subject: 'alice' });
    const malloryStatuses: number[] = [];
    for (let sent = 0; sent < 12; sent++) {
      const response = await post(url, initializeBody, mallory);
      malloryStatuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('1');
        expect(await response.json()).toMatchObject({ error: { data: { reason: 'rate_limited' } } });
      } else await response.body?.cancel();
    }
    // The burst passes (a slow machine may refill one more token meanwhile), then the flood is refused.
    expect(malloryStatuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(5);
    expect(malloryStatuses.filter((status) => status === 200).length).toBeLessThanOrEqual(7);
    expect(malloryStatuses.at(-1)).toBe(429);
    const response = await post(url, initializeBody, alice);
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('caps open streams per session and overall (503), and gives slots back when streams close', async () => {
    const server = await start({ http: { maxStreamsPerSession: 1, maxStreams: 2 } });
    const { url } = server;
    const alice = await token(url, { subject: 'alice' });
    const bob = await token(url, { subject: 'bob' });
    const carol = await token(url, { subject: 'carol' });
    const [a, b, c] = [
      await openSession(url, alice),
      await openSession(url, bob),
      await openSession(url, carol),
    ];

    const first = await send(url, 'GET', streamHeaders(a, alice));
    expect(first.status).toBe(200);
    // A GET with an id that resumes nothing opens the standalone stream again: it takes over the
    // first one's slot (the first is ended), and never holds a second one.
    const second = await send(url, 'GET', { ...streamHeaders(a, alice), 'last-event-id': 'x_1' });
    expect(second.status).toBe(200);
    expect(await first.text()).toBe('');
    // A request of that session still gets its answer, as JSON: its log message cannot stream.
    const call = await callTool(url, a, alice, 'streaming');
    expect(call.status).toBe(200);
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(await call.text()).result.content[0].text).toBe('done');

    const bobStream = await send(url, 'GET', streamHeaders(b, bob));
    expect(bobStream.status).toBe(200);
    const carolStream = await send(url, 'GET', streamHeaders(c, carol));
    expect(carolStream.status).toBe(503);
    expect(carolStream.headers.get('retry-after')).toBe('1');
    await carolStream.body?.cancel();

    // Alice hangs up: her slot returns and Carol gets in.
    await second.body?.cancel();
    let retried: Response | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      retried = await send(url, 'GET', streamHeaders(c, carol));
      if (retried.status === 200) break;
      await retried.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(retried?.status).toBe(200);
    await retried?.body?.cancel();
    await bobStream.body?.cancel();
  });
});

describe('RateLimiter', () => {
  it('refills at the rate, caps at the burst, and reports the wait in whole seconds', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerSecond: 0.5, burst: 2 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 2]);
    now = 1_000;
    expect(limiter.take('a')).toBe(1);
    now = 2_000;
    expect(limiter.take('a')).toBe(0);
    now = 60_000;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 2]);
  });

  it('forgets keys whose buckets refilled, so a million one-off callers do not grow it without bound', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 10 }, () => now);
    let largest = 0;
    for (let caller = 0; caller < 1_000_000; caller++) {
      now += 1;
      limiter.take(`caller-${caller}`);
      largest = Math.max(largest, limiter.size);
    }
    // A bucket refills within 100 ms here: at most ~100 live keys, plus up to twice the sweep threshold.
    expect(largest).toBeLessThanOrEqual(2_048);
  });
});
