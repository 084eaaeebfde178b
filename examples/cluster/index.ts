/**
 * Three instances of one MCP server behind a round-robin proxy, sharing sessions, state handles and
 * tasks through Redis: `npm run serve:cluster`. Clients connect to the proxy
 * (`http://127.0.0.1:3000/mcp`, `PORT` to change it); every request may land on any instance, and
 * the instances forward it to the one that owns its session, handle or task.
 *
 * Needs a Redis (`REDIS_URL`, default `redis://127.0.0.1:6379`). Ctrl-C stops the proxy and the
 * instances (each drains and gives its leases back).
 */
import type { ChildProcess, ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { createRoundRobinProxy } from './proxy.js';

const INSTANCES = Number(process.env.INSTANCES ?? 3);
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const instanceScript = fileURLToPath(new URL('./instance.ts', import.meta.url));

/** Starts one instance as a child process; resolves with its URL once it listens. */
function startInstance(index: number): Promise<{ child: ChildProcess; url: string; instanceId: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', instanceScript], {
    env: { ...process.env, PORT: '0', HOST: host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const name = `instance ${index + 1}`;
  const { stdout, stderr } = child as ChildProcessByStdio<null, Readable, Readable>;
  createInterface({ input: stderr }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before listening`)));
    createInterface({ input: stdout }).once('line', (line) => {
      const ready = JSON.parse(line) as { url: string; instanceId: string };
      resolve({ child, url: ready.url, instanceId: ready.instanceId });
    });
  });
}

try {
  const probe = await createClient({ url: redisUrl, socket: { reconnectStrategy: false } }).connect();
  await probe.quit();
} catch (error) {
  process.stderr.write(
    `No Redis at ${redisUrl} (${error instanceof Error ? error.message : String(error)}).\n` +
      'Start one (e.g. `redis-server`) or set REDIS_URL, then run `npm run serve:cluster` again.\n',
  );
  process.exit(1);
}

const instances = await Promise.all(Array.from({ length: INSTANCES }, (_, index) => startInstance(index)));
const proxy = createRoundRobinProxy(instances.map((instance) => new URL(instance.url).origin));
proxy.listen(port, host, () => {
  for (const [index, instance] of instances.entries()) {
    process.stderr.write(`instance ${index + 1}: ${instance.url} (${instance.instanceId})\n`);
  }
  process.stderr.write(`Round-robin proxy for ${INSTANCES} instances: http://${host}:${port}/mcp\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  proxy.close();
  let left = instances.length;
  for (const { child } of instances) {
    child.once('exit', () => {
      if (--left === 0) process.exit(0);
    });
    child.kill('SIGTERM');
  }
};
process.on('SIGINT', stop).on('SIGTERM', stop);
