/**
 * With no OpenTelemetry SDK registered (this file registers none; each test file runs in its own
 * worker): requests are served as before, nothing is built, and the global API stays a no-op.
 */
import { context, createNoopMeter, metrics, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { isTelemetryActive } from '../../src/runtime/telemetry/instruments.js';
import { openSession, request } from '../helpers.js';

describe('without an OpenTelemetry SDK', () => {
  it('serves requests with no span and no context, and leaves the global API a no-op', async () => {
    const seen: unknown[] = [];
    const runtime = createSessionRuntime({
      tools: [
        defineTool({
          name: 'look',
          handler: () => {
            seen.push(trace.getActiveSpan(), context.active());
            return 'ok';
          },
        }),
      ],
    });
    await openSession(runtime, 's1');
    // A transport's attributes are never even read: a lazy transport resolves nothing.
    let reads = 0;
    const telemetry = {
      get attributes() {
        reads++;
        return { 'network.transport': 'pipe' };
      },
    };
    const answer = await runtime.dispatch('s1', request(1, 'tools/call', { name: 'look' }), { telemetry });
    const modern = await runtime.serve(
      { kind: 'request', id: 2, method: 'tools/call', params: { name: 'look' } },
      { protocolVersion: '2026-07-28', clientCapabilities: {}, clientInfo: undefined, logLevel: undefined },
      { telemetry },
    );
    expect(reads).toBe(0);
    expect(answer).toMatchObject({ result: { content: [{ text: 'ok' }] } });
    expect(modern).toMatchObject({ result: { content: [{ text: 'ok' }] } });
    expect(seen).toEqual([undefined, ROOT_CONTEXT, undefined, ROOT_CONTEXT]);
    expect(isTelemetryActive()).toBe(false);
    expect(metrics.getMeterProvider().getMeter('any')).toBe(createNoopMeter());
    expect(trace.getTracer('any').startSpan('probe').isRecording()).toBe(false);
    expect(runtime.metrics().completed).toBe(2);
    await runtime.close({ drainMs: 0 });
  });
});
