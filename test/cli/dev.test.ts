/**
 * `mcp-session-runtime dev` as a real child process: it serves a module from a temporary folder,
 * restarts it on the same port when the file changes (one line per reload), keeps watching after a
 * change that does not load, and stops on SIGTERM with exit 0.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliProcess } from './cliProcess.js';
import { messageOf, postModern, startCli } from './cliProcess.js';

let work = '';
let cli: CliProcess | undefined;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mcp-cli-dev-'));
  await writeFile(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
});
afterAll(async () => {
  if (cli?.child.exitCode === null) cli.child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

/** A server module with one tool named `name` (plain options: no import needed). */
const moduleWith = (name: string): string =>
  `const name: string = ${JSON.stringify(name)};\nexport default { tools: [{ name, handler: () => name }] };\n`;

async function toolNames(url: string): Promise<string[]> {
  const message = await messageOf(await postModern(url, 1, 'tools/list'));
  return ((message.result?.tools ?? []) as { name: string }[]).map((tool) => tool.name);
}

describe('dev', () => {
  it('reloads the module when it changes, on the same URL, and exits 0 on SIGTERM', async () => {
    const file = join(work, 'server.ts');
    await writeFile(file, moduleWith('before'));
    cli = startCli(['dev', 'server.ts', '--http', '0'], work);
    const [, url = ''] = await cli.waitForStderr(/serving server\.ts on (http:\/\/127\.0\.0\.1:\d+\/mcp)/);
    expect(await toolNames(url)).toEqual(['before']);

    // A change that does not load: the error is printed, the watch goes on.
    await writeFile(file, 'export default {\n');
    await cli.waitForStderr(/server\.ts did not start \(exit code 1\); waiting for changes/);

    await writeFile(file, moduleWith('after'));
    await cli.waitForStderr(/reloaded after server\.ts changed \(\d+ ms\)/);
    expect(await toolNames(url)).toEqual(['after']);
    expect(cli.stderr().match(/reloaded after/g)).toHaveLength(1);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toContain('SIGTERM: stopping');
  }, 30_000);
});
