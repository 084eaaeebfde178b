/**
 * Attacks on session ids: guessing them, and using a valid one with another user's token. A session
 * is reachable only by the principal that opened it; to anyone else it is exactly as unknown as an
 * id that never existed (same status, headers and body), so its existence is not revealed either.
 */
import { describe, expect, it } from 'vitest';
import { createSessionRuntime } from '../../src/index.js';
import type { ServerKind } from './harness.js';
import {
  callTool,
  initializeBody,
  kinds,
  openSession,
  post,
  securedServerPerTest,
  send,
  shapeOf,
  streamHeaders,
  token,
} from './harness.js';

describe.each(kinds)('session ids (%s handler)', (kind: ServerKind) => {
  const start = securedServerPerTest(kind);

  it('mints 128-bit ids from the CSPRNG: 1,000 sessions, 1,000 distinct 32-hex ids, bits balanced', async () => {
    const server = await start();
    const { url } = server;
    const alice = await token(url);
    const ids = new Set<string>();
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(Array.from({ length: 100 }, () => openSession(url, alice)));
      for (const id of opened) ids.add(id);
    }
    expect(ids.size).toBe(1_000);
    let ones = 0;
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      for (const digit of id) ones += Number.parseInt(digit, 16).toString(2).replaceAll('0', '').length;
    }
    // 128,000 bits: a fair source lands within 1% of half (7 standard deviations).
    expect(ones / 128_000).toBeGreaterThan(0.49);
    expect(ones / 128_000).toBeLessThan(0.51);
  }, 30_000);

  it('answers 1,000 guessed ids with the same 404, byte for byte, while real sessions live', async () => {
    const server = await start();
    const { url } = server;
    const alice = await token(url);
    await Promise.all(Array.from({ length: 50 }, () => openSession(url, alice)));
    const shapes = new Set<string>();
    for (let attempt = 0; attempt < 1_000; attempt += 50) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => callTool(url, randomId(), alice).then(shapeOf)),
      );
      for (const shape of responses) shapes.add(JSON.stringify(shape));
    }
    expect([...shapes].map((shape) => JSON.parse(shape).status)).toEqual([404]);
    expect(shapes.size).toBe(1);
  }, 30_000);

  it("answers another user's valid session id exactly as an unknown one, on POST, GET, resume and DELETE", async () => {
    const server = await start();
    const { url, runtime } = server;
    const alice = await token(url, { subject: 'alice' });
    const mallory = await token(url, { subject: 'mallory' });
    const sessionId = await openSession(url, alice);
    const unknownId = randomId();

    const asMallory = async (id: string) => [
      await shapeOf(await callTool(url, id, mallory)),
      await shapeOf(
        await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, mallory, sessionHeaders(id)),
      ),
      await shapeOf(await send(url, 'GET', { ...streamHeaders(id), authorization: `Bearer ${mallory}` })),
      await shapeOf(
        await send(url, 'GET', {
          ...streamHeaders(id),
          authorization: `Bearer ${mallory}`,
          'last-event-id': '1_0',
        }),
      ),
      await shapeOf(await send(url, 'DELETE', { ...sessionHeaders(id), authorization: `Bearer ${mallory}` })),
    ];
    const onValid = await asMallory(sessionId);
    const onUnknown = await asMallory(unknownId);
    expect(onValid.map((shape) => shape.status)).toEqual([404, 404, 404, 404, 404]);
    expect(onValid).toEqual(onUnknown);

    // Mallory's attempts changed nothing: the session is Alice's, alive, and still answers her.
    expect(runtime.has(sessionId)).toBe(true);
    const call = await callTool(url, sessionId, alice);
    expect(call.status).toBe(200);
    expect(JSON.parse(await call.text()).result.content[0].text).toBe('alice');
  });

  it("keeps a session across Alice's refreshed token, and her resumable events from Mallory", async () => {
    const server = await start();
    const { url } = server;
    const first = await token(url, { subject: 'alice', expiresIn: 60 });
    const sessionId = await openSession(url, first);
    // A streamed answer leaves a replayable event log for the session.
    const streamed = await callTool(url, sessionId, first, 'streaming');
    const events = await streamed.text();
    const eventId = /^id: (\S+)$/m.exec(events)?.[1];
    expect(eventId).toBeDefined();

    const refreshed = await token(url, {
      subject: 'alice',
      expiresIn: 3_600,
      claims: { scope: 'mcp extra' },
    });
    expect(refreshed).not.toBe(first);
    const call = await callTool(url, sessionId, refreshed);
    expect(call.status).toBe(200);
    expect(JSON.parse(await call.text()).result.structuredContent.auth.scopes).toEqual(['mcp', 'extra']);

    const mallory = await token(url, { subject: 'mallory' });
    const replay = await send(url, 'GET', {
      ...streamHeaders(sessionId),
      authorization: `Bearer ${mallory}`,
      'last-event-id': eventId as string,
    });
    expect(replay.status).toBe(404);
    await replay.body?.cancel();
  });

  it('never lets an id from the client name a new session', async () => {
    const server = await start();
    const { url, runtime } = server;
    const alice = await token(url);
    const chosen = 'a'.repeat(32);
    const response = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      },
      alice,
      sessionHeaders(chosen),
    );
    // An unknown id on an initialize starts a fresh session (stale-session recovery), under an id
    // we mint: the client's never names one.
    expect(response.status).toBe(200);
    const minted = response.headers.get('mcp-session-id');
    await response.body?.cancel();
    expect(minted).not.toBeNull();
    expect(minted).not.toBe(chosen);
    expect(runtime.has(chosen)).toBe(false);
    expect(runtime.has(minted as string)).toBe(true);
  });
});

describe('a million guessed ids', () => {
  it('finds no session among 10,000 live ones (the lookup the transport makes per request)', async () => {
    const runtime = createSessionRuntime();
    const alice = { principal: { id: 'alice' } };
    try {
      const live = Array.from({ length: 10_000 }, () => randomId());
      const answers = await Promise.all(live.map((id) => runtime.dispatch(id, initializeBody, alice)));
      expect(answers.every((answer) => answer !== undefined && 'result' in answer)).toBe(true);
      expect(runtime.metrics().sessions).toBe(10_000);
      let hits = 0;
      for (let guess = 0; guess < 1_000_000; guess++) if (runtime.has(randomId(), alice)) hits++;
      expect(hits).toBe(0);
      // The check itself can hit: every live id is found, by its owner only.
      expect(live.every((id) => runtime.has(id, alice))).toBe(true);
      expect(live.some((id) => runtime.has(id, { principal: { id: 'mallory' } }))).toBe(false);
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  }, 60_000);
});

/** 16 random bytes as 32 hex digits, the shape of our ids; drawn in bulk (one call per 4,096 ids). */
const randomBytes = new Uint8Array(65_536);
let randomUsed = randomBytes.length;
function randomId(): string {
  if (randomUsed === randomBytes.length) {
    crypto.getRandomValues(randomBytes);
    randomUsed = 0;
  }
  const id = Buffer.from(randomBytes.subarray(randomUsed, randomUsed + 16)).toString('hex');
  randomUsed += 16;
  return id;
}

function sessionHeaders(sessionId: string): Record<string, string> {
  return { 'mcp-session-id': sessionId };
}
