/**
 * Baseline (c), second half: every session spawned with `spawnChild` as a child of one XState parent
 * (the directory as a machine), and every message routed through the parent with `sendTo`. XState
 * copies the parent's `children` object on every spawn (`{ ...snapshot.children, [id]: actorRef }`),
 * so spawning N sessions costs O(N²) in total. Our directory keeps the map outside the snapshot.
 */
import type { Actor } from 'xstate';
import { createActor, sendTo, setup, spawnChild } from 'xstate';
import type { RequestHandler } from '../../src/index.js';
import type { BenchEngine } from '../harness/engine.js';
import { jobFor } from './NaiveActorEngine.js';
import type { NaiveJob } from './naiveSessionMachine.js';
import { naiveSessionMachine } from './naiveSessionMachine.js';

type NaiveDirectoryEvent =
  | { readonly type: 'spawn'; readonly sessionId: string }
  | { readonly type: 'deliver'; readonly sessionId: string; readonly job: NaiveJob };

export const naiveDirectoryMachine = setup({
  types: { events: {} as NaiveDirectoryEvent },
  actors: { session: naiveSessionMachine },
}).createMachine({
  id: 'naiveDirectory',
  on: {
    spawn: {
      actions: spawnChild('session', {
        id: ({ event }) => (event.type === 'spawn' ? event.sessionId : ''),
      }),
    },
    deliver: {
      actions: sendTo(
        ({ event }) => event.sessionId,
        ({ event }) => ({
          type: 'message' as const,
          job: (event as Extract<NaiveDirectoryEvent, { type: 'deliver' }>).job,
        }),
      ),
    },
  },
});

/** @see {@link SpawnChildEngine.dispatch} */
export class SpawnChildEngine implements BenchEngine {
  readonly label = 'naive XState (spawnChild under one parent)';
  readonly parent: Actor<typeof naiveDirectoryMachine> = createActor(naiveDirectoryMachine).start();

  constructor(private readonly handlers: Readonly<Record<string, RequestHandler>>) {}

  /** Spawns the session on first sight, then routes the message through the parent. */
  dispatch(sessionId: string, message: unknown): Promise<unknown> {
    if (this.parent.getSnapshot().children[sessionId] === undefined) {
      this.parent.send({ type: 'spawn', sessionId });
    }
    const work = jobFor(this.handlers, message);
    if (work === undefined) return Promise.resolve(undefined);
    this.parent.send({ type: 'deliver', sessionId, job: work.job });
    return work.promise;
  }

  /** Stops the parent and with it every child. */
  close(): void {
    this.parent.stop();
  }
}
