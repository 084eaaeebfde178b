/**
 * The latency a forward adds: one 2025-era `tools/call` (echo) sent straight to the instance that
 * owns its session, against the same call sent to another instance that forwards it. Both
 * instances run in this process on `node:http` (127.0.0.1), with a placement that names the owner;
 * calls are sequential and alternate between the two paths so that drift hits both alike.
 *
 * Run: `npx tsc -p bench/tsconfig.json && node .cache/bench/bench/forwardLatency.js [calls]`
 * (default 2000 calls per path, after 200 of warm-up).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createNodeHandler } from '../src/http/index.js';
import type { SessionRuntime } from '../src/index.js';
import { createSessionRuntime, defineTool } from '../src/index.js';
import type { ActorKey, Location, Placement } from '../src/runtime/placement.js';
import { percentile } from './harness/stats.js';

const echo = defineTool({
  name: 'echo',
  inputSchema: z.object({ text: z.string() }),
  handler: ({ text }) => text,
});

/** A placement of two instances: every session belongs to `owner`. */
function placementOf(instanceId: string, owner: { address: string }): Placement {
  return {
    instanceId,
    address: '',
    claim: async () => true,
    holds: () => true,
    release: () => {},
    locate: async () => ({ kind: 'remote', instanceId: 'owner', address: owner.address }),
    onLost: () => {},
    publish: () => {},
    onNotification: () => {},
  };
}

/** `runtime` with a placement: `locate` is local for a live session, else the placement's answer. */
function clustered(runtime: SessionRuntime, placement: Placement): SessionRuntime {
  const locate = (key: ActorKey): Promise<Location> =>
    runtime.has(key.id) ? Promise.resolve({ kind: 'local' }) : placement.locate(key.id);
  return new Proxy(runtime, {
    get(target, property) {
      if (property === 'placement') return placement;
      if (property === 'locate') return locate;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function listen(runtime: SessionRuntime): Promise<{ url: string; close: () => Promise<void> }> {
  const mcp = createNodeHandler(runtime);
  const server = createServer(mcp).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 2000);
  const owner = { address: '' };
  const runtimeA = createSessionRuntime({ tools: [echo] });
  const runtimeB = createSessionRuntime({ tools: [echo] });
  const a = await listen(clustered(runtimeA, placementOf('owner', owner)));
  const b = await listen(clustered(runtimeB, placementOf('entry', owner)));
  owner.address = new URL(a.url).origin;

  const initialized = await fetch(a.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  });
  const sessionId = initialized.headers.get('mcp-session-id') as string;
  await initialized.text();
  const sessionHeaders = { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
  let id = 1;
  const callAt = async (url: string): Promise<number> => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: id++,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x' } },
    });
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: sessionHeaders, body });
    const text = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200 || !text.includes('"result"'))
      throw new Error(`call failed: ${response.status} ${text}`);
    return elapsed;
  };

  for (let warm = 0; warm < 200; warm++) {
    await callAt(a.url);
    await callAt(b.url);
  }
  const direct: number[] = [];
  const forwarded: number[] = [];
  for (let call = 0; call < calls; call++) {
    direct.push(await callAt(a.url));
    forwarded.push(await callAt(b.url));
  }
  const row = (name: string, values: number[]) =>
    `${name.padEnd(10)} p50 ${percentile(values, 50).toFixed(3)} ms   p99 ${percentile(values, 99).toFixed(3)} ms`;
  process.stdout.write(
    `${calls} sequential tools/call per path (echo, 127.0.0.1, both instances in one process)\n`,
  );
  process.stdout.write(`${row('direct', direct)}\n${row('forwarded', forwarded)}\n`);
  const p50 = percentile(forwarded, 50) - percentile(direct, 50);
  const p99 = percentile(forwarded, 99) - percentile(direct, 99);
  process.stdout.write(
    `added      p50 ${p50.toFixed(3)} ms   p99 ${p99.toFixed(3)} ms   ratio p50 ${(percentile(forwarded, 50) / percentile(direct, 50)).toFixed(2)}\n`,
  );
  await runtimeA.close({ drainMs: 0 });
  await runtimeB.close({ drainMs: 0 });
  await a.close();
  await b.close();
}

await main();
