import { describe, expect, it } from 'vitest';
import { createSessionRuntime, LATEST_PROTOCOL_VERSION } from '../../src/index.js';
import {
  initializedNotification,
  initializeRequest,
  openSession,
  reasonOfResponse,
  request,
} from '../helpers.js';

const handlers = { 'tools/list': () => ({ tools: [] }) };

describe('MCP lifecycle', () => {
  it('answers initialize with the negotiated version, capabilities and server info', async () => {
    const runtime = createSessionRuntime({
      handlers,
      serverInfo: { name: 'srv', version: '2.0.0' },
      instructions: 'be kind',
    });
    const answer = await runtime.dispatch('s', initializeRequest(7, '2025-06-18'));
    expect(answer).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {}, logging: {} },
        serverInfo: { name: 'srv', version: '2.0.0' },
        instructions: 'be kind',
      },
    });
    expect(runtime.info('s')).toMatchObject({
      state: 'initialized',
      initialized: true,
      protocolVersion: '2025-06-18',
      clientInfo: { name: 'test-client', version: '1.0.0' },
    });
  });

  it('answers an unsupported protocol version with its latest', async () => {
    const runtime = createSessionRuntime();
    const answer = await runtime.dispatch('s', initializeRequest(1, '1999-01-01'));
    expect(answer).toMatchObject({ result: { protocolVersion: LATEST_PROTOCOL_VERSION } });
  });

  it('refuses invalid initialize params with -32602', async () => {
    const runtime = createSessionRuntime();
    const answer = await runtime.dispatch('s', { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    expect(answer).toMatchObject({ id: 1, error: { code: -32602, data: { reason: 'invalid_params' } } });
    expect(runtime.info('s')).toBeUndefined();
  });

  it('refuses a second initialize on a live session with -32600', async () => {
    const runtime = createSessionRuntime();
    await openSession(runtime, 's');
    const answer = await runtime.dispatch('s', initializeRequest(2));
    expect(answer).toMatchObject({ id: 2, error: { code: -32600, data: { reason: 'already_initialized' } } });
    expect(runtime.info('s')?.state).toBe('ready');
  });

  it('moves to ready on notifications/initialized', async () => {
    const runtime = createSessionRuntime();
    await runtime.dispatch('s', initializeRequest());
    expect(await runtime.dispatch('s', initializedNotification)).toBeUndefined();
    expect(runtime.info('s')?.state).toBe('ready');
  });

  it('serves requests after the initialize answer but before notifications/initialized (HTTP race)', async () => {
    const runtime = createSessionRuntime({ handlers });
    await runtime.dispatch('s', initializeRequest());
    expect(await runtime.dispatch('s', request(1, 'tools/list'))).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { tools: [] },
    });
  });

  it('answers ping at any time, even before initialize', async () => {
    const runtime = createSessionRuntime({ spawnPolicy: 'any' });
    expect(await runtime.dispatch('s', request('p', 'ping'))).toEqual({
      jsonrpc: '2.0',
      id: 'p',
      result: {},
    });
  });

  it('refuses other requests before initialize with -32000 when sessions may be created by any message', async () => {
    const runtime = createSessionRuntime({ spawnPolicy: 'any', handlers });
    const answer = await runtime.dispatch('s', request(1, 'tools/list'));
    expect(answer).toMatchObject({ id: 1, error: { code: -32000, data: { reason: 'not_initialized' } } });
  });

  it('creates sessions only from initialize under the default policy', async () => {
    const runtime = createSessionRuntime({ handlers });
    const answer = await runtime.dispatch('unknown', request(1, 'tools/list'));
    expect(answer).toMatchObject({ id: 1, error: { code: -32001, data: { reason: 'session_not_found' } } });
    expect(runtime.size).toBe(0);
  });

  it('creates no session for a message dispatched with mayCreate: false, whatever the policy', async () => {
    const runtime = createSessionRuntime({ spawnPolicy: 'any', handlers });
    const answer = await runtime.dispatch('chosen', request(1, 'tools/list'), { mayCreate: false });
    expect(answer).toMatchObject({ id: 1, error: { code: -32001, data: { reason: 'session_not_found' } } });
    expect(await runtime.dispatch('chosen', initializeRequest(2), { mayCreate: false })).toMatchObject({
      error: { data: { reason: 'session_not_found' } },
    });
    expect(runtime.size).toBe(0);
  });

  it('answers an unknown method with -32601 without queueing it', async () => {
    const runtime = createSessionRuntime();
    await openSession(runtime, 's');
    const answer = await runtime.dispatch('s', request(1, 'no/such/method'));
    expect(answer).toMatchObject({ id: 1, error: { code: -32601 } });
    expect(runtime.metrics().accepted).toBe(0);
  });

  it('refuses a request id already in flight in the same session', async () => {
    let release!: () => void;
    const runtime = createSessionRuntime({
      handlers: { wait: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    await openSession(runtime, 's');
    const first = runtime.dispatch('s', request(1, 'wait'));
    const second = await runtime.dispatch('s', request(1, 'wait'));
    expect(reasonOfResponse(second)).toBe('invalid_request');
    release();
    expect(await first).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
  });
});

describe('a failed handshake', () => {
  it('leaves no session behind under the initialize policy', async () => {
    const runtime = createSessionRuntime();
    await runtime.dispatch('s', {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: 1 },
    });
    expect(runtime.has('s')).toBe(false);
    expect(runtime.metrics().sessionsStopped.removed).toBe(1);
  });

  it('keeps the session for a retried initialize under the any policy', async () => {
    const runtime = createSessionRuntime({ spawnPolicy: 'any' });
    await runtime.dispatch('s', { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    expect(runtime.has('s')).toBe(true);
    expect(await runtime.dispatch('s', initializeRequest(2))).toMatchObject({ result: {} });
  });
});
