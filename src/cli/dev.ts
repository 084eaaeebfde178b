/**
 * `mcp-session-runtime dev`: runs `serve <module> --http` in a child process and restarts it when a
 * source file changes. A child process, rather than re-importing the module with a cache-busting
 * query, because only a fresh process also reloads every module the server imports, and drops the
 * timers, sockets and listeners the old code left behind. The port stays the same across restarts
 * (with `--http 0`, the one the first start picked), so a client reconnects where it was.
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import type { FSWatcher } from 'node:fs';
import { readdirSync, statSync, watch } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { RunRequest } from './args.js';
import { httpArgs } from './args.js';
import { describeAuthentication, servedBeside } from './httpOptions.js';
import { inspectHttp } from './inspect.js';
import { describe, LoadError, resolveModulePath } from './load.js';
import type { Log, ReadyMessage } from './serve.js';
import { DEV_CHILD_ENV, displayName } from './serve.js';

/** Quiet time after the last change before restarting: an editor's save is often several events. */
const DEBOUNCE_MS = 100;
/** Files whose change restarts the server. */
const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx|json)$/;
/** Folders never watched (nor their changes followed). */
const IGNORED = new Set(['node_modules', '.git', 'dist', 'coverage', '.cache']);
/** How long past the drain a child may take to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

/** One start of the server process. */
interface Run {
  readonly child: ChildProcess;
  /** The URL once it serves, or the exit code if it ended first. */
  readonly ready: Promise<{ url: string } | { code: number | null }>;
  readonly exited: Promise<number | null>;
}

/**
 * Serves `request.module` over HTTP in a child process, restarting it on changes, until SIGINT or
 * SIGTERM; resolves with the exit code (0 after a clean stop, 1 when the module or a watched folder
 * is missing). One line is printed per start and per restart.
 */
export async function dev(request: RunRequest, log: Log): Promise<number> {
  const transport = request.transport;
  if (transport.kind !== 'http') throw new TypeError('dev serves over HTTP only');
  let modulePath: string;
  let roots: string[];
  try {
    modulePath = resolveModulePath(request.module);
    roots = (request.watch.length === 0 ? [dirname(modulePath)] : request.watch).map((dir) => {
      const path = resolve(dir);
      if (!isDirectory(path)) throw new LoadError(`cannot watch '${dir}': not a folder`);
      return path;
    });
  } catch (error) {
    log(error instanceof LoadError ? error.message : describe(error));
    return 1;
  }
  const name = displayName(modulePath);
  let port = transport.port;

  const start = (): Run => {
    const args = ['serve', modulePath, ...httpArgs(transport, port)];
    args.push('--drain-ms', String(request.drainMs));
    const child = fork(process.argv[1] ?? '', args, {
      env: { ...process.env, [DEV_CHILD_ENV]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = new Promise<{ url: string } | { code: number | null }>((resolve) => {
      child.on('message', (message: ReadyMessage) => {
        if (message?.type === 'ready') resolve({ url: message.url });
      });
      void exited.then((code) => resolve({ code }));
    });
    return { child, ready, exited };
  };

  /** Stops a run once (a second SIGTERM would make it skip its drain); resolves when it exited. */
  const stops = new WeakMap<Run, Promise<void>>();
  const stop = (run: Run): Promise<void> => {
    let stopped = stops.get(run);
    if (stopped === undefined) {
      stopped = (async () => {
        if (run.child.exitCode !== null || run.child.signalCode !== null) return;
        run.child.kill('SIGTERM');
        const killer = setTimeout(() => run.child.kill('SIGKILL'), request.drainMs + EXIT_GRACE_MS);
        await run.exited;
        clearTimeout(killer);
      })();
      stops.set(run, stopped);
    }
    return stopped;
  };

  let stopping = false;
  let restarting = false;
  let pending: string | undefined;
  let current = start();
  /** Reports how a start went; on an unexpected exit later, says so once. */
  const follow = async (run: Run, started: number, cause: string | undefined): Promise<void> => {
    const outcome = await run.ready;
    if ('url' in outcome) {
      const ms = Math.round(performance.now() - started);
      if (cause === undefined) {
        log(
          `serving ${name} on ${outcome.url} (${servedBeside(transport)}); watching ${roots.map(shown).join(', ')}`,
        );
        const authentication = describeAuthentication(transport);
        if (authentication !== undefined) log(authentication);
        if (request.inspect)
          for (const line of inspectHttp(outcome.url, transport.jwt !== undefined)) log(`inspect: ${line}`);
      } else log(`reloaded after ${cause} changed (${ms} ms)`);
      port = Number(new URL(outcome.url).port);
      void run.exited.then((code) => {
        if (!stopping && run === current && !restarting)
          log(`${name} exited (code ${code}); waiting for changes`);
      });
    } else if (!stopping) {
      log(`${name} did not start (exit code ${outcome.code}); waiting for changes`);
    }
  };
  await follow(current, performance.now(), undefined);

  const restart = async (cause: string): Promise<void> => {
    if (restarting) {
      pending = cause;
      return;
    }
    restarting = true;
    try {
      const started = performance.now();
      await stop(current);
      if (stopping) return;
      current = start();
      await follow(current, started, cause);
    } finally {
      restarting = false;
    }
    if (pending !== undefined && !stopping) {
      const next = pending;
      pending = undefined;
      await restart(next);
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = (file: string): void => {
    if (stopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => void restart(shown(file)), DEBOUNCE_MS);
  };
  const watchers = roots.flatMap((root) => watchTree(root, changed, log));

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  stopping = true;
  clearTimeout(timer);
  for (const watcher of watchers) watcher.close();
  process.once(signal, () => {
    current.child.kill('SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
  log(`${signal}: stopping`);
  await stop(current);
  return 0;
}

/** A path as printed: relative to the working directory when inside it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Watches `root` and the folders under it, except {@link IGNORED} and hidden ones: the top folder on
 * its own and each subfolder recursively (so a `node_modules` beside the module is never walked),
 * calling `onChange` with the path of each changed source file.
 */
function watchTree(root: string, onChange: (file: string) => void, log: Log): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  const add = (dir: string, recursive: boolean): void => {
    const listener = (_event: string, file: string | Buffer | null): void => {
      if (file === null) return;
      const path = join(dir, file.toString());
      if (!SOURCE.test(path)) return;
      if (
        relative(root, path)
          .split(/[\\/]/)
          .some((part) => IGNORED.has(part))
      )
        return;
      onChange(path);
    };
    try {
      watchers.push(watch(dir, { recursive }, listener));
    } catch (error) {
      if (!recursive) {
        log(`cannot watch ${dir}: ${(error as Error).message}`);
        return;
      }
      // No recursive watching on this platform: this folder at least.
      watchers.push(watch(dir, listener));
    }
  };
  add(root, false);
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && !IGNORED.has(entry.name) && !entry.name.startsWith('.')) {
      add(join(root, entry.name), true);
    }
  }
  return watchers;
}
