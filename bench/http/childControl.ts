/**
 * The server side of the HTTP benchmark's control channel. Each server under test runs alone in a
 * child process (forked with an IPC channel), so that its CPU time and heap are its own and it
 * shares no event loop with the load generator. The parent asks over IPC for the figures only the
 * child can take: its CPU time, its settled heap, its live sessions.
 */
import type { RequestListener, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { settledHeapUsed } from '../harness/measure.js';

/** What the parent may ask. */
export type ControlCommand = 'cpu' | 'heap' | 'sessions' | 'exit';

/** A question from the parent; the answer carries the same `id`. */
export interface ControlRequest {
  readonly id: number;
  readonly command: ControlCommand;
}

/** The child's answer: a number (µs of CPU, bytes of heap, a count). */
export interface ControlAnswer {
  readonly id: number;
  readonly value: number;
}

/** The first message of a child: it listens on `port` of 127.0.0.1. */
export interface ReadyMessage {
  readonly ready: true;
  readonly port: number;
}

/** Resolves once `server` has no open connection, or after a second at most. */
async function connectionsClosed(server: Server): Promise<void> {
  const count = () =>
    new Promise<number>((resolve) => server.getConnections((error, open) => resolve(error ? 0 : open)));
  for (let waited = 0; waited < 1_000 && (await count()) > 0; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Closing sockets run their last callbacks a turn after they leave the count.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * The least of three settled weighings: consecutive ones still differ by up to ~0.2 MiB (feedback
 * and inline caches allocated by the IPC traffic itself), which at a few thousand sessions is a
 * tenth of what they hold.
 */
async function lowestSettledHeap(): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY;
  for (let weighing = 0; weighing < 3; weighing++) lowest = Math.min(lowest, await settledHeapUsed());
  return lowest;
}

/** The value of `--name=value` in this process's arguments. */
export function argumentOf(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((argument) => argument.startsWith(prefix))?.slice(prefix.length);
}

/**
 * Serves `listener` on an ephemeral loopback port and answers the parent's commands.
 * `liveSessions` tells how many sessions the server holds now.
 */
export function serveBenchmarkChild(listener: RequestListener, liveSessions: () => number): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('Expected to run as a forked child with an IPC channel');
  const server = createServer(listener);
  // The load generator keeps its connections between runs; the default 5 s would close them under it.
  server.keepAliveTimeout = 600_000;
  const answer = async (command: ControlCommand): Promise<number> => {
    switch (command) {
      case 'cpu': {
        const usage = process.cpuUsage();
        return usage.user + usage.system;
      }
      case 'heap':
        // Sockets kept alive by the client are not sessions: drop the idle ones, and let the last
        // ones finish closing, before weighing (else their buffers land in one weighing, not another).
        server.closeIdleConnections();
        await connectionsClosed(server);
        return lowestSettledHeap();
      case 'sessions':
        return liveSessions();
      case 'exit':
        // Answer first, then leave: the parent awaits the answer, not the exit.
        setImmediate(() => process.exit(0));
        return 0;
    }
  };
  process.on('message', (message: ControlRequest) => {
    void answer(message.command).then((value) => send({ id: message.id, value } satisfies ControlAnswer));
  });
  // The parent going away must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    send({ ready: true, port: (server.address() as AddressInfo).port } satisfies ReadyMessage);
  });
}
