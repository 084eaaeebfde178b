/**
 * Progress must increase strictly (MCP 2025-11-25, "Progress": "The progress value MUST increase with
 * each notification"). A handler may report the same value twice, go back, or report a value that is
 * not a number; the runtime drops every update that is not strictly greater than the last one sent,
 * so what reaches the client is always strictly increasing.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFetchHandler } from '../../src/http/index.js';
import type { JsonRpcNotification } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { initializedNotification, initializeRequest, openSession, request } from '../helpers.js';

/** Dispatches one `report` request whose handler reports `reported` in order; returns the progress values delivered. */
async function delivered(reported: readonly number[]): Promise<number[]> {
  const runtime = createSessionRuntime({
    handlers: {
      report: (_params, context) => {
        for (const progress of reported) context.progress({ progress });
        return {};
      },
    },
  });
  await openSession(runtime, 's');
  const notifications: JsonRpcNotification[] = [];
  const answer = await runtime.dispatch('s', request(1, 'report', { _meta: { progressToken: 'p' } }), {
    onNotification: (notification) => notifications.push(notification),
  });
  expect(answer).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
  await runtime.close();
  for (const notification of notifications) {
    expect(notification.method).toBe('notifications/progress');
    expect(notification.params?.progressToken).toBe('p');
  }
  return notifications.map((notification) => notification.params?.progress as number);
}

describe('progress sent to the client', () => {
  it.each([
    { case: 'a repeat in the middle', reported: [1, 2, 2, 3], sent: [1, 2, 3] },
    { case: 'the same value only', reported: [1, 1, 1], sent: [1] },
    { case: 'a repeated fraction', reported: [0.5, 0.5, 1], sent: [0.5, 1] },
    { case: 'decreasing values', reported: [3, 2, 1], sent: [3] },
    { case: 'a drop and a climb back', reported: [1, 5, 2, 5, 6], sent: [1, 5, 6] },
    { case: 'a repeat after a jump', reported: [1, 10, 10, 11], sent: [1, 10, 11] },
    { case: 'a first value of zero, repeated', reported: [0, 0, 1], sent: [0, 1] },
    { case: 'a first negative value', reported: [-2, -2, -1], sent: [-2, -1] },
    { case: 'values that are not numbers', reported: [Number.NaN, 1, Number.NaN, 2], sent: [1, 2] },
    {
      case: 'values a float apart',
      reported: [1, 1 + Number.EPSILON, 1 + Number.EPSILON],
      sent: [1, 1 + Number.EPSILON],
    },
  ])('increases strictly with $case: $reported gives $sent', async ({ reported, sent }) => {
    expect(await delivered(reported)).toEqual(sent);
  });

  it('keeps each request on its own scale: a second request starts again from its first value', async () => {
    const values: number[][] = [];
    const runtime = createSessionRuntime({
      handlers: {
        report: (params, context) => {
          for (const progress of params.values as number[]) context.progress({ progress });
          return {};
        },
      },
    });
    await openSession(runtime, 's');
    for (const [id, reported] of [
      [1, [5, 6]],
      [2, [1, 2, 2]],
    ] as const) {
      const seen: number[] = [];
      await runtime.dispatch('s', request(id, 'report', { values: reported, _meta: { progressToken: id } }), {
        onNotification: (notification) => seen.push(notification.params?.progress as number),
      });
      values.push(seen);
    }
    expect(values).toEqual([
      [5, 6],
      [1, 2],
    ]);
    await runtime.close();
  });

  it('over HTTP: a tool reporting 1, 2, 2, 3 puts exactly 1, 2, 3 on the SSE stream', async () => {
    const report = defineTool({
      name: 'report',
      description: 'Reports the given progress values in order',
      inputSchema: z.object({ values: z.array(z.number()) }),
      handler: ({ values }, ctx) => {
        for (const progress of values) ctx.progress({ progress, total: 3 });
        return 'reported';
      },
    });
    const runtime = createSessionRuntime({ tools: [report] });
    const handler = createFetchHandler(runtime);
    const url = 'http://localhost:3000/mcp';
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const initialized = await handler(
      new Request(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(initializeRequest(0)),
      }),
    );
    const session = { ...headers, 'mcp-session-id': initialized.headers.get('mcp-session-id') as string };
    await initialized.text();
    await handler(
      new Request(url, {
        method: 'POST',
        headers: session,
        body: JSON.stringify(initializedNotification),
      }),
    );
    const response = await handler(
      new Request(url, {
        method: 'POST',
        headers: session,
        body: JSON.stringify(
          request(1, 'tools/call', {
            name: 'report',
            arguments: { values: [1, 2, 2, 3] },
            _meta: { progressToken: 'wire' },
          }),
        ),
      }),
    );
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const messages = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice('data: '.length)));
    expect(messages.filter((message) => message.method === 'notifications/progress')).toEqual(
      [1, 2, 3].map((progress) => ({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'wire', progress, total: 3 },
      })),
    );
    expect(messages.at(-1)).toMatchObject({
      id: 1,
      result: { content: [{ type: 'text', text: 'reported' }] },
    });
    await runtime.close();
  });
});
