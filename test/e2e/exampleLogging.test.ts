/**
 * The examples log every handler failure by default (issue 13, item 2), to stderr only (over stdio,
 * stdout carries protocol messages), naming the tool, the request id and the session's short hash;
 * cancelled requests are not logged.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoRuntime, logHandlerFailures, shortHash } from '../../examples/tools.js';
import { defineTool } from '../../src/index.js';
import { cancelled, flush, openSession, request } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('logHandlerFailures (used by every example server)', () => {
  it('writes one stderr line per failure with method, tool, request id and short session hash; nothing to stdout', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write');
    const explode = defineTool({
      name: 'explode',
      handler: () => {
        throw new Error('database unreachable');
      },
    });
    const runtime = createDemoRuntime({ tools: [explode] });
    logHandlerFailures(runtime);
    await openSession(runtime, 'session-a');
    const slow = runtime.dispatch(
      'session-a',
      request(1, 'tools/call', { name: 'slow', arguments: { steps: 50 } }),
    );
    await runtime.dispatch('session-a', request('req-7', 'tools/call', { name: 'explode', arguments: {} }));
    await runtime.dispatch('session-a', cancelled(1));
    await slow;
    await flush();
    const lines = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^handler failed: tools/call explode, request "req-7", session ${shortHash('session-a')}: Error: database unreachable\\n`,
      ),
    );
    expect(lines[0]).not.toContain('session-a');
    expect(stdout).not.toHaveBeenCalled();
    await runtime.close({ drainMs: 0 });
  });

  it('names a failure of a method without a target by its method, and a thrown non-Error by its value', async () => {
    const written: string[] = [];
    const runtime = createDemoRuntime({ handlers: { 'custom/fail': () => Promise.reject('plain string') } });
    logHandlerFailures(runtime, (line) => written.push(line));
    await openSession(runtime, 's');
    await runtime.dispatch('s', request(3, 'custom/fail'));
    expect(written).toEqual([
      `handler failed: custom/fail, request 3, session ${shortHash('s')}: threw "plain string"\n`,
    ]);
    await runtime.close({ drainMs: 0 });
  });
});
