/**
 * Loading a server module in process: the three forms of its default export (options, a runtime, a
 * function of the transport), each refusal as a `LoadError` naming what was wrong, and the choice
 * of TypeScript loader (the project's tsx, else Node's type stripping, else a message).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadError, resolveModulePath, runtimeOf, typeScriptLoader } from '../../src/cli/load.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, defineServer, defineTool, ManualClock } from '../../src/index.js';
import { connect } from '../../src/testing/index.js';
import { root } from './cliProcess.js';

const echo = defineTool({ name: 'echo', handler: () => 'echo' });

async function toolNames(runtime: SessionRuntime): Promise<unknown> {
  const client = await connect(runtime);
  const tools = await client.listTools();
  await client.close();
  return tools.map((tool) => tool.name);
}

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
};

describe('runtimeOf', () => {
  it('creates the runtime from options, with no idle expiry over stdio unless the options set one', async () => {
    const clock = new ManualClock();
    const overHttp = await runtimeOf(
      { default: defineServer({ tools: [echo], clock }) },
      { transport: 'http' },
    );
    expect(await toolNames(overHttp)).toEqual(['echo']);
    const overStdio = await runtimeOf({ default: { tools: [echo], clock } }, { transport: 'stdio' });
    const chosen = await runtimeOf(
      { default: { tools: [echo], clock, idleTimeoutMs: 60_000 } },
      { transport: 'stdio' },
    );
    const runtimes = [overHttp, overStdio, chosen];
    for (const runtime of runtimes) await runtime.dispatch('s', initialize);
    // The one session of a stdio process is open for as long as the process: it must not idle out.
    clock.advance(31 * 60_000);
    expect(runtimes.map((runtime) => runtime.has('s'))).toEqual([false, true, false]);
    await Promise.all(runtimes.map((runtime) => runtime.close({ drainMs: 0 })));
  });

  it('serves a runtime as it is, and calls a function with the transport', async () => {
    const runtime = createSessionRuntime({ tools: [echo] });
    expect(await runtimeOf({ default: runtime }, { transport: 'http' })).toBe(runtime);
    const seen: string[] = [];
    const made = await runtimeOf(
      {
        default: defineServer(async ({ transport }) => {
          seen.push(transport);
          return { tools: [echo] };
        }),
      },
      { transport: 'stdio' },
    );
    expect(seen).toEqual(['stdio']);
    expect(await toolNames(made)).toEqual(['echo']);
    await Promise.all([runtime.close(), made.close()]);
  });

  it.each([
    [{}, 'the module has no default export'],
    [{ default: 42 }, "the module's default export is a number"],
    [{ default: [echo] }, "the module's default export is an array"],
    [{ default: new Map() }, "the module's default export is an instance of Map"],
    [{ default: () => 'x' }, "the module's default export is a string"],
    [
      { default: { toolz: [] } },
      "the module's options were refused: Unknown option `toolz`; did you mean `tools`?",
    ],
    [
      {
        default: () => {
          throw new Error('no database');
        },
      },
      "the module's default export threw: Error: no database",
    ],
  ])('refuses %j with a LoadError', async (exports, message) => {
    const refusal = runtimeOf(exports as Record<string, unknown>, { transport: 'http' });
    await expect(refusal).rejects.toBeInstanceOf(LoadError);
    await expect(refusal).rejects.toThrow(message);
  });
});

describe('resolveModulePath', () => {
  it('resolves against the working directory and refuses what is not a file', () => {
    expect(resolveModulePath('examples/cli-server.ts', root)).toBe(join(root, 'examples', 'cli-server.ts'));
    expect(() => resolveModulePath('examples/none.ts', root)).toThrow(
      /cannot find module 'examples\/none\.ts'/,
    );
    expect(() => resolveModulePath('examples', root)).toThrow("'examples' is not a file");
  });
});

describe('typeScriptLoader', () => {
  let outside = '';
  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), 'mcp-cli-load-'));
  });
  afterAll(async () => {
    await rm(outside, { recursive: true, force: true });
  });

  it("prefers the project's tsx (found from the module's folder or the working directory)", () => {
    const loader = typeScriptLoader(join(root, 'examples', 'cli-server.ts'), outside, false);
    expect(loader.kind).toBe('tsx');
    expect(loader.kind === 'tsx' && loader.api).toMatch(/tsx[\\/]dist[\\/]esm[\\/]api[\\/]index\.mjs$/);
    expect(typeScriptLoader(join(outside, 'server.ts'), root, true).kind).toBe('tsx');
  });

  it("falls back to Node's type stripping, else says what to install", () => {
    expect(typeScriptLoader(join(outside, 'server.ts'), outside, true)).toEqual({ kind: 'native' });
    const none = typeScriptLoader(join(outside, 'server.ts'), outside, false);
    expect(none.kind).toBe('none');
    expect(none.kind === 'none' && none.message).toContain('npm install --save-dev tsx');
    // Node strips types but does not compile TSX.
    expect(typeScriptLoader(join(outside, 'server.tsx'), outside, true).kind).toBe('none');
  });
});
