/**
 * Instances of the cluster example (`examples/cluster/instance.ts`) as child processes, for the
 * multi-instance tests: start, kill (SIGKILL), pause (SIGSTOP) and resume (SIGCONT), plus a private
 * `redis-server` a test may stop and restart without touching the shared one.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const instanceScript = fileURLToPath(new URL('../../examples/cluster/instance.ts', import.meta.url));

/** One running instance. */
export interface Instance {
  readonly child: ChildProcess;
  /** Its MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  readonly instanceId: string;
  /** Its stderr so far (lease losses, forward failures). */
  readonly log: string[];
  /** Resolves with the exit code or signal once the process ended. */
  readonly exited: Promise<number | string>;
}

/** Starts one instance with `env` added to the environment; rejects if it exits first or within 15 s. */
export function startInstance(env: Readonly<Record<string, string>>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', instanceScript], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  if (child.stderr !== null) createInterface({ input: child.stderr }).on('line', (line) => log.push(line));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`instance did not listen within 15 s:\n${log.join('\n')}`));
    }, 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited (${code}) before listening:\n${log.join('\n')}`));
    });
    if (child.stdout === null) return reject(new Error('no stdout'));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const ready = JSON.parse(line) as { url: string; instanceId: string };
      resolve({ child, url: ready.url, instanceId: ready.instanceId, log, exited });
    });
  });
}

/** Stops an instance for good (SIGKILL) and waits for the exit; a no-op if it ended already. */
export async function killInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode === null && instance.child.signalCode === null) {
    instance.child.kill('SIGCONT');
    instance.child.kill('SIGKILL');
  }
  await instance.exited;
}

/** A port free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A private `redis-server` (no persistence) on `port`; resolves once it accepts connections. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 5 s')), 5_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

/** Stops a private `redis-server` at once (SIGKILL: no save) and waits for the exit. */
export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
