// A strict-TypeScript consumer of the packed package (checked with `tsc --noEmit`, skipLibCheck off).
// The @ts-expect-error lines prove the types are real: if an entry were typed `any`, they would be
// unused and tsc would fail.

import {
  createSessionRuntime,
  type DispatchResult,
  defineServer,
  defineTool,
  type ServerDefinition,
  type SessionRuntime,
  type SessionRuntimeOptions,
} from 'mcp-session-runtime';
import { createJwtAuthenticator, type JwtAuthenticatorOptions } from 'mcp-session-runtime/auth';
import {
  createRedisLeaseStore,
  type Lease,
  LeaseKeeper,
  type LeaseStore,
  MemoryLeaseStore,
  type RedisCommandClient,
} from 'mcp-session-runtime/cluster';
import { createFetchHandler, createNodeHandler, hardenedServerOptions } from 'mcp-session-runtime/http';
import { type StdioServer, serveStdio } from 'mcp-session-runtime/stdio';
import { connect, type TestClient } from 'mcp-session-runtime/testing';
import { z } from 'zod';

const options: SessionRuntimeOptions = {
  serverInfo: { name: 'typed', version: '1.0.0' },
  idleTimeoutMs: 60_000,
};
const add = defineTool({
  name: 'add',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  handler: ({ a, b }) => {
    const sum: number = a + b;
    // @ts-expect-error `a` is a number, not a string
    const wrong: string = a;
    return `${sum}${wrong}`;
  },
});
const runtime: SessionRuntime = createSessionRuntime({ ...options, tools: [add] });
const answer: Promise<DispatchResult> = runtime.dispatch('id', { jsonrpc: '2.0', id: 1, method: 'ping' });
// @ts-expect-error idleTimeoutMs is a number of milliseconds
createSessionRuntime({ idleTimeoutMs: '5s' });
// What a module served by the `mcp-session-runtime` command exports.
const definition: ServerDefinition = defineServer(({ transport }) => ({
  tools: [add],
  idleTimeoutMs: transport === 'stdio' ? Number.POSITIVE_INFINITY : 60_000,
}));
// @ts-expect-error a definition is options, a runtime or a function of the transport
defineServer('server.ts');

const node: (
  request: import('node:http').IncomingMessage,
  response: import('node:http').ServerResponse,
) => void = createNodeHandler(runtime);
const fetchHandler: (request: Request) => Promise<Response> = createFetchHandler(runtime);
const serverOptions = hardenedServerOptions();
const stdio: StdioServer = serveStdio(runtime, { sessionId: 'one' });
const jwtOptions: JwtAuthenticatorOptions = {
  issuer: 'https://issuer.test',
  audience: 'https://mcp.test/mcp',
};
const authenticate = createJwtAuthenticator({ ...jwtOptions, jwksUri: 'https://issuer.test/jwks.json' });

const client: Promise<TestClient> = connect(runtime, { protocolVersion: '2026-07-28' });
// @ts-expect-error not a revision the test client speaks
connect(runtime, { protocolVersion: '1999-01-01' });

const leaseStore: LeaseStore = new MemoryLeaseStore();
const keeper = new LeaseKeeper({ store: leaseStore, ownerId: 'typed' });
const claimed: Promise<Lease | undefined> = keeper.claim('id');
// @ts-expect-error a lease store needs a client with sendCommand
createRedisLeaseStore({ isReady: true });
const redisStore = (client: RedisCommandClient): LeaseStore =>
  createRedisLeaseStore(client, { keyPrefix: 'app:' });

export {
  answer,
  authenticate,
  claimed,
  client,
  definition,
  fetchHandler,
  node,
  redisStore,
  serverOptions,
  stdio,
};
