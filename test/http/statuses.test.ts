/**
 * The HTTP transport's one status table: every reason of the runtime's error table has a status, and
 * `httpStatusOf` reads a JSON-RPC error object by its `data.reason`.
 */
import { describe, expect, it } from 'vitest';
import { createDemoRuntime } from '../../examples/tools.js';
import { createFetchHandler, httpStatusOf } from '../../src/http/index.js';
import { httpReasonOf, httpStatusTable } from '../../src/http/statuses.js';
import {
  createSessionRuntime,
  errorTable,
  httpStatusOf as rootHttpStatusOf,
  SessionRuntimeError,
} from '../../src/index.js';
import type { Placement } from '../../src/runtime/placement.js';
import { PlacementUnavailableError } from '../../src/runtime/placement.js';
import { initializeRequest } from '../helpers.js';

describe('httpStatusOf', () => {
  it('maps runtime errors to HTTP statuses and leaves handler codes at 200', () => {
    expect(httpStatusOf(new SessionRuntimeError('session_not_found').toJsonRpcError())).toBe(404);
    expect(httpStatusOf(new SessionRuntimeError('overloaded').toJsonRpcError())).toBe(503);
    expect(httpStatusOf(new SessionRuntimeError('cluster_unavailable').toJsonRpcError())).toBe(503);
    expect(httpStatusOf(new SessionRuntimeError('mailbox_full').toJsonRpcError())).toBe(429);
    expect(httpStatusOf(new SessionRuntimeError('invalid_request').toJsonRpcError())).toBe(400);
    expect(httpStatusOf({ code: -32002, message: 'Resource not found' })).toBe(200);
    expect(httpStatusOf({ code: 7, message: 'x', data: { reason: 'made_up' } })).toBe(200);
  });

  it('answers a handler failure on an accepted request with 200 and the transport’s own failure with 500', () => {
    expect(httpStatusOf(new SessionRuntimeError('internal_error').toJsonRpcError())).toBe(200);
    expect(
      httpStatusOf({ code: -32603, message: 'Internal error', data: { reason: 'internal_server_error' } }),
    ).toBe(500);
  });

  it('reads the transport’s own refusals', () => {
    const refusal = { code: -32000, message: 'Too many requests', data: { reason: 'rate_limited' } };
    expect(httpReasonOf(refusal)).toBe('rate_limited');
    expect(httpStatusOf(refusal)).toBe(429);
    expect(httpReasonOf({ code: -32000, message: 'x', data: { reason: 'toString' } })).toBeUndefined();
  });

  it('has a status for every reason of the runtime error table, and is the root export too', () => {
    for (const reason of Object.keys(errorTable)) expect(httpStatusTable).toHaveProperty(reason);
    expect(rootHttpStatusOf).toBe(httpStatusOf);
  });
});

describe('the status of every error answer is its reason’s', () => {
  it('sends the transport’s own failure as 500 internal_server_error, -32603 "Internal error"', async () => {
    const errors: unknown[] = [];
    const runtime = createDemoRuntime();
    const mcp = createFetchHandler(runtime, {
      generateSessionId: () => 'has spaces',
      onError: (error) => errors.push(error),
    });
    const response = await mcp(
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(initializeRequest(0)),
      }),
    );
    const body = (await response.json()) as { error: { code: number; message: string; data: unknown } };
    expect(response.status).toBe(500);
    expect(body.error).toEqual({
      code: -32603,
      message: 'Internal error',
      data: { reason: 'internal_server_error' },
    });
    expect(httpStatusOf(body.error)).toBe(500);
    expect(errors).toEqual([expect.any(TypeError)]);
    await runtime.close();
  });

  it('sends cluster_unavailable (the placement cannot claim a new session id) as 503 with Retry-After', async () => {
    const placement: Placement = {
      instanceId: 'a',
      address: 'http://10.0.0.1:3000',
      claim: () => Promise.reject(new PlacementUnavailableError('store unreachable', 9)),
      holds: () => false,
      release: () => {},
      locate: () => Promise.resolve({ kind: 'none' }),
      onLost: () => {},
      publish: () => {},
      onNotification: () => {},
    };
    const runtime = createSessionRuntime({ placement });
    const mcp = createFetchHandler(runtime);
    const response = await mcp(
      new Request('http://localhost/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(initializeRequest(0)),
      }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('9');
    expect(((await response.json()) as { error: unknown }).error).toEqual({
      code: -32024,
      message: 'Cluster directory unavailable',
      data: { reason: 'cluster_unavailable', retryAfterSeconds: 9 },
    });
    expect(runtime.size).toBe(0);
    await runtime.close();
  });
});
