/**
 * Per-tool interleaving: a session runs its requests in order (FIFO, `maxConcurrentRequests`
 * slots), and a tool that opts out (`interleave: true`, or `readOnlyHint` under
 * `interleaveReadOnlyTools`) starts at once beside whatever runs, holding no slot; everything else
 * about it (cancellation, removal, close, the bound on how many run) stays the mailbox's.
 */
import { describe, expect, it } from 'vitest';
import type { JsonRpcResponse, ToolDefinition } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';
import { cancelled, deferred, flush, openSession, request } from '../helpers.js';

function server(
  options: { readOnly?: boolean; mailboxCapacity?: number; maxConcurrentRequests?: number } = {},
) {
  const gate = deferred<void>();
  const started: string[] = [];
  const aborted: string[] = [];
  const slow = (name: string, extra: Partial<ToolDefinition> = {}) =>
    defineTool({
      name,
      ...extra,
      handler: async (_args, ctx) => {
        started.push(name);
        ctx.signal.addEventListener('abort', () => aborted.push(name));
        await gate.promise;
        return name;
      },
    });
  const quick = (name: string, extra: Partial<ToolDefinition> = {}) =>
    defineTool({
      name,
      ...extra,
      handler: () => {
        started.push(name);
        return name;
      },
    });
  const runtime = createSessionRuntime({
    ...(options.readOnly === undefined ? {} : { interleaveReadOnlyTools: options.readOnly }),
    ...(options.mailboxCapacity === undefined ? {} : { mailboxCapacity: options.mailboxCapacity }),
    ...(options.maxConcurrentRequests === undefined
      ? {}
      : { maxConcurrentRequests: options.maxConcurrentRequests }),
    tools: [
      slow('slow'),
      slow('slow_peek', { interleave: true }),
      quick('peek', { interleave: true }),
      quick('write'),
      quick('read', { annotations: { readOnlyHint: true } }),
      quick('read_in_order', { annotations: { readOnlyHint: true }, interleave: false }),
    ],
  });
  return { runtime, gate, started, aborted };
}

let nextId = 1;
const call = (name: string) => request(nextId++, 'tools/call', { name });
const textOf = (answer: unknown) =>
  (answer as { result?: { content: { text: string }[] } }).result?.content[0]?.text ?? JSON.stringify(answer);

describe('interleaving tools', () => {
  it('answers an interleaving tool while a slow call holds the session; others wait their turn', async () => {
    const { runtime, gate, started } = server();
    await openSession(runtime, 's');
    const slow = runtime.dispatch('s', call('slow'));
    await flush();
    const write = runtime.dispatch('s', call('write'));
    expect(textOf(await runtime.dispatch('s', call('peek')))).toBe('peek');
    expect(started).toEqual(['slow', 'peek']);
    expect(runtime.info('s')).toMatchObject({ queued: 1, inFlight: 1 });
    gate.resolve();
    expect(textOf(await slow)).toBe('slow');
    expect(textOf(await write)).toBe('write');
    expect(started).toEqual(['slow', 'peek', 'write']);
  });

  it('takes no slot: an ordered request starts while interleaving calls run', async () => {
    const { runtime, gate, started } = server();
    await openSession(runtime, 's');
    const peeks = [runtime.dispatch('s', call('slow_peek')), runtime.dispatch('s', call('slow_peek'))];
    await flush();
    expect(textOf(await runtime.dispatch('s', call('write')))).toBe('write');
    expect(started).toEqual(['slow_peek', 'slow_peek', 'write']);
    gate.resolve();
    for (const answer of await Promise.all(peeks)) expect(textOf(answer)).toBe('slow_peek');
  });

  it('interleaves readOnlyHint tools only when asked, and never one that says interleave: false', async () => {
    for (const readOnly of [false, true]) {
      const { runtime, gate, started } = server({ readOnly });
      await openSession(runtime, 's');
      const slow = runtime.dispatch('s', call('slow'));
      await flush();
      const read = runtime.dispatch('s', call('read'));
      const inOrder = runtime.dispatch('s', call('read_in_order'));
      await flush();
      expect(started, `interleaveReadOnlyTools: ${readOnly}`).toEqual(readOnly ? ['slow', 'read'] : ['slow']);
      gate.resolve();
      await Promise.all([slow, read, inOrder]);
      expect(started.slice(-1)).toEqual(['read_in_order']);
    }
  });

  it('bounds the interleaving calls running at once by mailboxCapacity', async () => {
    const { runtime, gate } = server({ mailboxCapacity: 2 });
    await openSession(runtime, 's');
    const running = [runtime.dispatch('s', call('slow_peek')), runtime.dispatch('s', call('slow_peek'))];
    await flush();
    const third = (await runtime.dispatch('s', call('slow_peek'))) as JsonRpcResponse;
    expect((third as { error: { data: { reason: string } } }).error.data.reason).toBe('mailbox_full');
    gate.resolve();
    for (const answer of await Promise.all(running)) expect(textOf(answer)).toBe('slow_peek');
  });

  it('cancels, removes and closes interleaving calls like any other', async () => {
    const { runtime, aborted } = server();
    await openSession(runtime, 's');
    const id = nextId;
    const cancelledCall = runtime.dispatch('s', call('slow_peek'));
    await flush();
    await runtime.dispatch('s', cancelled(id));
    expect(await cancelledCall).toBeUndefined();
    expect(aborted).toEqual(['slow_peek']);
    const removed = runtime.dispatch('s', call('slow_peek'));
    await flush();
    runtime.remove('s');
    expect((await removed) as unknown).toMatchObject({ error: { data: { reason: 'session_closed' } } });
    await openSession(runtime, 't');
    const closing = runtime.dispatch('t', call('slow_peek'));
    await flush();
    await runtime.close({ drainMs: 0 });
    expect((await closing) as unknown).toMatchObject({ error: { data: { reason: 'shutting_down' } } });
    expect(runtime.metrics().inFlight).toBe(0);
  });

  it('refuses an interleave that is not a boolean, and a misspelt option', () => {
    expect(() => defineTool({ name: 't', interleave: 'yes' as never, handler: () => '' })).toThrow(
      /Expected the `interleave` of tool `t` to be a boolean/,
    );
    expect(() => createSessionRuntime({ interleaveReadOnlyTool: true } as never)).toThrow(
      /Unknown option `interleaveReadOnlyTool`; did you mean `interleaveReadOnlyTools`/,
    );
  });
});
