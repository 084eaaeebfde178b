/**
 * One instance of a clustered MCP server: its sessions, state handles and tasks are claimed in
 * Redis, requests for ids another instance owns are forwarded to it, and list and resource
 * notifications reach every instance. Run three of them behind a load balancer
 * (`examples/cluster/index.ts` does, with a round-robin proxy) and a client may reach any of them.
 *
 * Environment: `PORT` (default 0: a free port), `HOST` (default 127.0.0.1), `REDIS_URL` (default
 * `redis://127.0.0.1:6379`), `KEY_PREFIX` (default `mcp-cluster-example:`), `LEASE_TTL_MS`
 * (default 15000), `FORWARD_TIMEOUT_MS` (default 10000). Prints one JSON line on stdout once it
 * listens: `{"event":"listening","instanceId":…,"url":…}`; logs go to stderr.
 *
 * Tools (each answer names the instance that ran it, so a client can see forwarding at work):
 * - `whoami`: the instance that answered (any instance may: no state).
 * - `session_count`: a counter kept per 2025-era session (in a Map keyed by the session id on the
 *   instance that owns the session).
 * - `tally_open`, `tally_add`, `tally_read`: a counter in a state handle (`tally_…` ids), for
 *   clients of either era.
 * - `slow_double`: doubles `n` after `ms` milliseconds; a task on the 2026-07-28 path when the
 *   client asks for one (SEP-2663).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { z } from 'zod';
import {
  createClusterPlacement,
  createRedisLeaseStore,
  createRedisNotificationBus,
  sharedRequestStateKeys,
} from '../../src/cluster/index.js';
import { closeGracefully, createNodeHandler } from '../../src/http/index.js';
import { createSessionRuntime, defineHandle, defineTool } from '../../src/index.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = process.env.KEY_PREFIX ?? 'mcp-cluster-example:';
const ttlMs = Number(process.env.LEASE_TTL_MS ?? 15_000);
const forwardTimeoutMs = Number(process.env.FORWARD_TIMEOUT_MS ?? 10_000);

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A counter in a state handle. */
const tally = defineHandle<{ total: number }>({
  name: 'tally',
  description: 'a running total',
  create: () => ({ total: 0 }),
  idleTimeoutMs: 10 * 60_000,
});

/** The per-session counters of the sessions this instance owns. */
const sessionCounts = new Map<string, number>();

function tools(instanceId: string) {
  const served = (text: string, data: Record<string, unknown>) => ({
    content: [{ type: 'text' as const, text: `${text} (instance ${instanceId})` }],
    structuredContent: { ...data, instanceId },
  });
  return [
    defineTool({
      name: 'whoami',
      description: 'Names the instance that answered.',
      inputSchema: z.object({}),
      handler: () => served('Hello', {}),
    }),
    defineTool({
      name: 'session_count',
      description: 'Counts the calls of this session (2025-era sessions).',
      inputSchema: z.object({}),
      handler: (_args, ctx) => {
        const id = ctx.session.sessionId;
        const count = (sessionCounts.get(id) ?? 0) + 1;
        sessionCounts.set(id, count);
        return served(`Call ${count} of this session`, { count });
      },
    }),
    defineTool({
      name: 'tally_open',
      description: 'Opens a running total at 0.',
      opens: tally,
      inputSchema: z.object({}),
      handler: (_args, ctx) => served('Opened a tally', { total: ctx.handle.state.total }),
    }),
    defineTool({
      name: 'tally_add',
      description: 'Adds `amount` to the tally and returns its total.',
      handle: tally,
      inputSchema: z.object({ tallyId: tally.idSchema, amount: z.number().int() }),
      handler: ({ amount }, ctx) => {
        ctx.handle.state.total += amount;
        return served(`Total ${ctx.handle.state.total}`, { total: ctx.handle.state.total });
      },
    }),
    defineTool({
      name: 'tally_read',
      description: 'Returns the tally.',
      handle: tally,
      inputSchema: z.object({ tallyId: tally.idSchema }),
      annotations: { readOnlyHint: true },
      handler: (_args, ctx) => served(`Total ${ctx.handle.state.total}`, { total: ctx.handle.state.total }),
    }),
    defineTool({
      name: 'slow_double',
      description: 'Doubles `n` after `ms` milliseconds; may run as a task.',
      inputSchema: z.object({ n: z.number(), ms: z.number().int().min(0).max(60_000).default(0) }),
      execution: { taskSupport: 'optional' },
      handler: async ({ n, ms }, ctx) => {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          });
        });
        return served(`Doubled: ${2 * n}`, { result: 2 * n });
      },
    }),
  ];
}

const client = await createClient({ url: redisUrl })
  .on('error', (error: Error) => log(`redis: ${error.message}`))
  .connect();
const subscriber = client
  .duplicate()
  .on('error', (error: Error) => log(`redis subscriber: ${error.message}`));
await subscriber.connect();

// Listen first: the placement advertises this instance's real address (PORT=0 picks a free one).
let serve: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
  res.writeHead(503, { 'retry-after': '1' }).end();
};
const server = createServer((req, res) => serve(req, res));
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, () => resolve());
});
const address = `http://${host}:${(server.address() as AddressInfo).port}`;

const placement = createClusterPlacement({
  store: createRedisLeaseStore(client, { keyPrefix }),
  bus: createRedisNotificationBus({ publisher: client, subscriber, keyPrefix }),
  address,
  // Signs each forwarded hop, so that an owner limits forwarded requests per client.
  forwardingKey: (await sharedRequestStateKeys(client, { keyPrefix, name: 'forwarding-key' }))[0],
  ttlMs,
  onError: (error) => log(`cluster: ${error instanceof Error ? error.message : String(error)}`),
});
const runtime = createSessionRuntime({
  serverInfo: { name: 'cluster-example', version: '1.0.0' },
  placement,
  requestStateKeys: await sharedRequestStateKeys(client, { keyPrefix }),
  tools: tools(placement.instanceId),
});
runtime.events.on('sessionStopped', ({ sessionId }) => sessionCounts.delete(sessionId));
const mcp = createNodeHandler(runtime, { health: true, forwardTimeoutMs });
serve = (req, res) => {
  const path = req.url?.split('?')[0];
  if (path === '/mcp' || path === '/health' || path === '/ready') mcp(req, res);
  else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the MCP endpoint is /mcp\n');
};
process.stdout.write(
  `${JSON.stringify({ event: 'listening', instanceId: placement.instanceId, url: `${address}/mcp` })}\n`,
);

let closing = false;
const close = async (signal: string) => {
  if (closing) process.exit(1);
  closing = true;
  log(`${signal}: draining, then releasing this instance's leases`);
  await closeGracefully(server, runtime, { drainMs: 2_000 });
  await placement.close();
  await Promise.allSettled([subscriber.quit(), client.quit()]);
  process.exit(0);
};
process.on('SIGTERM', () => void close('SIGTERM')).on('SIGINT', () => void close('SIGINT'));
