// A plain ESM consumer of the packed package: every entry point imported by its public name and used
// once for real (a runtime answering a tool call, an HTTP handler answering initialize on a real
// socket, stdio over in-memory streams, a JWT checked). Prints one line per entry and exits 1 on the
// first wrong answer.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  createSessionRuntime,
  defineHandle,
  defineTool,
  SUPPORTED_PROTOCOL_VERSIONS,
} from 'mcp-session-runtime';
import { createJwtAuthenticator } from 'mcp-session-runtime/auth';
import { LeaseKeeper, MemoryLeaseStore } from 'mcp-session-runtime/cluster';
import { createNodeHandler } from 'mcp-session-runtime/http';
import { serveStdio } from 'mcp-session-runtime/stdio';
import { connect, ManualClock } from 'mcp-session-runtime/testing';
import { z } from 'zod';

const version = SUPPORTED_PROTOCOL_VERSIONS[0];
const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'consumer', version: '1' } },
};
const makeRuntime = () =>
  createSessionRuntime({
    serverInfo: { name: 'consumer', version: '1.0.0' },
    tools: [
      defineTool({
        name: 'add',
        description: 'Adds two numbers',
        inputSchema: z.object({ a: z.number(), b: z.number() }),
        handler: ({ a, b }) => String(a + b),
      }),
    ],
  });

// mcp-session-runtime
const runtime = makeRuntime();
assert.equal((await runtime.dispatch('s1', initialize)).result.protocolVersion, version);
await runtime.dispatch('s1', { jsonrpc: '2.0', method: 'notifications/initialized' });
const call = await runtime.dispatch('s1', {
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'add', arguments: { a: 2, b: 3 } },
});
assert.deepEqual(call.result.content, [{ type: 'text', text: '5' }]);
console.log('mcp-session-runtime: ok');

// mcp-session-runtime/http
const server = createServer(createNodeHandler(runtime)).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const response = await fetch(`http://127.0.0.1:${server.address().port}/mcp`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify(initialize),
});
assert.equal(response.status, 200);
assert.match(response.headers.get('mcp-session-id') ?? '', /^[\x21-\x7e]+$/);
assert.equal((await response.json()).result.protocolVersion, version);
server.close();
server.closeAllConnections();
await runtime.close();
console.log('mcp-session-runtime/http: ok');

// mcp-session-runtime/stdio
const stdioRuntime = makeRuntime();
const input = new PassThrough();
const output = new PassThrough();
const stdio = serveStdio(stdioRuntime, { input, output, log: () => {} });
const firstLine = new Promise((resolve) => output.once('data', (chunk) => resolve(String(chunk))));
input.write(`${JSON.stringify(initialize)}\n`);
assert.equal(JSON.parse(await firstLine).result.protocolVersion, version);
input.end();
await stdio.finished;
await stdioRuntime.close();
console.log('mcp-session-runtime/stdio: ok');

// mcp-session-runtime/auth
const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!');
const authenticate = createJwtAuthenticator({
  issuer: 'https://issuer.test',
  audience: 'https://mcp.test/mcp',
  key: secret,
});
const refused = await authenticate(
  new Request('https://mcp.test/mcp', { headers: { authorization: 'Bearer not-a-jwt' } }),
).then(
  (principal) => principal,
  (error) => error,
);
assert.ok(refused === undefined || refused instanceof Error, 'a garbage token is not a principal');
console.log('mcp-session-runtime/auth: ok');

// mcp-session-runtime/testing: an in-process client of each era, and a state handle
const counter = defineHandle({ name: 'counter', create: () => ({ value: 0 }) });
const testedRuntime = createSessionRuntime({
  clock: new ManualClock(),
  tools: [
    defineTool({ name: 'counter_new', opens: counter, handler: () => 'new' }),
    defineTool({
      name: 'counter_bump',
      handle: counter,
      inputSchema: { counterId: counter.idSchema },
      handler: (_args, ctx) => String(++ctx.handle.state.value),
    }),
  ],
});
for (const protocolVersion of ['2025-11-25', '2026-07-28']) {
  const client = await connect(testedRuntime, { protocolVersion });
  const { counterId } = (await client.callTool('counter_new')).structuredContent;
  const bumped = await client.callTool('counter_bump', { counterId });
  assert.deepEqual(bumped.content, [{ type: 'text', text: '1' }]);
  await client.close();
}
await testedRuntime.close();
console.log('mcp-session-runtime/testing: ok');
// mcp-session-runtime/cluster (Redis is an optional peer and is not installed here)
const keeper = new LeaseKeeper({ store: new MemoryLeaseStore(), ownerId: 'consumer', ttlMs: 3_000 });
const lease = await keeper.claim('session-1');
assert.equal(lease.fencingToken, 1);
assert.equal(keeper.holds('session-1'), true);
await keeper.close();
await assert.rejects(import('redis'));
console.log('mcp-session-runtime/cluster: ok');
