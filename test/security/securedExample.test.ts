/**
 * The secured example server (examples/secured-server.ts) as a user runs it, driven by the official
 * SDK client with a bearer token: it works for the token's user, refuses everyone else, and its log
 * never holds a token or a whole session id.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortHash } from '../../examples/tools.js';

const secret = 'test-only-secret-0123456789abcdef0123456789';
process.env.MCP_JWT_SECRET = secret;
const { mintToken } = await import('../../examples/mint-token.js');

/** A port free right now (the example needs its port up front: it is part of the token audience). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function connect(
  url: URL,
  bearer: string | undefined,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: bearer === undefined ? {} : { headers: { authorization: `Bearer ${bearer}` } },
  });
  const client = new Client({ name: 'secured-e2e', version: '1.0.0' });
  return client.connect(transport).then(() => ({ client, transport }));
}

describe('examples/secured-server.ts with the official SDK client', () => {
  let child: ChildProcess;
  let url: URL;
  let log = '';

  beforeAll(async () => {
    const port = await freePort();
    url = new URL(`http://127.0.0.1:${port}/mcp`);
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/secured-server.ts'], {
      env: { ...process.env, PORT: String(port), MCP_JWT_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      log += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (log.includes('listening on')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
      child.once('exit', (code) => {
        clearInterval(poll);
        reject(new Error(`the example exited (${code}): ${log}`));
      });
    });
  }, 30_000);

  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('serves the token holder, refuses others, and logs no token and no whole session id', async () => {
    const alice = await mintToken('alice', url.href);
    const mallory = await mintToken('mallory', url.href);

    const { client, transport } = await connect(url, alice);
    const sessionId = transport.sessionId as string;
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    expect(whoami.content).toEqual([{ type: 'text', text: 'alice' }]);
    const counted = await client.callTool({ name: 'counter', arguments: { by: 2 } });
    expect(counted.structuredContent).toEqual({ count: 2 });

    // No token: the SDK client sees the 401 (and would start OAuth discovery from its challenge).
    await expect(connect(url, undefined)).rejects.toThrow(/401|Unauthorized/i);

    // Mallory holds a valid token and Alice's session id: to her the session does not exist.
    const stolen = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${mallory}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      }),
    });
    expect(stolen.status).toBe(404);
    await stolen.body?.cancel();
    // ...and Alice's session goes on.
    expect((await client.callTool({ name: 'counter', arguments: { by: 1 } })).structuredContent).toEqual({
      count: 3,
    });

    await transport.terminateSession();
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 100));

    // The log follows the session by its short hash (so the scan below reads the right text)...
    expect(log).toContain(`session started: ${shortHash(sessionId)}`);
    expect(log).toContain(`session stopped: ${shortHash(sessionId)}`);
    expect(log).toContain('POST /mcp 401');
    // ...and holds no whole id, no token, and no token signature.
    for (const secretValue of [
      sessionId,
      alice,
      mallory,
      alice.split('.')[2],
      mallory.split('.')[2],
      secret,
    ]) {
      expect(log).not.toContain(secretValue);
    }
  }, 30_000);
});
