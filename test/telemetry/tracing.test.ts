/**
 * The SERVER span of every request served, as the OpenTelemetry semantic conventions for MCP
 * (status: Development) describe it: its name, kind and attributes for both eras, errors, the
 * parent injected in `params._meta` with the transport's context as a link, handlers' own spans
 * nested under it, and the mailbox wait as a span event.
 */
import type { Span, SpanContext } from '@opentelemetry/api';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SessionRuntime } from '../../src/index.js';
import {
  createSessionRuntime,
  definePrompt,
  defineResource,
  defineTool,
  ToolError,
} from '../../src/index.js';
import type { RequestEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { deferred, openSession, request } from '../helpers.js';
import type { TestSdk } from './sdk.js';
import { registerSdk, unregisterSdk } from './sdk.js';

let sdk: TestSdk;
let runtime: SessionRuntime;
/** Lets a test hold the `slow` tool until it says so. */
let gate = deferred<void>();
/** The span context active in the `where` tool, when it last ran. */
let seenInHandler: SpanContext | undefined;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';

const modernEnvelope: RequestEnvelope = {
  protocolVersion: '2026-07-28',
  clientCapabilities: {},
  clientInfo: { name: 'c', version: '1' },
  logLevel: undefined,
};

const modern = (id: number, method: string, params: Record<string, unknown>): IncomingRequest => ({
  kind: 'request',
  id,
  method,
  params,
});

function makeRuntime(): SessionRuntime {
  return createSessionRuntime({
    tools: [
      defineTool({ name: 'echo', inputSchema: { text: z.string() }, handler: ({ text }) => text }),
      defineTool({
        name: 'refuse',
        handler: () => {
          throw new ToolError('Not today');
        },
      }),
      defineTool({
        name: 'nested',
        handler: async () => {
          // The user's own span, after an await: it must still find the request's span active.
          await Promise.resolve();
          trace.getTracer('user-code').startActiveSpan('user work', (span) => span.end());
          return 'done';
        },
      }),
      defineTool({
        name: 'where',
        handler: () => {
          seenInHandler = trace.getActiveSpan()?.spanContext();
          return 'here';
        },
      }),
      defineTool({
        name: 'slow',
        handler: async () => {
          await gate.promise;
          trace.getTracer('user-code').startActiveSpan('slow work', (span) => span.end());
          return 'slow';
        },
      }),
    ],
    prompts: [definePrompt({ name: 'greet', get: () => 'Hello' })],
    resources: [defineResource({ uri: 'test://readme', name: 'Readme', read: () => 'text' })],
  });
}

function finished(): ReadableSpan[] {
  return sdk.spans.getFinishedSpans();
}

function spanNamed(name: string): ReadableSpan {
  const found = finished().filter((span) => span.name === name);
  expect(found, `one span named ${name}`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

beforeAll(() => {
  sdk = registerSdk();
});

afterAll(async () => {
  await unregisterSdk(sdk);
});

beforeEach(() => {
  gate = deferred<void>();
  runtime = makeRuntime();
});

afterEach(async () => {
  gate.resolve();
  await runtime.close({ drainMs: 0 });
  sdk.spans.reset();
});

describe('request spans', () => {
  it('names a 2025 session tools/call after its tool, with the session id and the convention attributes', async () => {
    await openSession(runtime, 's1');
    sdk.spans.reset();
    const answer = await runtime.dispatch(
      's1',
      request(2, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }),
    );
    expect(answer).toMatchObject({ result: { content: [{ type: 'text', text: 'hi' }] } });
    const span = spanNamed('tools/call echo');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.instrumentationScope.name).toBe('mcp-session-runtime');
    expect(span.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'mcp.protocol.version': '2025-11-25',
      'mcp.session.id': 's1',
      'jsonrpc.request.id': '2',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('gives the initialize span the version it agreed on', async () => {
    await openSession(runtime, 's1');
    expect(spanNamed('initialize').attributes).toMatchObject({
      'mcp.method.name': 'initialize',
      'mcp.protocol.version': '2025-11-25',
      'mcp.session.id': 's1',
    });
  });

  it('never puts a session id on a 2026-07-28 request', async () => {
    await runtime.serve(modern(3, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }), modernEnvelope);
    const span = spanNamed('tools/call echo');
    expect(span.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'mcp.protocol.version': '2026-07-28',
      'jsonrpc.request.id': '3',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
    });
    expect(span.attributes['mcp.session.id']).toBeUndefined();
  });

  it('names prompts/get after its prompt and keeps a resource URI out of the name', async () => {
    await openSession(runtime, 's1');
    await runtime.dispatch('s1', request(4, 'prompts/get', { name: 'greet' }));
    await runtime.dispatch('s1', request(5, 'resources/read', { uri: 'test://readme' }));
    expect(spanNamed('prompts/get greet').attributes).toMatchObject({
      'mcp.method.name': 'prompts/get',
      'gen_ai.prompt.name': 'greet',
    });
    expect(spanNamed('prompts/get greet').attributes['gen_ai.operation.name']).toBeUndefined();
    expect(spanNamed('resources/read').attributes).toMatchObject({
      'mcp.method.name': 'resources/read',
      'mcp.resource.uri': 'test://readme',
    });
  });

  it('records a JSON-RPC error as error.type, rpc.response.status_code and an ERROR status', async () => {
    await openSession(runtime, 's1');
    await runtime.dispatch('s1', request(6, 'no/such'));
    const span = spanNamed('no/such');
    expect(span.attributes).toMatchObject({ 'error.type': '-32601', 'rpc.response.status_code': '-32601' });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Method not found: no/such' });
  });

  it('records an isError tool result as error.type tool_error', async () => {
    await openSession(runtime, 's1');
    const answer = await runtime.dispatch('s1', request(7, 'tools/call', { name: 'refuse' }));
    expect(answer).toMatchObject({ result: { isError: true } });
    const span = spanNamed('tools/call refuse');
    expect(span.attributes['error.type']).toBe('tool_error');
    expect(span.attributes['rpc.response.status_code']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('takes its parent from params._meta and links the transport context', async () => {
    await openSession(runtime, 's1');
    const http = trace.getTracer('http-server').startSpan('POST /mcp', { kind: SpanKind.SERVER });
    const meta = { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01`, baggage: 'userId=alice' };
    let baggageSeen: string | undefined;
    const inHttp = trace.setSpan(ROOT_CONTEXT, http);
    await context.with(inHttp, () =>
      runtime.dispatch(
        's1',
        request(8, 'tools/call', { name: 'echo', arguments: { text: 'x' }, _meta: meta }),
      ),
    );
    http.end();
    const span = spanNamed('tools/call echo');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(span.links.map((link) => link.context.spanId)).toEqual([http.spanContext().spanId]);
    // Baggage travels with the extracted context.
    await context.with(propagation.extract(ROOT_CONTEXT, meta), async () => {
      baggageSeen = propagation.getActiveBaggage()?.getEntry('userId')?.value;
    });
    expect(baggageSeen).toBe('alice');
  });

  it('is a child of the ambient span when _meta carries no context, with no link', async () => {
    await openSession(runtime, 's1');
    const http = trace.getTracer('http-server').startSpan('POST /mcp');
    await context.with(trace.setSpan(ROOT_CONTEXT, http), () =>
      runtime.dispatch('s1', request(9, 'tools/call', { name: 'echo', arguments: { text: 'x' } })),
    );
    http.end();
    const span = spanNamed('tools/call echo');
    expect(span.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(span.links).toEqual([]);
  });

  it("runs the handler in the request's span, so the user's spans nest under it", async () => {
    await openSession(runtime, 's1');
    await runtime.dispatch('s1', request(10, 'tools/call', { name: 'nested' }));
    const server = spanNamed('tools/call nested');
    const user = spanNamed('user work');
    expect(user.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(user.spanContext().traceId).toBe(server.spanContext().traceId);
  });

  it('runs a queued handler in its own span (not in the one whose end started it) and records its wait', async () => {
    await openSession(runtime, 's1');
    const first = runtime.dispatch('s1', request(11, 'tools/call', { name: 'slow' }));
    const second = runtime.dispatch('s1', request(12, 'tools/call', { name: 'nested' }));
    gate.resolve();
    await Promise.all([first, second]);
    const slow = spanNamed('tools/call slow');
    const nested = spanNamed('tools/call nested');
    expect(spanNamed('user work').parentSpanContext?.spanId).toBe(nested.spanContext().spanId);
    expect(spanNamed('slow work').parentSpanContext?.spanId).toBe(slow.spanContext().spanId);
    // Distinct traces: neither request was sent inside the other.
    expect(nested.spanContext().traceId).not.toBe(slow.spanContext().traceId);
    const waits = nested.events.filter((event) => event.name === 'mcp.mailbox.wait');
    expect(waits).toHaveLength(1);
    expect(waits[0]?.attributes?.['mcp_session_runtime.mailbox.wait_ms']).toBeGreaterThanOrEqual(0);
    // The first ran at once: no wait event (only a request that waited in the queue gets one).
    expect(slow.events.map((event) => event.name)).toEqual([]);
  });

  it('gives notifications no span', async () => {
    await openSession(runtime, 's1');
    expect(finished().map((span) => span.name)).toEqual(['initialize']);
  });

  it("makes a handler's ctx.dispatch to another session a child span", async () => {
    const relay = createSessionRuntime({
      tools: [
        defineTool({
          name: 'relay',
          handler: async (_args, ctx) => {
            await ctx.dispatch('other', request(1, 'ping'));
            return 'relayed';
          },
        }),
      ],
    });
    try {
      await openSession(relay, 'me');
      await openSession(relay, 'other');
      await relay.dispatch('me', request(2, 'tools/call', { name: 'relay' }));
      const outer = spanNamed('tools/call relay');
      const ping = finished().filter((span) => span.name === 'ping');
      expect(ping).toHaveLength(1);
      expect(ping[0]?.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
      expect(ping[0]?.attributes['mcp.session.id']).toBe('other');
    } finally {
      await relay.close({ drainMs: 0 });
    }
  });
});

describe('with a sampler that drops everything', () => {
  it('still answers, and records no span', async () => {
    const dropped = trace.getTracer('x').startSpan('probe') as Span;
    expect(dropped.isRecording()).toBe(true);
    dropped.end();
    sdk.spans.reset();
    // A non-recording parent (sampled out) makes the default ParentBased sampler drop the child.
    const unsampled = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: CLIENT_SPAN_ID, traceFlags: 0 });
    await openSession(runtime, 's1');
    sdk.spans.reset();
    const answer = await context.with(trace.setSpan(ROOT_CONTEXT, unsampled), () =>
      runtime.dispatch('s1', request(2, 'tools/call', { name: 'echo', arguments: { text: 'hi' } })),
    );
    expect(answer).toMatchObject({ result: { content: [{ text: 'hi' }] } });
    expect(finished()).toEqual([]);
  });

  it("still runs the handler in the request's (unrecorded) span: its trace id and sampled-out flag reach the handler", async () => {
    const unsampled = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: CLIENT_SPAN_ID, traceFlags: 0 });
    await openSession(runtime, 's1');
    seenInHandler = undefined;
    const answer = await context.with(trace.setSpan(ROOT_CONTEXT, unsampled), () =>
      runtime.dispatch('s1', request(2, 'tools/call', { name: 'where' })),
    );
    expect(answer).toMatchObject({ result: { content: [{ text: 'here' }] } });
    // The request's own span (a child of the caller's, sampled out too), not the caller's.
    const seen = seenInHandler as SpanContext | undefined;
    expect(seen?.traceId).toBe(TRACE_ID);
    expect(seen?.spanId).not.toBe(CLIENT_SPAN_ID);
    expect(seen?.traceFlags).toBe(0);
    expect(finished().filter((span) => span.name === 'tools/call where')).toEqual([]);
  });
});
