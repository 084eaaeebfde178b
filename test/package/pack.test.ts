/**
 * The package a stranger installs: `npm pack` builds it (the `prepare` script), the tarball installs
 * into a fresh project from the registry, and consumers of every entry point (`mcp-session-runtime`,
 * `/http`, `/stdio`, `/auth`, `/testing`, `/cluster`; Redis, an optional peer, is not installed) run
 * as plain ESM and type-check under the strictest TypeScript settings with `skipLibCheck` off; its
 * `mcp-session-runtime` command runs through `npx` and serves a plain .js module over stdio. Needs
 * the npm registry for the package's dependencies (cached after the first run).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const consumerSources = fileURLToPath(new URL('./consumer/', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackedFile {
  readonly path: string;
}

let work = '';
let files: string[] = [];
let project = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mcp-session-runtime-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  // npm prints the build's output before the JSON array.
  const packed = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as [
    { filename: string; files: PackedFile[] },
  ];
  files = packed[0].files.map((file) => file.path);
  project = join(work, 'consumer');
  await run('mkdir', ['-p', project]);
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--ignore-scripts',
      join(work, packed[0].filename),
      '@types/node@20',
    ],
    { cwd: project, maxBuffer: 64 * 1024 * 1024 },
  );
  for (const name of ['consumer.mjs', 'consumer.ts']) {
    await copyFile(join(consumerSources, name), join(project, name));
  }
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the build, its types, the licence, the readme and the docs it links to, and nothing of the repository beside them', () => {
    for (const entry of ['', 'http/', 'stdio/', 'auth/', 'testing/', 'cluster/']) {
      expect(files).toContain(`dist/src/${entry}index.js`);
      expect(files).toContain(`dist/src/${entry}index.d.ts`);
    }
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'SECURITY.md', 'package.json', 'docs/cluster.md']),
    );
    const outside = files.filter(
      (file) => !/^(dist\/|docs\/[\w-]+\.md$|LICENSE$|README\.md$|SECURITY\.md$|package\.json$)/.test(file),
    );
    expect(outside).toEqual([]);
    // Every relative link of the README to a Markdown file resolves inside the package.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(((?:docs\/)?[\w-]+\.md)(?:#[\w-]*)?\)/g)].map(
      (match) => match[1],
    );
    expect(linked.length).toBeGreaterThan(5);
    expect(linked.filter((path) => !files.includes(path as string))).toEqual([]);
  });

  it('carries the command, executable, and names it as the bin', async () => {
    expect(files).toContain('dist/src/cli/main.js');
    const installed = join(project, 'node_modules', 'mcp-session-runtime');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    expect(manifest.bin).toEqual({ 'mcp-session-runtime': './dist/src/cli/main.js' });
    expect(
      (await readFile(join(installed, 'dist/src/cli/main.js'), 'utf8')).startsWith('#!/usr/bin/env node\n'),
    ).toBe(true);
  });

  it('runs the command through npx: --help, a .js module over stdio, and a clear refusal of .ts without tsx', async () => {
    const help = await run('npx', ['--no-install', 'mcp-session-runtime', '--help'], {
      cwd: project,
      timeout: 60_000,
    });
    expect(help.stdout).toMatch(/^Usage: mcp-session-runtime serve <module>/);

    await writeFile(
      join(project, 'server.js'),
      "export default { tools: [{ name: 'hi', handler: () => 'hi' }] };\n",
    );
    const child = spawn('npx', ['--no-install', 'mcp-session-runtime', 'serve', 'server.js', '--stdio'], {
      cwd: project,
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.end(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      })}\n`,
    );
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });

    // A Node without type stripping (20) and no tsx in this project: a .ts module is refused with what to do.
    if (!(process.features as { typescript?: unknown }).typescript) {
      await writeFile(join(project, 'server.ts'), 'export default {};\n');
      const refused = await run(
        'npx',
        ['--no-install', 'mcp-session-runtime', 'serve', 'server.ts', '--stdio'],
        {
          cwd: project,
          timeout: 60_000,
        },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('npm install --save-dev tsx');
    }
  }, 90_000);

  it('carries the sources its source maps point at inside the maps', async () => {
    const maps = files.filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const parsed = JSON.parse(
        await readFile(join(project, 'node_modules', 'mcp-session-runtime', map), 'utf8'),
      ) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length);
      expect(
        parsed.sourcesContent?.every((source) => typeof source === 'string' && source.length > 0),
        map,
      ).toBe(true);
    }
  });

  it('installs zod as a peer (one zod instance for the consumer and the package)', async () => {
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules', 'mcp-session-runtime', 'package.json'), 'utf8'),
    ) as { peerDependencies?: Record<string, string>; dependencies?: Record<string, string> };
    expect(manifest.peerDependencies?.zod).toMatch(/^\^4\./);
    expect(manifest.dependencies?.zod).toBeUndefined();
    const zod = JSON.parse(await readFile(join(project, 'node_modules', 'zod', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(zod.version).toMatch(/^4\./);
  });

  it('runs a plain ESM consumer of every entry point', async () => {
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: project, timeout: 60_000 });
    expect(stdout.trim().split('\n')).toEqual([
      'mcp-session-runtime: ok',
      'mcp-session-runtime/http: ok',
      'mcp-session-runtime/stdio: ok',
      'mcp-session-runtime/auth: ok',
      'mcp-session-runtime/testing: ok',
      'mcp-session-runtime/cluster: ok',
    ]);
  }, 90_000);

  it('type-checks a strict TypeScript consumer of every entry point with skipLibCheck off', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          noImplicitOverride: true,
          verbatimModuleSyntax: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: project, timeout: 120_000 }).then(
      ({ stdout }) => ({ ok: true, stdout }),
      (error: { stdout?: string }) => ({ ok: false, stdout: error.stdout ?? String(error) }),
    );
    expect(result.stdout).toBe('');
    expect(result.ok).toBe(true);
  }, 150_000);
});
