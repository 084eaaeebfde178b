/**
 * `runtime.serve`: one MCP 2026-07-28 request without a session (SEP-2575), through a one-request
 * mailbox (StatelessRequest). Nothing outlives the request; what the client can do comes from this
 * request's envelope alone; the runtime's limits (timeout, cancellation, shutdown) still apply.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type {
  HandlerContext,
  JsonRpcNotification,
  RequestHandler,
  SessionRuntime,
  SessionRuntimeOptions,
} from '../../src/index.js';
import { createSessionRuntime } from '../../src/index.js';
import type { RequestEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { deferred, flush, openSession, request } from '../helpers.js';

/** Both eras' versions, newest first: what discover and -32022 list. */
const ALL = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

const serverInfo = { name: 'stateless-test', version: '0.0.1' };
const serverInfoKey = 'io.modelcontextprotocol/serverInfo';

function envelope(overrides: Partial<RequestEnvelope> = {}): RequestEnvelope {
  return {
    protocolVersion: '2026-07-28',
    clientCapabilities: {},
    clientInfo: { name: 'c', version: '1' },
    logLevel: undefined,
    ...overrides,
  };
}

const incoming = (
  id: string | number,
  method: string,
  params: Record<string, unknown> = {},
): IncomingRequest => ({
  kind: 'request',
  id,
  method,
  params,
});

let runtime: SessionRuntime | undefined;
let contexts: HandlerContext[] = [];

function setUp(
  handlers: Record<string, RequestHandler> = {},
  options: Omit<SessionRuntimeOptions, 'handlers'> = {},
): SessionRuntime {
  contexts = [];
  runtime = createSessionRuntime({
    serverInfo,
    ...options,
    handlers: {
      'test/echo': (params, ctx) => {
        contexts.push(ctx);
        return { echoed: params.value ?? null };
      },
      ...handlers,
    },
  });
  return runtime;
}

afterEach(async () => {
  await runtime?.close({ drainMs: 0 });
  runtime = undefined;
});

describe('runtime.serve', () => {
  it('answers a request, stamped, and leaves no session, no event, no directory entry', async () => {
    const runtime = setUp();
    const started: unknown[] = [];
    runtime.events.on('sessionStarted', (event) => started.push(event));
    const answer = await runtime.serve(incoming(1, 'test/echo', { value: 3 }), envelope());
    expect(answer).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { echoed: 3, resultType: 'complete', _meta: { [serverInfoKey]: serverInfo } },
    });
    expect(runtime.size).toBe(0);
    expect(started).toEqual([]);
    expect(runtime.metrics()).toMatchObject({ sessions: 0, sessionsStarted: 0, accepted: 1, completed: 1 });
  });

  it("gives the handler a session-free context built from this request's envelope", async () => {
    const runtime = setUp();
    await runtime.serve(
      incoming('a', 'test/echo'),
      envelope({
        clientCapabilities: { roots: { listChanged: true } },
        clientInfo: { name: 'x', version: '9' },
      }),
    );
    await runtime.serve(incoming('b', 'test/echo'), envelope());
    expect(contexts.map((ctx) => [ctx.sessionId, ctx.requestId, ctx.method])).toEqual([
      ['', 'a', 'test/echo'],
      ['', 'b', 'test/echo'],
    ]);
    expect(contexts[0]?.session).toMatchObject({
      sessionId: '',
      state: 'ready',
      initialized: true,
      protocolVersion: '2026-07-28',
      clientCapabilities: { roots: { listChanged: true } },
      clientInfo: { name: 'x', version: '9' },
    });
    // The second request declared nothing: nothing is remembered from the first.
    expect(contexts[1]?.session.clientCapabilities).toEqual({});
  });

  it.each(['v999.0.0', '2025-11-25', '2026-07-29'])(
    'refuses a version it does not speak (%s) with -32022, supported and requested, before any handler',
    async (version) => {
      const runtime = setUp();
      const answer = await runtime.serve(incoming(7, 'test/echo'), envelope({ protocolVersion: version }));
      expect(answer).toMatchObject({
        id: 7,
        error: { code: -32022, data: { supported: ALL, requested: version } },
      });
      expect(contexts).toEqual([]);
      expect(runtime.metrics().rejected).toMatchObject({ unsupported_version: 1 });
    },
  );

  it.each(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe'])(
    'answers the removed method %s with -32601, even when a handler is registered under it',
    async (method) => {
      const runtime = setUp({ [method]: () => ({ served: true }) });
      const answer = await runtime.serve(incoming('r', method), envelope());
      expect(answer).toMatchObject({ id: 'r', error: { code: -32601 } });
      expect(runtime.metrics().rejected).toMatchObject({ method_not_found: 1 });
    },
  );

  it('answers an unknown method with -32601 and the id', async () => {
    const runtime = setUp();
    expect(await runtime.serve(incoming(0, 'no/such'), envelope())).toMatchObject({
      id: 0,
      error: { code: -32601 },
    });
  });

  it('answers server/discover from the registered capabilities and instructions', async () => {
    const runtime = setUp({}, { instructions: 'Use test/echo' });
    const answer = await runtime.serve(incoming(1, 'server/discover'), envelope());
    expect(answer).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: {
        supportedVersions: ALL,
        capabilities: expect.any(Object),
        instructions: 'Use test/echo',
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { [serverInfoKey]: serverInfo },
      },
    });
  });

  it('leaves errors unstamped, with the id', async () => {
    const runtime = setUp({
      'test/fail': () => {
        throw new Error('secret detail');
      },
    });
    const answer = await runtime.serve(incoming(4, 'test/fail'), envelope());
    expect(answer).toMatchObject({ id: 4, error: { code: -32603 } });
    expect(JSON.stringify(answer)).not.toContain('secret detail');
    expect(JSON.stringify(answer)).not.toContain('resultType');
    expect(runtime.metrics()).toMatchObject({ accepted: 1, failed: 1 });
  });

  it('sends notifications/message only at or above the envelope logLevel, and none without one', async () => {
    const runtime = setUp({
      'test/log': (_params, ctx) => {
        for (const level of ['debug', 'info', 'warning', 'error'] as const) ctx.log(level, level);
        return {};
      },
    });
    const levelsFor = async (logLevel: RequestEnvelope['logLevel']) => {
      const seen: JsonRpcNotification[] = [];
      await runtime.serve(incoming(1, 'test/log'), envelope({ logLevel }), {
        onNotification: (notification) => seen.push(notification),
      });
      return seen.map((notification) => notification.params?.level);
    };
    expect(await levelsFor(undefined)).toEqual([]);
    expect(await levelsFor('debug')).toEqual(['debug', 'info', 'warning', 'error']);
    expect(await levelsFor('warning')).toEqual(['warning', 'error']);
    expect(await levelsFor(undefined)).toEqual([]);
  });

  it('forwards progress for a progressToken, in order, before the response', async () => {
    const runtime = setUp({
      'test/progress': (_params, ctx) => {
        ctx.progress({ progress: 1 });
        ctx.progress({ progress: 2, total: 2 });
        return {};
      },
    });
    const seen: unknown[] = [];
    const answer = await runtime.serve(
      incoming(1, 'test/progress', { _meta: { progressToken: 9 } }),
      envelope(),
      {
        onNotification: (notification) => seen.push(notification.params),
      },
    );
    expect(seen).toEqual([
      { progressToken: 9, progress: 1 },
      { progressToken: 9, progress: 2, total: 2 },
    ]);
    expect(answer).toMatchObject({ id: 1, result: { resultType: 'complete' } });
  });

  it.each([
    ['sampling/createMessage', 'sampling'],
    ['elicitation/create', 'elicitation'],
    ['roots/list', 'roots'],
  ])('ctx.request(%s) without the capability fails the request with -32021', async (method, capability) => {
    const runtime = setUp({
      'test/ask': async (_params, ctx) => ctx.request(method, {}),
    });
    const answer = await runtime.serve(incoming('ask', 'test/ask'), envelope());
    expect(answer).toMatchObject({
      id: 'ask',
      error: { code: -32021, data: { requiredCapabilities: { [capability]: {} } } },
    });
  });

  it('cancels with the signal: the handler is aborted and the answer is undefined', async () => {
    const started = deferred<void>();
    const aborted = deferred<void>();
    const runtime = setUp({
      'test/wait': (_params, ctx) => {
        started.resolve();
        return new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.resolve();
            reject(ctx.signal.reason);
          });
        });
      },
    });
    const controller = new AbortController();
    const pending = runtime.serve(incoming(1, 'test/wait'), envelope(), { signal: controller.signal });
    await started.promise;
    controller.abort();
    await aborted.promise;
    expect(await pending).toBeUndefined();
    expect(runtime.metrics()).toMatchObject({ cancelled: 1, inFlight: 0 });
  });

  it('times out after requestTimeoutMs and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const runtime = setUp(
      {
        'test/wait': (_params, ctx) =>
          new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)),
      },
      { clock, requestTimeoutMs: 1_000 },
    );
    const pending = runtime.serve(incoming('t', 'test/wait'), envelope());
    await flush();
    clock.advance(999);
    await flush();
    clock.advance(1);
    expect(await pending).toMatchObject({ id: 't', error: { data: { reason: 'request_timeout' } } });
    await runtime.serve(incoming('u', 'test/echo'), envelope());
    await flush();
    expect(clock.pendingTimers).toBe(0);
  });

  it('serves many requests at once, each with its own envelope', async () => {
    const runtime = setUp();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        runtime.serve(
          incoming(index, 'test/echo', { value: index }),
          envelope({ clientInfo: { name: `client-${index}`, version: '1' } }),
        ),
      ),
    );
    expect(
      answers.map((answer) => (answer as unknown as { result: { echoed: number } }).result.echoed),
    ).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(contexts.map((ctx) => ctx.session.clientInfo?.name).sort()).toEqual(
      Array.from({ length: 50 }, (_, index) => `client-${index}`).sort(),
    );
    expect(runtime.size).toBe(0);
    expect(runtime.metrics()).toMatchObject({ accepted: 50, completed: 50, inFlight: 0, queued: 0 });
  });

  it('lets a modern request dispatch to a 2025 session through ctx.dispatch', async () => {
    const runtime = setUp({
      'test/relay': async (_params, ctx) => {
        const answer = await ctx.dispatch('legacy', request('inner', 'test/echo', { value: 'relayed' }));
        return { inner: answer };
      },
    });
    await openSession(runtime, 'legacy');
    const answer = await runtime.serve(incoming(1, 'test/relay'), envelope());
    expect(answer).toMatchObject({
      id: 1,
      result: { inner: { id: 'inner', result: { echoed: 'relayed' } }, resultType: 'complete' },
    });
    // The inner answer is a 2025 session's: not stamped.
    expect(JSON.stringify((answer as unknown as { result: { inner: unknown } }).result.inner)).not.toContain(
      'resultType',
    );
    expect(runtime.size).toBe(1);
  });

  it('refuses with shutting_down once the runtime is closing', async () => {
    const runtime = setUp();
    const closing = runtime.close({ drainMs: 0 });
    const answer = await runtime.serve(incoming(2, 'test/echo'), envelope());
    expect(answer).toMatchObject({ id: 2, error: { data: { reason: 'shutting_down' } } });
    const discover = await runtime.serve(incoming(3, 'server/discover'), envelope());
    expect(discover).toMatchObject({ id: 3, error: { data: { reason: 'shutting_down' } } });
    await closing;
  });

  it('advertises in discover what the user declared, adding listChanged only for lists it serves', async () => {
    const runtime = setUp({}, { capabilities: { resources: { subscribe: true }, experimental: { x: {} } } });
    const answer = await runtime.serve(incoming(1, 'server/discover'), envelope());
    const capabilities = (
      answer as unknown as { result: { capabilities: Record<string, Record<string, unknown> | undefined> } }
    ).result.capabilities;
    // No resources are registered here, so no listen can announce their changes.
    expect(capabilities.resources).toEqual({ subscribe: true });
    expect(capabilities.experimental).toEqual({ x: {} });
    expect(capabilities.tools).toBeUndefined();
  });
});
