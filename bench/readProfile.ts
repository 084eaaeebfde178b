/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` (from `node --cpu-prof`), with
 * their file and line, and the share of the profile each takes.
 *
 *   node .cache/bench/bench/readProfile.js <file>.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function location(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/\.cache\/bench\//, '');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

function selfTimes(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    if (node === undefined) return;
    const key = location(node);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return totals;
}

const [file, topArgument] = process.argv.slice(2);
if (file === undefined) throw new TypeError('Expected a .cpuprofile path, got nothing');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const totals = selfTimes(profile);
const all = [...totals.values()].reduce((sum, value) => sum + value, 0);
const top = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArgument ?? 30));
console.log(`total ${(all / 1000).toFixed(0)} ms sampled`);
for (const [name, micros] of top) {
  console.log(
    `${((100 * micros) / all).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`,
  );
}
