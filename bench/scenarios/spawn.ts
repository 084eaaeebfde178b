/**
 * Spawn rate: how fast `initialize` requests create sessions, at 1k, 10k and 100k sessions. The
 * target is ≥ 50,000 sessions/s and flat: a rate that falls as the directory grows is the O(N²) of a
 * parent whose snapshot copies its children on every spawn, which the spawnChild baseline shows.
 *
 * Beside it, the floor: bare session actors, `createActor(sessionMachine, { parent })` and `start()`
 * into a `Map` with no protocol work, and the same with the one `initialize` event every spawn
 * sends its machine. Our rate cannot pass that second figure while a session is an XState actor.
 */
import type { Actor } from 'xstate';
import { createActor } from 'xstate';
import type { DirectoryHost } from '../../src/machines/directory.machine.js';
import { directoryMachine } from '../../src/machines/directory.machine.js';
import type { SessionHost } from '../../src/machines/session.machine.js';
import { sessionMachine } from '../../src/machines/session.machine.js';
import { SpawnChildEngine } from '../baselines/SpawnChildEngine.js';
import type { BenchConfig } from '../harness/config.js';
import type { BenchEngine } from '../harness/engine.js';
import {
  createOurEngine,
  initializedNotification,
  initializeRequest,
  isErrorResponse,
  sessionIds,
} from '../harness/engine.js';
import { benchHandlers } from '../harness/handlers.js';
import { measure, settledHeapUsed } from '../harness/measure.js';
import { formatCount, formatMs, formatRatio, median } from '../harness/stats.js';
import type { Report } from '../harness/table.js';
import { atLeast } from '../harness/table.js';

const TARGET_RATE = 50_000;
/** "Flat": the rate at 100k sessions keeps at least this share of the rate at 1k. */
const FLATNESS = 0.5;
const BATCH = 512;
let generation = 0;

/** Sends one message built by `message` to every session, `BATCH` at a time; counts error answers. */
async function dispatchAll(
  engine: BenchEngine,
  ids: readonly string[],
  message: () => unknown,
): Promise<number> {
  let errors = 0;
  for (let start = 0; start < ids.length; start += BATCH) {
    const answers = await Promise.all(
      ids.slice(start, start + BATCH).map((sessionId) => engine.dispatch(sessionId, message())),
    );
    for (const answer of answers) if (isErrorResponse(answer)) errors++;
  }
  return errors;
}

interface SpawnResult {
  /** Sessions created per second by `initialize`. */
  readonly spawnRate: number;
  /** Sessions per second through the whole handshake (`initialize` + `notifications/initialized`). */
  readonly handshakeRate: number;
  readonly closeMs: number;
  readonly errors: number;
}

async function spawnOurs(count: number): Promise<SpawnResult> {
  await settledHeapUsed();
  const ours = createOurEngine();
  const ids = sessionIds(`spawn${generation++}`, count);
  const spawned = await measure(() => dispatchAll(ours, ids, () => initializeRequest()));
  const ready = await measure(() => dispatchAll(ours, ids, initializedNotification));
  if (ours.runtime.size !== count) throw new Error(`expected ${count} sessions, found ${ours.runtime.size}`);
  const closed = await measure(() => ours.runtime.close({ drainMs: 0 }));
  return {
    spawnRate: (count * 1000) / spawned.elapsedMs,
    handshakeRate: (count * 1000) / (spawned.elapsedMs + ready.elapsedMs),
    closeMs: closed.elapsedMs,
    errors: spawned.result + ready.result,
  };
}

const inertDirectoryHost: DirectoryHost = {
  forget: () => {},
  closeEntries: () => {},
  liveEntries: () => 0,
  retiring: () => 0,
  retired: () => {},
};

const inertSessionHost: SessionHost = {
  isIdle: () => false,
  isIdleFor: () => false,
  hasNoWork: () => true,
  rearmIdleTimer: () => {},
  beginDrain: () => {},
  releaseAll: () => {},
};

/** The `initialize` event our runtime sends a new session's machine, as a constant. */
const initializeEvent = {
  type: 'initialize',
  protocolVersion: '2025-11-25',
  clientInfo: { name: 'bench-client', version: '1.0.0' },
  clientCapabilities: {},
} as const;

/**
 * Bare session actors under one directory actor, into a `Map`: the XState floor of a session, with
 * no protocol, no mailbox and no timer. `initialize` also sends each one the `initialize` event.
 */
export function createBareSessionActors(
  ids: readonly string[],
  initialize: boolean,
): Map<string, Actor<typeof sessionMachine>> {
  const parent = createActor(directoryMachine, { input: { host: inertDirectoryHost } }).start();
  const actors = new Map<string, Actor<typeof sessionMachine>>();
  for (const sessionId of ids) {
    const actor = createActor(sessionMachine, {
      parent,
      id: 'keyed',
      input: { sessionId, owner: undefined, host: inertSessionHost },
    });
    actor.start();
    if (initialize) actor.send(initializeEvent);
    actors.set(sessionId, actor);
  }
  return actors;
}

async function spawnBare(count: number, initialize: boolean): Promise<number> {
  await settledHeapUsed();
  const ids = sessionIds(`bare-spawn${generation++}`, count);
  const spawned = await measure(async () => createBareSessionActors(ids, initialize).size);
  return (count * 1000) / spawned.elapsedMs;
}

async function spawnNaive(count: number): Promise<number> {
  const engine = new SpawnChildEngine(benchHandlers);
  const ids = sessionIds(`naive-spawn${generation++}`, count);
  const spawned = await measure(() => dispatchAll(engine, ids, () => initializeRequest()));
  engine.close();
  return (count * 1000) / spawned.elapsedMs;
}

export async function spawnScenario(config: BenchConfig, report: Report): Promise<void> {
  console.log('\n▸ spawn rate');
  const sizes = [1_000, 10_000, 100_000];
  const naiveSizes = new Map<number, number>([
    [1_000, 1_000],
    [10_000, config.full ? 10_000 : 3_000],
  ]);
  await spawnOurs(1_000); // warm-up: JIT, and the first runtime's one-off costs
  const rates = new Map<number, number>();
  for (const size of sizes) {
    const repeats = size >= 100_000 && !config.full ? 1 : config.runs;
    const results: SpawnResult[] = [];
    const bare: number[] = [];
    const bareInitialized: number[] = [];
    // Interleaved, so that a noisy neighbour slows every engine alike.
    for (let run = 0; run < repeats; run++) {
      results.push(await spawnOurs(size));
      bare.push(await spawnBare(size, false));
      bareInitialized.push(await spawnBare(size, true));
    }
    const spawnRate = median(results.map((entry) => entry.spawnRate));
    const bareRate = median(bare);
    const bareInitializedRate = median(bareInitialized);
    rates.set(size, spawnRate);
    const naiveSize = naiveSizes.get(size);
    const naiveRate = naiveSize === undefined ? undefined : await spawnNaive(naiveSize);
    const errors = results.reduce((sum, entry) => sum + entry.errors, 0);
    report.add({
      scenario: `spawn (initialize) at ${formatCount(size)} sessions`,
      ours: `${formatCount(spawnRate)} /s${errors > 0 ? ` (${errors} errors!)` : ''}`,
      baseline:
        naiveRate === undefined
          ? '— (spawnChild: too slow to run)'
          : `${formatCount(naiveRate)} /s (spawnChild, ${formatCount(naiveSize as number)})`,
      ratio: naiveRate === undefined ? '—' : formatRatio(spawnRate / naiveRate),
      target: `≥ ${formatCount(TARGET_RATE)} /s`,
      verdict: atLeast(spawnRate, TARGET_RATE),
    });
    report.figure({
      scenario: `spawn at ${formatCount(size)} sessions`,
      metric: 'sessions created per second by initialize',
      unit: 'sessions/s',
      higherIsBetter: true,
      values: {
        ours: spawnRate,
        'bare session actors': bareRate,
        'bare session actors + initialize event': bareInitializedRate,
        ...(naiveRate === undefined
          ? {}
          : { [`naive XState spawnChild (at ${formatCount(naiveSize as number)})`]: naiveRate }),
      },
      ...(errors > 0 ? { note: `${errors} errors` } : {}),
    });
    report.add({
      scenario: 'same, against bare session actors (+ initialize event)',
      ours: `${formatCount(spawnRate)} /s`,
      baseline: `${formatCount(bareRate)} /s (${formatCount(bareInitializedRate)} /s)`,
      ratio: `${formatRatio(spawnRate / bareRate)} (${formatRatio(spawnRate / bareInitializedRate)})`,
      target: '—',
      verdict: 'info',
    });
    report.detail({
      scenario: `spawn at ${formatCount(size)} sessions`,
      engine: 'ours',
      figures: `whole handshake ${formatCount(median(results.map((entry) => entry.handshakeRate)))} sessions/s; close({ drainMs: 0 }) of all: ${formatMs(median(results.map((entry) => entry.closeMs)))} (${repeats} run${repeats > 1 ? 's' : ''})`,
    });
  }
  const flatness = (rates.get(100_000) as number) / (rates.get(1_000) as number);
  report.add({
    scenario: 'spawn rate flat: rate at 100k ÷ rate at 1k',
    ours: formatRatio(flatness),
    baseline: '—',
    ratio: '—',
    target: `≥ ${FLATNESS}× (no O(N²))`,
    verdict: atLeast(flatness, FLATNESS),
  });
}
