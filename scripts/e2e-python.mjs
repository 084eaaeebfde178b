#!/usr/bin/env node
/**
 * Runs the official Python MCP client (`mcp` 2.x from PyPI) and the official TypeScript clients
 * against ONE running examples/http-server.ts, all at the same time.
 *
 *   npm run e2e:python
 *
 * Not part of `npm test`: it needs PyPI (or a mirror pip is configured for) and Python >= 3.10.
 * It makes a virtual environment in .cache/python-e2e (`E2E_PYTHON_VENV` names another directory;
 * created with `PYTHON`, default `python3`), installs `mcp>=2,<3` there once, and starts the example
 * server on a free port of 127.0.0.1. Then, concurrently:
 *
 * - `PYTHON_PROCESSES` (2) processes of scripts/e2e_client.py, each with `CLIENTS` (3) concurrent
 *   clients in the default negotiation mode (`'auto'`: a `server/discover` probe, then the
 *   2026-07-28 wire or a fall back to `initialize`), each connecting `ROUNDS` (2) times; every
 *   connection must negotiate 2026-07-28;
 * - one process of scripts/e2e-ts-clients.ts (run with tsx): `@modelcontextprotocol/client` 2.x
 *   pinned to 2026-07-28 and in `'auto'` mode (both must be sessionless on 2026-07-28), and
 *   `@modelcontextprotocol/sdk` 1.x (2025 sessions), `CLIENTS` of each, `ROUNDS` times.
 *
 * Each process loads its client library, says `@ready`, and waits; all of them are released at
 * once, so their traffic overlaps (checked: every process reports the wall-clock window of its
 * traffic, and the windows must share an instant). Fails when any process fails, when the windows
 * do not overlap, or when the server started a session that is not one of the 1.x clients' (a
 * 2026-07-28 client never opens one). The server's stderr is shown live prefixed with `server: `;
 * each process's output is shown after the run, prefixed with its name. Exit code 0 when all hold,
 * 1 otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = process.env.E2E_PYTHON_VENV
  ? resolve(process.env.E2E_PYTHON_VENV)
  : join(root, '.cache', 'python-e2e');
const requirement = 'mcp>=2,<3';
const bin = join(venv, process.platform === 'win32' ? 'Scripts' : 'bin');
const python = join(bin, process.platform === 'win32' ? 'python.exe' : 'python');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const PYTHON_PROCESSES = 2;
const CLIENTS = 3;
const ROUNDS = 2;
/** A process still running this long after the start is killed and fails the run. */
const TIMEOUT_MS = 120_000;

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status})`);
}

/** Creates the venv and installs the client once; `installed.txt` records what was installed. */
function install() {
  const marker = join(venv, 'installed.txt');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8') === requirement) return;
  run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', requirement]);
  writeFileSync(marker, requirement);
}

/** A port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the example server; resolves once it listens, with its URL and its stderr lines so far. */
function startServer(port) {
  const server = spawn(tsx, ['examples/http-server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const lines = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        process.stderr.write(`server: ${line}\n`);
        const listening = /listening on (\S+)/u.exec(line);
        if (listening) resolve({ server, url: listening[1], lines });
        newline = buffered.indexOf('\n');
      }
    });
    server.once('exit', (code) => reject(new Error(`the example server exited (${code})`)));
  });
}

/** Ctrl-C to the server (it drains and exits); SIGKILL if it is still there after 10 s. */
function stopServer(server) {
  if (server.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGINT');
  });
}

/**
 * Starts one client process with a pipe on stdin (the release) and records its output lines.
 * `ready` resolves with true on its `@ready` line, with false if it exits first; `exited` resolves
 * with its exit code (1 when it was killed or could not start).
 */
function startClient(name, command, args) {
  const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = [];
  let markReady;
  const ready = new Promise((resolve) => {
    markReady = resolve;
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        output.push(line);
        if (line === '@ready') markReady(true);
        newline = buffered.indexOf('\n');
      }
    });
    stream.on('end', () => {
      if (buffered !== '') output.push(buffered);
    });
  }
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => {
    output.push(`(killed: still running after ${TIMEOUT_MS / 1000} s)`);
    child.kill('SIGKILL');
  }, TIMEOUT_MS);
  const exited = new Promise((resolve) => {
    child.once('error', (error) => {
      output.push(`(could not start: ${error.message})`);
      resolve(1);
    });
    child.once('close', (code) => resolve(code ?? 1));
  }).then((code) => {
    clearTimeout(timer);
    markReady(false);
    return code;
  });
  return { name, child, output, ready, exited };
}

/** The `@window START END` a client reported, or undefined. */
function windowOf(client) {
  for (const line of client.output) {
    const match = /^@window (\d+) (\d+)$/u.exec(line);
    if (match) return { start: Number(match[1]), end: Number(match[2]) };
  }
  return undefined;
}

async function main() {
  install();
  const { server, url, lines } = await startServer(await freePort());
  const counts = ['--clients', String(CLIENTS), '--rounds', String(ROUNDS), '--wait-for-go'];
  const clients = [];
  const failures = [];
  try {
    for (let i = 1; i <= PYTHON_PROCESSES; i++) {
      clients.push(
        startClient(`python-${i}`, python, [join(root, 'scripts', 'e2e_client.py'), url, ...counts]),
      );
    }
    clients.push(startClient('ts', tsx, [join(root, 'scripts', 'e2e-ts-clients.ts'), url, ...counts]));
    // Release them together once all are loaded, so their traffic overlaps.
    const ready = await Promise.all(clients.map((client) => client.ready));
    for (const client of clients) client.child.stdin.end('go\n');
    const codes = await Promise.all(clients.map((client) => client.exited));
    clients.forEach((client, i) => {
      if (!ready[i]) failures.push(`${client.name} exited before it was ready`);
      if (codes[i] !== 0) failures.push(`${client.name} exited with ${codes[i]}`);
    });
  } finally {
    await stopServer(server);
  }

  for (const client of clients) {
    process.stdout.write(`--- ${client.name} ---\n`);
    for (const line of client.output) process.stdout.write(`${client.name} | ${line}\n`);
  }

  // Concurrency: the traffic windows of all processes share an instant.
  const windows = clients.map(windowOf);
  if (windows.every((window) => window !== undefined)) {
    const latestStart = Math.max(...windows.map((window) => window.start));
    const earliestEnd = Math.min(...windows.map((window) => window.end));
    const spans = clients.map((client, i) => `${client.name} ${windows[i].end - windows[i].start} ms`);
    if (latestStart < earliestEnd) {
      process.stdout.write(
        `concurrent: all ${clients.length} processes had traffic at once for ${earliestEnd - latestStart} ms (${spans.join(', ')}; started within ${latestStart - Math.min(...windows.map((window) => window.start))} ms)\n`,
      );
    } else {
      failures.push(`the processes' traffic did not overlap (${spans.join(', ')})`);
    }
  } else {
    failures.push('not every process reported its traffic window');
  }

  // Sessions: only the 1.x clients open them, and every one they opened reached the server.
  const started = new Set(lines.flatMap((line) => /^session started: (#\w+)/u.exec(line)?.slice(1) ?? []));
  const opened = new Set(
    clients.flatMap((client) =>
      client.output.flatMap((line) => /^@session (#\w+)$/u.exec(line)?.slice(1) ?? []),
    ),
  );
  const strangers = [...started].filter((hash) => !opened.has(hash));
  if (strangers.length > 0) {
    failures.push(
      `the server started ${strangers.length} session(s) no 1.x client opened (${strangers.join(', ')}); a 2026-07-28 client opens none`,
    );
  }
  const unseen = [...opened].filter((hash) => !started.has(hash));
  if (unseen.length > 0) failures.push(`the server did not log the 1.x sessions ${unseen.join(', ')}`);
  if (strangers.length === 0 && unseen.length === 0) {
    process.stdout.write(`sessions: the server started ${started.size}, each one by a ts sdk 1.x client\n`);
  }

  process.stdout.write('--- summary ---\n');
  for (const client of clients) {
    const summary = client.output.filter((line) => /(OK|FAILED|failure\(s\))$/u.test(line));
    for (const line of summary) process.stdout.write(`${client.name} | ${line}\n`);
  }
  for (const failure of failures) process.stderr.write(`FAIL: ${failure}\n`);
  const status = failures.length === 0 ? 0 : 1;
  process.stdout.write(status === 0 ? 'e2e:python passed\n' : 'e2e:python FAILED\n');
  process.exit(status);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
