/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core): the page loads
 * from the server alone, and what it shows follows the runtime: sessions appear and leave, a
 * request in flight shows in its session's row and goes. Writes a screenshot to
 * .cache/dashboard.png, or to docs/dashboard.png with UPDATE_SCREENSHOT=1.
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
import { createSessionRuntime, defineTool } from '../../src/index.js';
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
  runtime = createSessionRuntime({ tools: [slow, echo] });
  const handler = createNodeHandler(runtime, { dashboard: true });
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
type PageGlobals = { document: { querySelector(css: string): { textContent: string | null } | null } };

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

const rowOf = (sessionId: string) => `tr[data-id="${sessionId.slice(0, 8)}…"]`;

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
});
