/**
 * One instance of the cluster example (`examples/cluster/instance.ts`) as a child process of the
 * benchmark: started with `node --import tsx` from the repository root (the example is TypeScript
 * and not part of the compiled benchmark), read for its CPU time, and stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const INSTANCE_SCRIPT = path.join('examples', 'cluster', 'instance.ts');

/**
 * The repository root: the first directory above this file (compiled into `.cache/bench/…` or run
 * from source) that holds the example, else the working directory if it does (`npm run bench` runs
 * from the root). Throws when neither does.
 */
export function repositoryRoot(): string {
  for (let directory = path.dirname(fileURLToPath(import.meta.url)); ; ) {
    if (existsSync(path.join(directory, INSTANCE_SCRIPT))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  if (existsSync(path.join(process.cwd(), INSTANCE_SCRIPT))) return process.cwd();
  throw new Error(`${INSTANCE_SCRIPT} not found above the benchmark or in the working directory`);
}

/** Clock ticks per second of `/proc/<pid>/stat` (100 on nearly every Linux). */
function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const ticksPerSecond = clockTicksPerSecond();

/** A running instance. */
export class ClusterInstance {
  private constructor(
    private readonly child: ChildProcess,
    /** Its MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
    readonly url: string,
    readonly instanceId: string,
    /** Its stderr so far (lease losses, forward failures). */
    readonly log: readonly string[],
  ) {}

  /** The loopback port it listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /**
   * Starts one instance with `env` added (`REDIS_URL`, `KEY_PREFIX`, …) and waits for its
   * `listening` line; rejects if it exits first or does not listen within 20 s. `nodeArguments`
   * go before the script (`--cpu-prof`, to profile an instance).
   */
  static start(
    root: string,
    env: Readonly<Record<string, string>>,
    nodeArguments: readonly string[] = [],
  ): Promise<ClusterInstance> {
    const child = spawn(process.execPath, [...nodeArguments, '--import', 'tsx', INSTANCE_SCRIPT], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: string[] = [];
    if (child.stderr !== null) createInterface({ input: child.stderr }).on('line', (line) => log.push(line));
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`cluster instance ${reason}:\n${log.slice(-10).join('\n')}`));
      };
      const timer = setTimeout(() => fail('did not listen within 20 s'), 20_000);
      child.once('error', (error) => fail(`could not start (${error.message})`));
      child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
      if (child.stdout === null) return fail('has no stdout');
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const ready = JSON.parse(line) as { event?: string; url?: string; instanceId?: string };
        if (ready.event !== 'listening' || ready.url === undefined || ready.instanceId === undefined) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(new ClusterInstance(child, ready.url, ready.instanceId, log));
      });
    });
  }

  /** CPU microseconds (user + system) the process has used, from `/proc` (Linux); `NaN` elsewhere. */
  cpuMicros(): number {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of proc(5), utime and stime, counted from field 3 (the state) here.
      const ticks = Number(fields[11]) + Number(fields[12]);
      return (ticks * 1e6) / ticksPerSecond;
    } catch {
      return Number.NaN;
    }
  }

  /** SIGTERM (drain, release its leases), SIGKILL after `graceMs`; resolves once it exited. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
