/**
 * Baseline (c), first half: one root XState actor per session (its own actor system), every message
 * an event, every message an invoked `fromPromise` actor. Shows why our fast path sends the machine
 * no event per message.
 */
import type { Actor } from 'xstate';
import { createActor } from 'xstate';
import type { RequestHandler } from '../../src/index.js';
import type { BenchEngine } from '../harness/engine.js';
import type { NaiveJob } from './naiveSessionMachine.js';
import { naiveSessionMachine } from './naiveSessionMachine.js';
import { noContext } from './RawChainEngine.js';

type NaiveActor = Actor<typeof naiveSessionMachine>;

/** Turns a message into a job for the naive machine; `undefined` when there is no handler to run. */
export function jobFor(
  handlers: Readonly<Record<string, RequestHandler>>,
  message: unknown,
): { readonly job: NaiveJob; readonly promise: Promise<unknown> } | undefined {
  const { method, params } = message as { method?: string; params?: Record<string, unknown> };
  const handler = method === undefined ? undefined : handlers[method];
  if (handler === undefined) return undefined;
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { job: { run: () => handler(params ?? {}, noContext), resolve, reject }, promise };
}

/** @see {@link NaiveActorEngine.dispatch} */
export class NaiveActorEngine implements BenchEngine {
  readonly label = 'naive XState (actor per session, fromPromise per message)';
  private readonly actors = new Map<string, NaiveActor>();

  constructor(private readonly handlers: Readonly<Record<string, RequestHandler>>) {}

  /** Get-or-create the session's actor, then send it the message as an event. */
  dispatch(sessionId: string, message: unknown): Promise<unknown> {
    let actor = this.actors.get(sessionId);
    if (actor === undefined) {
      actor = createActor(naiveSessionMachine).start();
      this.actors.set(sessionId, actor);
    }
    const work = jobFor(this.handlers, message);
    if (work === undefined) return Promise.resolve(undefined);
    actor.send({ type: 'message', job: work.job });
    return work.promise;
  }

  /** Stops every actor (clears their `after` timers). */
  close(): void {
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
  }
}
