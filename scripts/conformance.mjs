#!/usr/bin/env node
/**
 * Runs the official MCP conformance suite against examples/conformance-server.ts.
 *
 *   npm run conformance
 *
 * The suite needs Node >= 22 while this project supports 20: the npm package `node@22` and the suite
 * are installed into .cache/conformance (no system install). Three runs: the latest release with
 * `--suite all` (active and pending scenarios), the current pre-release with
 * `--requirements 2025-11-25`, and the same pre-release with `--requirements 2026-07-28`. Prints
 * each scenario's result. All three gate: they end with `conformance: P passed, F failed` (plus
 * how many scenarios ran no check), the last line, and any failure there exits 1. The 2026-07-28
 * run counts its scored and its pending scenarios, the tasks extension's (SEP-2663) included,
 * which the suite does not score for that revision. A suite entry may still set kinds of
 * scenarios apart (`apart`, `label`): they are then listed and counted on their own line
 * (`conformance <label> (not gating): …`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache', 'conformance');
/** `name` is the alias the suite is installed under; suites with one name share one install. */
const suites = [
  {
    name: 'release',
    spec: '@modelcontextprotocol/conformance@0.1.16',
    args: ['--suite', 'all'],
    gating: true,
  },
  {
    name: 'next',
    spec: '@modelcontextprotocol/conformance@0.2.0-alpha.12',
    args: ['--requirements', '2025-11-25'],
    gating: true,
  },
  {
    name: 'next',
    spec: '@modelcontextprotocol/conformance@0.2.0-alpha.12',
    args: ['--requirements', '2026-07-28'],
    gating: true,
  },
];

function install() {
  const packages = { node: 'node@22', ...Object.fromEntries(suites.map((s) => [s.name, `npm:${s.spec}`])) };
  const marker = join(cache, 'installed.json');
  const wanted = JSON.stringify(packages);
  if (existsSync(marker) && existsSync(join(cache, 'node_modules', 'node', 'bin', 'node'))) {
    if (readFileSync(marker, 'utf8') === wanted) return;
  }
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'package.json'), JSON.stringify({ name: 'conformance-cache', private: true }));
  const specs = Object.entries(packages).map(([alias, spec]) =>
    alias === 'node' ? spec : `${alias}@${spec}`,
  );
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', cache, ...specs], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('installing the conformance suite failed');
  writeFileSync(marker, wanted);
}

/** Starts the example server; resolves with its URL (its first line of stdout). */
function startServer() {
  const server = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['examples/conformance-server.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    server.stdout.on('data', (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve({ server, url: buffered.slice(0, newline).trim() });
    });
    server.once('exit', (code) => reject(new Error(`conformance server exited (${code})`)));
  });
}

/**
 * Runs one suite. Returns `rows`, [scenario, passed?, summary line] read from its SUMMARY block, and
 * `notScored`, scenario → reason for those a `--requirements` run lists under "Not scored for …".
 */
function runSuite(suite, url) {
  const node = join(cache, 'node_modules', 'node', 'bin', 'node');
  const cli = join(cache, 'node_modules', suite.name, 'dist', 'index.js');
  const result = spawnSync(node, [cli, 'server', '--url', url, ...suite.args], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  const rows = [];
  for (const match of output.matchAll(/^([✓✗]) (\S+): (.*)$/gmu))
    rows.push([match[2], match[1] === '✓', match[3]]);
  if (rows.length === 0) {
    process.stderr.write(output);
    rows.push([`${suite.name} (no results)`, false, `exit ${result.status}`]);
  }
  const notScored = new Map();
  const block = /^Not scored for \S+: .*$/mu.exec(output);
  if (block !== null) {
    for (const line of output
      .slice(block.index + block[0].length)
      .split('\n')
      .slice(1)) {
      const match = /^ {2}[✓✗] (\S+) \((.*)\)$/u.exec(line);
      if (match === null) break;
      notScored.set(match[1], match[2]);
    }
  }
  return { rows, notScored };
}

/** Prints one result row; returns 'passed', 'failed' or 'empty'. */
function report(scenario, ok, detail, indent) {
  // A scenario that ran no check proves nothing: it is reported apart, not as a pass.
  if (ok && /^0 passed, 0 failed/.test(detail)) {
    console.log(`${indent}NONE  ${scenario}: ran no check`);
    return 'empty';
  }
  console.log(`${indent}${ok ? 'PASS' : 'FAIL'}  ${scenario}: ${detail}`);
  return ok ? 'passed' : 'failed';
}

function tally(counts) {
  return `${counts.passed} passed, ${counts.failed} failed${counts.empty > 0 ? `, ${counts.empty} ran no check` : ''}`;
}

install();
const { server, url } = await startServer();
const gating = { passed: 0, failed: 0, empty: 0 };
const ungated = [];
try {
  for (const suite of suites) {
    console.log(`\n${suite.spec} ${suite.args.join(' ')}`);
    const { rows, notScored } = runSuite(suite, url);
    // Every scenario a run reports counts, scored or pending, except those of a kind set apart.
    const apart = [];
    for (const [scenario, ok, detail] of rows) {
      if (suite.apart !== undefined && notScored.get(scenario) === suite.apart)
        apart.push([scenario, ok, detail]);
      else gating[report(scenario, ok, detail, '  ')]++;
    }
    if (apart.length > 0) {
      const counts = { passed: 0, failed: 0, empty: 0 };
      console.log(`  not scored for this run and not gating (${suite.label}): ${apart.length} scenarios`);
      for (const [scenario, ok, detail] of apart)
        counts[report(scenario, ok, `${detail} (${suite.apart})`, '    ')]++;
      ungated.push([suite, counts]);
    }
  }
} finally {
  server.kill('SIGTERM');
}
for (const [suite, counts] of ungated)
  console.log(`conformance ${suite.label} (not gating): ${tally(counts)}`);
console.log(`conformance: ${tally(gating)}`);
process.exit(gating.failed === 0 ? 0 : 1);
