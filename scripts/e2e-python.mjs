#!/usr/bin/env node
/**
 * Runs the official Python MCP client (`mcp` 2.x from PyPI) against examples/http-server.ts.
 *
 *   npm run e2e:python
 *
 * Not part of `npm test`: it needs PyPI (or a mirror pip is configured for) and Python >= 3.10.
 * It makes a virtual environment in .cache/python-e2e (with `PYTHON`, default `python3`), installs
 * `mcp>=2,<3` there once, starts the example server on a free port of 127.0.0.1, and runs
 * scripts/e2e_client.py in the client's default negotiation mode (`'auto'`: a `server/discover`
 * probe, then the 2026-07-28 wire or a fall back to `initialize`). The client script lists the tools,
 * calls some, prints the negotiated protocol version and fails unless it is 2026-07-28. This script
 * also fails if the server started a session (a 2026-07-28 client never opens one). The server's
 * stderr is shown prefixed with `server: `. Exit code: 0 when both hold, 1 otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.cache', 'python-e2e');
const requirement = 'mcp>=2,<3';
const bin = join(venv, process.platform === 'win32' ? 'Scripts' : 'bin');
const python = join(bin, process.platform === 'win32' ? 'python.exe' : 'python');

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
  const server = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['examples/http-server.ts'], {
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

async function main() {
  install();
  const { server, url, lines } = await startServer(await freePort());
  let status = 1;
  try {
    const client = spawnSync(python, [join(root, 'scripts', 'e2e_client.py'), url], {
      cwd: root,
      stdio: 'inherit',
      timeout: 120_000,
    });
    status = client.status ?? 1;
  } finally {
    await stopServer(server);
  }
  const sessions = lines.filter((line) => line.startsWith('session started'));
  if (sessions.length > 0) {
    process.stderr.write(
      `FAIL: the server started ${sessions.length} session(s); a 2026-07-28 client opens none\n`,
    );
    status = 1;
  }
  process.stdout.write(status === 0 ? 'e2e:python passed\n' : 'e2e:python FAILED\n');
  process.exit(status);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
