/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core): the page loads
 * from the server alone, and what it shows follows the runtime: sessions appear and leave, a
 * request in flight shows in its session's row and goes; a click on a session's row narrows the
 * Transitions panel to that session's lifecycle. Writes screenshots to .cache/dashboard.png and
 * .cache/inspect.png, or to docs/ with UPDATE_SCREENSHOT=1.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createNodeHandler } from '../../src/http/index.js';
import type { SessionRuntime } from '../../src/index.js';
import { createSessionRuntime, createTransitionLog, defineTool } from '../../src/index.js';
import { deferred } from '../helpers.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** Where chromium is, installing Debian's package when it is missing (CI runs as root). */
async function chromiumPath(): Promise<string> {
  const found = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
  if (found !== undefined) return found;
  try {
    const { stdout } = await run('sh', ['-c', 'command -v chromium']);
    if (stdout.trim() !== '') return stdout.trim();
  } catch {
    // Not on PATH: install it below.
  }
  try {
    await run('apt-get', ['update', '-qq'], { timeout: 120_000 });
    await run('apt-get', ['install', '-y', '-qq', 'chromium'], {
      timeout: 240_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(
      `The dashboard test needs chromium, and \`apt-get install -y chromium\` failed: ${detail}`,
    );
  }
  if (!existsSync('/usr/bin/chromium'))
    throw new Error('apt-get installed chromium, but /usr/bin/chromium is missing');
  return '/usr/bin/chromium';
}

let browser: Browser | undefined;
let server: Server | undefined;
let runtime: SessionRuntime | undefined;
let base = '';
const gate = { current: deferred<void>() };

beforeAll(async () => {
  const executablePath = await chromiumPath();
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const slow = defineTool({
    name: 'slow',
    description: 'Waits until the test lets it finish',
    inputSchema: z.object({}),
    handler: async () => {
      await gate.current.promise;
      return 'done';
    },
  });
  const echo = defineTool({
    name: 'echo',
    description: 'Returns its text',
    inputSchema: z.object({ text: z.string() }),
    handler: ({ text }) => text,
  });
  const transitions = createTransitionLog();
  runtime = createSessionRuntime({ tools: [slow, echo], inspect: transitions.inspect });
  const handler = createNodeHandler(runtime, { dashboard: { transitions } });
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  gate.current.resolve();
  await browser?.close();
  await runtime?.close({ drainMs: 0 });
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function post(body: unknown, sessionId?: string): Promise<Response> {
  return fetch(`${base}/mcp`, {
    method: 'POST',
    headers: sessionId === undefined ? jsonHeaders : { ...jsonHeaders, 'mcp-session-id': sessionId },
    body: JSON.stringify(body),
  });
}

async function openSession(clientName: string): Promise<string> {
  const response = await post({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: clientName, version: '1.0.0' },
    },
  });
  await response.text();
  const sessionId = response.headers.get('mcp-session-id') as string;
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId)).text();
  return sessionId;
}

const callTool = (sessionId: string, id: number, name: string, args: Record<string, unknown> = {}) =>
  post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }, sessionId).then(
    (response) => response.text(),
  );

/**
 * The page's globals, for predicates that run in the page: this Node project's types have no DOM,
 * and the page's Content-Security-Policy refuses predicates given as strings (they need eval). A
 * cast to this type is all a predicate may use: it is serialized, so it cannot call a helper.
 */
type PageGlobals = {
  document: {
    querySelector(css: string): { textContent: string | null } | null;
    querySelectorAll(css: string): Iterable<{ textContent: string | null }>;
  };
};

/** Waits until `selector`'s text is `expected` (the page redraws once a second). */
async function shows(page: Page, selector: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ([css, text]) =>
      (globalThis as unknown as PageGlobals).document.querySelector(css as string)?.textContent === text,
    [selector, expected],
    { timeout: 15_000 },
  );
  expect(await page.textContent(selector)).toBe(expected);
}

/** Waits until the texts of the elements `selector` matches are `expected`, in order. */
async function showsAll(page: Page, selector: string, expected: readonly string[]): Promise<void> {
  await page.waitForFunction(
    ([css, text]) =>
      Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll(css as string))
        .map((element) => element.textContent)
        .join('|') === text,
    [selector, expected.join('|')],
    { timeout: 15_000 },
  );
  expect(await page.locator(selector).allTextContents()).toEqual(expected);
}

const shortOf = (sessionId: string) => `${sessionId.slice(0, 8)}…`;
/** The session's row in the Actors table. */
const rowOf = (sessionId: string) => `#actors tr[data-id="${shortOf(sessionId)}"]`;

describe('the dashboard in a browser', () => {
  it('follows sessions as they open, work and close', async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 860 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(base)) external.push(request.url());
    });
    await page.goto(`${base}/dashboard`);
    await shows(page, '[data-testid=sessions-live]', '0');

    const sessions = [
      await openSession('claude-desktop'),
      await openSession('cursor'),
      await openSession('inspector'),
    ];
    await shows(page, '[data-testid=sessions-live]', '3');
    expect(await page.textContent(`${rowOf(sessions[1] as string)} td[data-col=client]`)).toBe('cursor');

    // A request in flight shows in its session's row, then goes.
    for (let id = 10; id < 30; id++) await callTool(sessions[id % 3] as string, id, 'echo', { text: 'hi' });
    const call = callTool(sessions[0] as string, 2, 'slow');
    await shows(page, `${rowOf(sessions[0] as string)} td[data-col=inFlight]`, '1');
    await shows(page, '[data-testid=in-flight]', '1');
    gate.current.resolve();
    await call;
    await shows(page, `${rowOf(sessions[0] as string)} td[data-col=inFlight]`, '0');

    // DELETE ends a session: the count drops and the stop is listed.
    const deleted = await fetch(`${base}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': sessions[2] as string },
    });
    expect(deleted.status).toBe(200);
    await shows(page, '[data-testid=sessions-live]', '2');
    expect(await page.locator(rowOf(sessions[2] as string)).count()).toBe(0);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document
          .querySelector('#recent')
          ?.textContent?.includes('removed'),
      undefined,
      {
        timeout: 15_000,
      },
    );

    // Another call in flight for the picture.
    gate.current = deferred<void>();
    const pictured = callTool(sessions[1] as string, 3, 'slow');
    await shows(page, `${rowOf(sessions[1] as string)} td[data-col=inFlight]`, '1');
    const screenshot =
      process.env.UPDATE_SCREENSHOT === '1'
        ? join(root, 'docs', 'dashboard.png')
        : join(root, '.cache', 'dashboard.png');
    await mkdir(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    gate.current.resolve();
    await pictured;

    // Nothing but this server was asked for anything, and no whole session id is on the page.
    expect(external).toEqual([]);
    const text = (await page.textContent('body')) as string;
    for (const sessionId of sessions) expect(text).not.toContain(sessionId);
    await page.close();
  }, 120_000);

  it("narrows the Transitions panel to one session's lifecycle, from its first state to its stop", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${base}/dashboard`);
    const watched = await openSession('vscode');
    const other = await openSession('zed');
    await page.locator(rowOf(watched)).click();
    await shows(page, '#transitions-title', 'Transitions of session ');
    expect(await page.textContent('#transitions-watched')).toBe(shortOf(watched));
    await showsAll(page, '#transitions td[data-col=to]', ['ready', 'initialized', 'awaitingInitialize']);
    expect(await page.getAttribute(rowOf(watched), 'class')).toBe('watched');

    // DELETE ends it: the panel, still on it, shows the stop and the event that caused it.
    const deleted = await fetch(`${base}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': watched } });
    expect(deleted.status).toBe(200);
    await showsAll(page, '#transitions td[data-col=to]', [
      'stopped',
      'ready',
      'initialized',
      'awaitingInitialize',
    ]);
    expect(await page.locator('#transitions td[data-col=from]').allTextContents()).toEqual([
      'ready',
      'initialized',
      'awaitingInitialize',
      '·',
    ]);
    expect(await page.locator('#transitions td[data-col=event]').allTextContents()).toEqual([
      'remove',
      'initialized',
      'initialize',
      'xstate.init',
    ]);
    expect(new Set(await page.locator('#transitions td[data-col=id]').allTextContents())).toEqual(
      new Set([shortOf(watched)]),
    );

    // The panel and the actors above it, for the picture.
    const top = (await page.locator('section.panel:has(#actors)').boundingBox()) as { y: number };
    const bottom = (await page.locator('#transitions-panel').boundingBox()) as { y: number; height: number };
    const screenshot =
      process.env.UPDATE_SCREENSHOT === '1'
        ? join(root, 'docs', 'inspect.png')
        : join(root, '.cache', 'inspect.png');
    await mkdir(join(screenshot, '..'), { recursive: true });
    await page.screenshot({
      path: screenshot,
      fullPage: true,
      clip: { x: 0, y: top.y - 12, width: 1280, height: bottom.y + bottom.height - top.y + 24 },
    });

    // "show all" lists every actor's transitions again, another session's among them.
    await page.click('#transitions-all');
    await shows(page, '#transitions-title', 'Transitions');
    expect(await page.locator(`#transitions tr[data-id="${shortOf(other)}"]`).count()).toBeGreaterThan(0);
    const text = (await page.textContent('body')) as string;
    for (const sessionId of [watched, other]) expect(text).not.toContain(sessionId);
    await page.close();
  }, 60_000);
});
