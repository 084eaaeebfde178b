#!/usr/bin/env node
/**
 * Runs the official MCP conformance suite against examples/conformance-server.ts.
 *
 *   npm run conformance
 *
 * The suite needs Node >= 22 while this project supports 20: the npm package `node@22` and the suite
 * are installed into .cache/conformance (no system install). Two runs: the latest release with
 * `--suite all` (active and pending scenarios) and the current pre-release with
 * `--requirements 2025-11-25`. Prints each scenario's result and ends with
 * `conformance: P passed, F failed` (plus how many scenarios ran no check); exits 1 on any failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.cache', 'conformance');
const suites = [
  { name: 'release', spec: '@modelcontextprotocol/conformance@0.1.16', args: ['--suite', 'all'] },
  {
    name: 'next',
    spec: '@modelcontextprotocol/conformance@0.2.0-alpha.12',
    args: ['--requirements', '2025-11-25'],
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

/** Runs one suite; returns [scenario, passed?, summary line] rows read from its SUMMARY block. */
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
  return rows;
}

install();
const { server, url } = await startServer();
let passed = 0;
let failed = 0;
let empty = 0;
try {
  for (const suite of suites) {
    console.log(`\n${suite.spec} ${suite.args.join(' ')}`);
    for (const [scenario, ok, detail] of runSuite(suite, url)) {
      // A scenario that ran no check proves nothing: it is reported apart, not as a pass.
      if (ok && /^0 passed, 0 failed/.test(detail)) {
        console.log(`  NONE  ${scenario}: ran no check`);
        empty++;
        continue;
      }
      console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${scenario}: ${detail}`);
      if (ok) passed++;
      else failed++;
    }
  }
} finally {
  server.kill('SIGTERM');
}
console.log(`conformance: ${passed} passed, ${failed} failed${empty > 0 ? `, ${empty} ran no check` : ''}`);
process.exit(failed === 0 ? 0 : 1);
