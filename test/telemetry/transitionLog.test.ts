/**
 * `createTransitionLog()`: a value for the `inspect` option that keeps the latest lifecycle
 * transitions of sessions, handles, tasks and directories in a bounded ring, with shortened ids.
 */
import { describe, expect, it } from 'vitest';
import { createFetchHandler, createNodeHandler } from '../../src/http/index.js';
import type { ActorTransition } from '../../src/index.js';
import {
  createSessionRuntime,
  createTransitionLog,
  defineHandle,
  defineTool,
  ManualClock,
  parseMessage,
} from '../../src/index.js';
import { readEnvelope } from '../../src/protocol/envelope.js';
import type { IncomingRequest } from '../../src/protocol/incoming.js';
import { openSession, request } from '../helpers.js';

const SESSION = '0123456789abcdef-session';

/** The transitions as `from → to (event)` lines, oldest first. */
const lines = (entries: readonly ActorTransition[]) =>
  [...entries].reverse().map((entry) => `${entry.from ?? '–'} → ${entry.to} (${entry.event})`);

/** An `@xstate.snapshot` inspection event of a made-up actor. */
const snapshotEvent = (
  actorRef: object,
  value: unknown,
  options: { machine?: string; status?: string; event?: string; key?: string } = {},
) => ({
  type: '@xstate.snapshot',
  rootId: 'x:0',
  actorRef,
  event: { type: options.event ?? 'step' },
  snapshot: {
    value,
    status: options.status ?? 'active',
    machine: { id: options.machine ?? 'session' },
    context: { sessionId: options.key ?? SESSION },
  },
});

describe('createTransitionLog', () => {
  it("records a session's lifecycle with its shortened id, newest first, and never its whole id", async () => {
    const transitions = createTransitionLog();
    const runtime = createSessionRuntime({ inspect: transitions.inspect });
    await openSession(runtime, SESSION);
    runtime.remove(SESSION);
    const session = transitions.entries({ key: SESSION });
    expect(lines(session)).toEqual([
      '– → awaitingInitialize (xstate.init)',
      'awaitingInitialize → initialized (initialize)',
      'initialized → ready (initialized)',
      'ready → stopped (remove)',
    ]);
    expect(session[0]).toMatchObject({ kind: 'session', id: '01234567…', status: 'done' });
    expect(session.map((entry) => entry.seq)).toEqual(
      [...session.map((entry) => entry.seq)].sort((a, b) => b - a),
    );
    expect(transitions.entries({ id: '01234567…' })).toEqual(session);
    expect(JSON.stringify(transitions.entries())).not.toContain(SESSION);
    await runtime.close({ drainMs: 0 });
  });

  it('records only changes: a snapshot whose value and status are unchanged adds nothing', async () => {
    const transitions = createTransitionLog();
    const runtime = createSessionRuntime({
      handlers: { 'test/echo': () => ({}) },
      inspect: transitions.inspect,
    });
    await openSession(runtime, SESSION);
    // The directories went on accepting when the session's actor finished: no transition of theirs.
    runtime.remove(SESSION);
    await openSession(runtime, 'another-session-id');
    const before = transitions.size;
    await runtime.dispatch('another-session-id', request(1, 'test/echo'));
    expect(transitions.size).toBe(before);
    for (const entry of transitions.entries()) {
      expect(entry.from === entry.to && entry.status === 'active').toBe(false);
    }

    const made = createTransitionLog();
    const actor = {};
    made.inspect(snapshotEvent(actor, 'ready'));
    made.inspect(snapshotEvent(actor, 'ready', { event: 'ping' }));
    made.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: actor });
    made.inspect({ type: '@xstate.microstep', rootId: 'x:0', actorRef: actor });
    // A stop keeps the value and changes the status (an actor put to rest).
    made.inspect(snapshotEvent(actor, 'ready', { status: 'stopped', event: 'xstate.stop' }));
    expect(made.entries().map((entry) => [entry.from, entry.to, entry.status, entry.event])).toEqual([
      ['ready', 'ready', 'stopped', 'xstate.stop'],
      [null, 'ready', 'active', 'step'],
    ]);
    await runtime.close({ drainMs: 0 });
  });

  it("records a resting session's stop (status stopped, value kept) and its revival as a new actor", async () => {
    const clock = new ManualClock();
    const transitions = createTransitionLog();
    const runtime = createSessionRuntime({ clock, restAfterMs: 1_000, inspect: transitions.inspect });
    await openSession(runtime, SESSION);
    clock.advance(1_000);
    runtime.remove(SESSION);
    const session = transitions.entries({ key: SESSION });
    expect(lines(session).slice(3)).toEqual([
      'ready → ready (rest)',
      '– → ready (xstate.init)',
      'ready → stopped (remove)',
    ]);
    expect(
      session
        .map((entry) => entry.status)
        .reverse()
        .slice(3),
    ).toEqual(['stopped', 'active', 'done']);
    await runtime.close({ drainMs: 0 });
  });

  it('names the kind of every actor: session, handle, task and directory', async () => {
    const transitions = createTransitionLog();
    const counter = defineHandle({ name: 'counter', create: () => ({ n: 0 }) });
    const runtime = createSessionRuntime({
      inspect: transitions.inspect,
      tools: [
        defineTool({ name: 'open', opens: counter, handler: () => 'opened' }),
        defineTool({ name: 'job', execution: { taskSupport: 'required' }, handler: () => 'done' }),
      ],
    });
    await openSession(runtime, SESSION);
    await runtime.dispatch(SESSION, request(1, 'tools/call', { name: 'open' }));
    const message = parseMessage({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: {
        name: 'job',
        arguments: {},
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {
            extensions: { 'io.modelcontextprotocol/tasks': {} },
          },
        },
      },
    }) as IncomingRequest;
    const envelope = readEnvelope(message.params);
    if (typeof envelope === 'string') throw new Error(envelope);
    await runtime.serve(message, envelope, {});
    await runtime.close({ drainMs: 0 });
    const entries = transitions.entries();
    expect(new Set(entries.map((entry) => entry.kind))).toEqual(
      new Set(['session', 'handle', 'task', 'directory']),
    );
    expect(lines(entries.filter((entry) => entry.kind === 'handle'))).toEqual([
      '– → live (xstate.init)',
      // Idle at close, it drains at once: one macrostep, so one transition.
      'live → stopped (close)',
    ]);
    const handle = entries.find((entry) => entry.kind === 'handle') as ActorTransition;
    // A handle shows its random part, not its kind name (the kind is its own column).
    expect(handle.id).toMatch(/^[\w-]{8}…$/);
    expect(handle.id.startsWith('counter')).toBe(false);
    // A directory has no key: its id is its XState system id, and it ends closed.
    const directories = entries.filter((entry) => entry.kind === 'directory');
    expect(directories.every((entry) => /^x:\d+$/.test(entry.id))).toBe(true);
    expect(directories.filter((entry) => entry.to === 'closed').length).toBeGreaterThanOrEqual(3);
  });

  it('keeps at most `capacity` transitions, the newest', () => {
    const transitions = createTransitionLog({ capacity: 3 });
    for (let i = 0; i < 5; i++) transitions.inspect(snapshotEvent({}, 'ready', { key: `session-${i}-id` }));
    expect(transitions.size).toBe(3);
    expect(transitions.entries().map((entry) => entry.seq)).toEqual([5, 4, 3]);
    expect(transitions.entries({ limit: 2 }).map((entry) => entry.seq)).toEqual([5, 4]);
    expect(transitions.entries({ after: 4 }).map((entry) => entry.seq)).toEqual([5]);
    transitions.clear();
    expect(transitions.entries()).toEqual([]);
    transitions.inspect(snapshotEvent({}, 'ready'));
    expect(transitions.entries().map((entry) => entry.seq)).toEqual([6]);
  });

  it('records only the actors `filter` keeps: one session can be watched', async () => {
    const transitions = createTransitionLog({ filter: ({ key }) => key === SESSION });
    const runtime = createSessionRuntime({ inspect: transitions.inspect });
    await openSession(runtime, 'someone-else-entirely');
    await openSession(runtime, SESSION);
    await runtime.close({ drainMs: 0 });
    const entries = transitions.entries();
    expect(entries.length).toBeGreaterThanOrEqual(4);
    expect(new Set(entries.map((entry) => `${entry.kind} ${entry.id}`))).toEqual(
      new Set(['session 01234567…']),
    );
  });

  it('records nothing of an actor whose filter throws, and the actor works on', async () => {
    const transitions = createTransitionLog({
      filter: ({ kind }) => {
        if (kind === 'session') throw new Error('broken filter');
        return true;
      },
    });
    const runtime = createSessionRuntime({ inspect: transitions.inspect });
    await openSession(runtime, SESSION);
    expect(runtime.has(SESSION)).toBe(true);
    await runtime.close({ drainMs: 0 });
    expect(transitions.entries().filter((entry) => entry.kind === 'session')).toEqual([]);
    expect(transitions.entries().some((entry) => entry.kind === 'directory')).toBe(true);
  });

  it('tells apart the handles of one kind, whose ids all begin with the kind name', async () => {
    const cart = defineHandle({ name: 'shopping_cart', create: () => ({ n: 0 }) });
    const transitions = createTransitionLog();
    const runtime = createSessionRuntime({
      inspect: transitions.inspect,
      tools: [defineTool({ name: 'open', opens: cart, handler: () => 'opened' })],
    });
    await openSession(runtime, SESSION);
    const ids: string[] = [];
    for (const id of [1, 2]) {
      const answer = (await runtime.dispatch(
        SESSION,
        request(id, 'tools/call', { name: 'open' }),
      )) as unknown as {
        result: { structuredContent: { shoppingCartId: string } };
      };
      ids.push(answer.result.structuredContent.shoppingCartId);
    }
    const handles = transitions.entries().filter((entry) => entry.kind === 'handle');
    expect(new Set(handles.map((entry) => entry.id)).size).toBe(2);
    for (const id of ids) {
      const own = transitions.entries({ key: id });
      expect(own.length).toBe(1);
      // The first 8 of its 24 random characters: never the whole id.
      expect(own[0]?.id).toBe(`${id.slice(-24, -16)}…`);
    }
    await runtime.close({ drainMs: 0 });
  });

  it('refuses a capacity that is not an integer from 1 to 100,000, and a filter that is not a function', () => {
    for (const capacity of [0, -1, 1.5, 100_001, Number.NaN]) {
      expect(() => createTransitionLog({ capacity })).toThrow(TypeError);
    }
    expect(() => createTransitionLog({ filter: 'session' as never })).toThrow(TypeError);
    expect(createTransitionLog({ capacity: 100_000 }).capacity).toBe(100_000);
  });
});

/** The next `count` SSE events of `reader`, as `[event name, parsed data]`. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, count: number) {
  const decoder = new TextDecoder();
  const events: [string, unknown][] = [];
  let buffer = '';
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(event)?.[1] as string;
      events.push([name, JSON.parse(/^data: (.*)$/m.exec(event)?.[1] as string)]);
    }
  }
  return events;
}

describe('dashboard: { transitions }', () => {
  it('streams the newest transitions on connect, then those recorded since, with shortened ids', async () => {
    const transitions = createTransitionLog({ capacity: 50 });
    const runtime = createSessionRuntime({ inspect: transitions.inspect });
    const dashboard = createFetchHandler(runtime, { dashboard: { allowRemote: true, transitions } });
    await openSession(runtime, SESSION);
    const response = await dashboard(new Request('http://localhost/dashboard/events'));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const [snapshot, first] = await readEvents(reader, 2);
    expect(snapshot?.[0]).toBe('snapshot');
    expect(first?.[0]).toBe('transitions');
    const { capacity, entries } = (first as [string, unknown])[1] as {
      capacity: number;
      entries: ActorTransition[];
    };
    expect(capacity).toBe(50);
    expect(entries).toEqual(transitions.entries());
    expect(entries.some((entry) => entry.id === '01234567…' && entry.to === 'ready')).toBe(true);

    await openSession(runtime, 'fedcba9876543210-second');
    // The next tick: a snapshot, then only what was recorded since the stream opened.
    const [, next] = await readEvents(reader, 2);
    expect(next?.[0]).toBe('transitions');
    const since = ((next as [string, unknown])[1] as { entries: ActorTransition[] }).entries;
    expect(lines(since)).toEqual([
      '– → awaitingInitialize (xstate.init)',
      'awaitingInitialize → initialized (initialize)',
      'initialized → ready (initialized)',
    ]);
    expect(new Set(since.map((entry) => entry.id))).toEqual(new Set(['fedcba98…']));
    await reader.cancel();
    await runtime.close({ drainMs: 0 });
  });

  it('checks the option: a log made by createTransitionLog', async () => {
    const runtime = createSessionRuntime();
    expect(() => createNodeHandler(runtime, { dashboard: { transitions: {} as never } })).toThrow(TypeError);
    expect(() =>
      createNodeHandler(runtime, { dashboard: { transitions: createTransitionLog() } }),
    ).not.toThrow();
    await runtime.close({ drainMs: 0 });
  });
});
