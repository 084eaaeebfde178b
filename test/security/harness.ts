/**
 * The attacker suite's target: a runtime behind either server form, with JWT authentication by an
 * issuer whose keys the tests hold, its protected-resource metadata routed, and the raw-request
 * helpers an attacker would use.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import type { CryptoKey, JWTPayload } from 'jose';
import { generateKeyPair, SignJWT } from 'jose';
import { afterEach } from 'vitest';
import { z } from 'zod';
import type { JwtAuthenticatorOptions } from '../../src/auth/index.js';
import { createJwtAuthenticator } from '../../src/auth/index.js';
import type { NodeRequestHandler, StreamableHttpOptions } from '../../src/http/index.js';
import { createFetchHandler, createNodeHandler, hardenedServerOptions } from '../../src/http/index.js';
import type { SessionRuntime, SessionRuntimeOptions } from '../../src/index.js';
import { createSessionRuntime, defineTool } from '../../src/index.js';

export type ServerKind = 'node' | 'hono';
export const kinds: readonly ServerKind[] = ['node', 'hono'];

export const issuer = 'https://issuer.test';

/** The issuer's signing keys, and a second pair an attacker controls. */
export const issuerKeys = await generateKeyPair('ES256');
export const attackerKeys = await generateKeyPair('ES256');

/** Reports who the server thinks is calling, and everything it was told about them. */
const whoami = defineTool({
  name: 'whoami',
  description: 'The authenticated principal of this request',
  inputSchema: z.object({}),
  handler: (_args, ctx) => ({
    content: [{ type: 'text', text: ctx.auth?.id ?? 'anonymous' }],
    structuredContent: { auth: ctx.auth ?? null },
  }),
});

/** Reports progress first, so that its answer streams (an SSE request stream). */
const streaming = defineTool({
  name: 'streaming',
  description: 'Streams one log message, then answers',
  inputSchema: z.object({}),
  handler: (_args, ctx) => {
    ctx.log('info', 'working');
    return { content: [{ type: 'text', text: 'done' }] };
  },
});

export interface SecuredServer {
  /** The MCP endpoint (and the tokens' audience). */
  readonly url: URL;
  readonly runtime: SessionRuntime;
  /** Failures the transport reported to `onError`. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

export interface SecuredServerOptions {
  readonly runtime?: SessionRuntimeOptions;
  /** Transport options beside authentication. */
  readonly http?: StreamableHttpOptions;
  /** JWT options beside issuer, audience and key (no key when they give a `jwksUri`). */
  readonly jwt?: Partial<JwtAuthenticatorOptions>;
  /** `false`: no `authenticate` hook at all. */
  readonly authenticate?: boolean;
  /** `node:http` server limits (node form only). */
  readonly server?: Parameters<typeof hardenedServerOptions>[0];
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => {
    if (server.listening) resolve((server.address() as AddressInfo).port);
    else server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
}

const isMcpPath = (path: string) =>
  path === '/mcp' || path.startsWith('/.well-known/oauth-protected-resource');

/** Starts a secured server on an ephemeral port. */
export async function startSecured(
  kind: ServerKind,
  options: SecuredServerOptions = {},
): Promise<SecuredServer> {
  const runtime = createSessionRuntime({ tools: [whoami, streaming], ...options.runtime });
  const errors: unknown[] = [];
  // The audience is the server's own URL, known only once it listens: the handler is made then.
  let handle: NodeRequestHandler | undefined;
  let fetchHandler: ((request: Request) => Promise<Response>) | undefined;
  const server =
    kind === 'node'
      ? createServer(hardenedServerOptions(options.server), (req, res) => {
          if (isMcpPath(req.url?.split('?')[0] ?? '') && handle !== undefined) handle(req, res);
          else res.writeHead(404).end();
        }).listen(0, '127.0.0.1')
      : (serve({
          fetch: (request) => {
            const path = new URL(request.url).pathname;
            return isMcpPath(path) && fetchHandler !== undefined
              ? fetchHandler(request)
              : new Response(null, { status: 404 });
          },
          port: 0,
          hostname: '127.0.0.1',
        }) as Server);
  const port = await listening(server);
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const httpOptions: StreamableHttpOptions = {
    onError: (error) => errors.push(error),
    protectedResource: { resource: url.href, authorizationServers: [issuer], scopesSupported: ['mcp'] },
    ...(options.authenticate === false
      ? {}
      : {
          authenticate: createJwtAuthenticator({
            issuer,
            audience: url.href,
            // The issuer's key, unless the test gives the key set as a `jwksUri`.
            ...(options.jwt?.jwksUri === undefined ? { key: issuerKeys.publicKey } : {}),
            ...options.jwt,
          }),
        }),
    ...options.http,
  };
  if (kind === 'node') handle = createNodeHandler(runtime, httpOptions);
  else fetchHandler = createFetchHandler(runtime, httpOptions);
  return {
    url,
    runtime,
    errors,
    async close() {
      await runtime.close({ drainMs: 0 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Declares the server of one `describe` block: call the returned function to start it (once per
 * test); it is closed after each test.
 */
export function securedServerPerTest(
  kind: ServerKind,
): (options?: SecuredServerOptions) => Promise<SecuredServer> {
  let server: SecuredServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (options = {}) => {
    server = await startSecured(kind, options);
    return server;
  };
}

export interface TokenOptions {
  /** `null`: no `sub` claim. */
  readonly subject?: string | null;
  readonly audience?: string;
  readonly issuer?: string;
  /** The signing key; the issuer's by default. */
  readonly key?: CryptoKey | Uint8Array;
  /** @default 'ES256' */
  readonly alg?: string;
  /** Seconds from now; negative for an expired token. */
  readonly expiresIn?: number;
  readonly claims?: JWTPayload;
}

/** A token as the issuer (or, with `key`, someone else) would sign it. */
export function token(url: URL, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1_000);
  const jwt = new SignJWT({ scope: 'mcp', ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? 'ES256' })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? url.href)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresIn ?? 3_600));
  if (options.subject !== null) jwt.setSubject(options.subject ?? 'alice');
  return jwt.sign(options.key ?? issuerKeys.privateKey);
}

export const initializeBody = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'attacker', version: '1' } },
};

const postHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

/** A POST as a client sends it, with a bearer token when given. */
export function post(
  url: URL,
  body: unknown,
  bearer?: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      ...postHeaders,
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Opens a session as the holder of `bearer`; its id. */
export async function openSession(url: URL, bearer: string): Promise<string> {
  const response = await post(url, initializeBody, bearer);
  const sessionId = response.headers.get('mcp-session-id');
  await response.body?.cancel();
  if (response.status !== 200 || sessionId === null) throw new Error(`initialize failed: ${response.status}`);
  const initialized = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, bearer, {
    'mcp-session-id': sessionId,
  });
  await initialized.body?.cancel();
  return sessionId;
}

/** `tools/call` of `name` in a session. */
export function callTool(
  url: URL,
  sessionId: string,
  bearer: string | undefined,
  name = 'whoami',
): Promise<Response> {
  return post(url, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } }, bearer, {
    'mcp-session-id': sessionId,
  });
}

/** A request with any method and headers. */
export function send(url: URL, method: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method, headers });
}

/** The parts of a refusal an attacker can observe, minus the date. */
export async function shapeOf(
  response: Response,
): Promise<{ status: number; headers: string[]; body: string }> {
  const headers = [...response.headers.entries()]
    .filter(([name]) => name !== 'date')
    .map(([name, value]) => `${name}: ${value}`)
    .sort();
  return { status: response.status, headers, body: await response.text() };
}

/** The headers of a GET for a session's stream, with a bearer token when given. */
export function streamHeaders(sessionId: string, bearer?: string): Record<string, string> {
  return {
    accept: 'text/event-stream',
    'mcp-session-id': sessionId,
    'mcp-protocol-version': '2025-11-25',
    ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
  };
}

/** A raw TCP connection to the server, for what no well-behaved client sends. */
export function rawSocket(url: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
