/**
 * The parent side of a server under test: forks the child (`ourServer.js`, `sdkServer.js` or
 * `sdkStatelessServer.js`, compiled beside this file), waits until it listens, and asks it for its
 * CPU time, heap and live sessions.
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import type { ControlAnswer, ControlCommand, ReadyMessage } from './childControl.js';

/** Which side of a contest a server is on: ours, or the official SDK's. */
export type ServerKind = 'ours' | 'sdk';

/**
 * Which server a child runs: ours (both eras on one endpoint), the SDK 1.x server with one
 * `McpServer` per session (`sdk`), or the SDK 2.x `createMcpHandler`, one server per request, for
 * 2026-07-28 (`sdkStateless`).
 */
export type ChildKind = ServerKind | 'sdkStateless';

/** How a child starts. */
export interface ServerProcessOptions {
  readonly kind: ChildKind;
  /** Arguments after the script (`--mode=sse`, `--idle-timeout-ms=…`). */
  readonly arguments?: readonly string[];
  /** A directory for `node --cpu-prof` profiles of the child; none when absent. */
  readonly profileDirectory?: string;
}

const scripts: Readonly<Record<ChildKind, URL>> = {
  ours: new URL('./ourServer.js', import.meta.url),
  sdk: new URL('./sdkServer.js', import.meta.url),
  sdkStateless: new URL('./sdkStatelessServer.js', import.meta.url),
};

/** One server child. `start()` it, use `port`, `stop()` it. */
export class ServerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (value: number) => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** The loopback port the child listens on. */
    readonly port: number,
  ) {
    child.on('message', (message: ControlAnswer) => {
      this.pending.get(message.id)?.(message.value);
      this.pending.delete(message.id);
    });
  }

  /** Forks a child with `--expose-gc` (its heap is weighed after full collections). */
  static start(options: ServerProcessOptions): Promise<ServerProcess> {
    const execArgv = ['--expose-gc'];
    if (options.profileDirectory !== undefined) {
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDirectory}`);
    }
    const child = fork(scripts[options.kind], [...(options.arguments ?? [])], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`The ${options.kind} server exited (${code}) before it listened`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', (message: ReadyMessage) => {
        child.off('exit', onExit);
        resolve(new ServerProcess(child, message.port));
      });
    });
  }

  private ask(command: ControlCommand): Promise<number> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, command });
    });
  }

  /** CPU microseconds (user + system) the child has used since it started. */
  cpuMicros(): Promise<number> {
    return this.ask('cpu');
  }

  /** The child's heap in use after collecting until it stops shrinking (idle sockets closed first). */
  heapUsed(): Promise<number> {
    return this.ask('heap');
  }

  /** Sessions the server holds now. */
  sessions(): Promise<number> {
    return this.ask('sessions');
  }

  /** Asks the child to exit and waits until it has (so a CPU profile is written in full). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask('exit');
    await exited;
  }
}
