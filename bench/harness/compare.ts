/**
 * Runs several engines under the same load, interleaved (ours, baseline, baseline, ours, …) so that a
 * burst of noise from a neighbour lands on every engine alike, and takes the median of each.
 */
import type { LoadResult } from './drivers.js';
import { collectGarbage } from './measure.js';
import { median } from './stats.js';

/** One engine in a comparison: how to warm it up and how to run it once. */
export interface Contestant {
  readonly name: string;
  readonly warmUp: () => Promise<unknown>;
  readonly run: () => Promise<LoadResult>;
}

/** Medians over the runs of one contestant. */
export interface Standing {
  readonly name: string;
  readonly rate: number;
  readonly cpuPerMessage: number;
  readonly messages: number;
  readonly errors: number;
  readonly runs: readonly LoadResult[];
}

/**
 * Warms every contestant up, then runs each `runs` times, interleaved, with a full collection before
 * each run (when `gc` is exposed) so that one engine's garbage is not collected on another's clock.
 */
export async function compare(
  contestants: readonly Contestant[],
  runs: number,
): Promise<ReadonlyMap<string, Standing>> {
  for (const contestant of contestants) await contestant.warmUp();
  const results = new Map<string, LoadResult[]>(contestants.map((contestant) => [contestant.name, []]));
  for (let round = 0; round < runs; round++) {
    // Every other round in reverse (A B, B A, …): whoever runs right after a collection or right
    // after a sibling's garbage does not stay the same engine.
    const order = round % 2 === 0 ? contestants : [...contestants].reverse();
    for (const contestant of order) {
      collectGarbage();
      results.get(contestant.name)?.push(await contestant.run());
    }
  }
  const standings = new Map<string, Standing>();
  for (const [name, list] of results) {
    standings.set(name, {
      name,
      rate: median(list.map((entry) => entry.rate)),
      cpuPerMessage: median(list.map((entry) => entry.cpuPerMessage)),
      messages: list.reduce((sum, entry) => sum + entry.messages, 0),
      errors: list.reduce((sum, entry) => sum + entry.errors, 0),
      runs: list,
    });
  }
  return standings;
}

/** The spread of a standing's runs, `min–max msg/s`, so a reader can see the noise beside the median. */
export function spreadOf(standing: Standing): string {
  const rates = standing.runs.map((run) => run.rate);
  const low = Math.min(...rates);
  const high = Math.max(...rates);
  return `runs ${(low / 1000).toFixed(0)}–${(high / 1000).toFixed(0)} k msg/s`;
}

/** The standing of `name`; throws if the comparison had no such contestant (a bug in the bench). */
export function standingOf(standings: ReadonlyMap<string, Standing>, name: string): Standing {
  const standing = standings.get(name);
  if (standing === undefined) throw new Error(`No contestant named ${name}`);
  return standing;
}
