/**
 * The official TypeScript clients against a running example server (examples/http-server.ts):
 *
 *   npx tsx scripts/e2e-ts-clients.ts URL [--clients N] [--rounds R] [--wait-for-go]
 *
 * Three kinds run at the same time, `--clients` of each (default 3), each connecting `--rounds`
 * times (default 1, one connection after another):
 *
 * - `@modelcontextprotocol/client` 2.x pinned to 2026-07-28 (`versionNegotiation: { mode: { pin } }`);
 * - the same client in `'auto'` negotiation (a `server/discover` probe; it must settle on 2026-07-28);
 * - `@modelcontextprotocol/sdk` 1.x: a 2025 `initialize` and a session, ended with DELETE.
 *
 * On each connection the client lists the tools, then calls `echo` twice and `slow` (with progress)
 * at the same time. A 2.x connection must be sessionless; a 1.x connection must hold a session.
 * Each kind prints one line: what it negotiated and `OK`, or its failures. Exit code 0 when every
 * connection of every kind passed, 1 otherwise.
 *
 * For a harness: each 1.x session prints `@session #xxxxxxxx` (the short hash of its id that the
 * example server logs), so the harness can tell that no other client opened a session;
 * `--wait-for-go` prints `@ready` once the clients are loaded and waits for a line on stdin before
 * connecting; then `@window START END` gives the wall-clock milliseconds of the traffic.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const MODERN = '2026-07-28';

type Kind = 'ts client 2.x pinned' | 'ts client 2.x auto' | 'ts sdk 1.x';
const KINDS: readonly Kind[] = ['ts client 2.x pinned', 'ts client 2.x auto', 'ts sdk 1.x'];

/** What one connection settled on. */
interface Negotiated {
  readonly version: string | undefined;
  readonly era: string | undefined;
  readonly sessionId: string | undefined;
}

/** The calls the workload makes, on either client generation. */
interface Calls {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(
    name: string,
    args: Record<string, unknown>,
    onprogress?: (progress: { progress: number }) => void,
  ): Promise<{ content: unknown[]; isError?: boolean | undefined }>;
}

/** The short hash the example server logs for a session id (examples/tools.ts `shortHash`). */
const shortHash = (sessionId: string) =>
  `#${createHash('sha256').update(sessionId).digest('hex').slice(0, 8)}`;

const textOf = (result: { content: unknown[] }) =>
  result.content.map((block) => (block as { text?: string }).text ?? '').join('');

/** Lists the tools, then calls `echo` twice and `slow` at once; throws on the first wrong answer. */
async function workload(calls: Calls, label: string): Promise<void> {
  const { tools } = await calls.listTools();
  const names = tools.map((tool) => tool.name);
  if (!names.includes('echo') || !names.includes('slow'))
    throw new Error(`tools listed: ${names.join(', ')}`);
  const progress: number[] = [];
  const [first, second, slow] = await Promise.all([
    calls.callTool('echo', { text: `${label} a` }),
    calls.callTool('echo', { text: `${label} b` }),
    calls.callTool('slow', { steps: 4, delayMs: 50 }, ({ progress: value }) => progress.push(value)),
  ]);
  if (textOf(first) !== `${label} a` || textOf(second) !== `${label} b`) {
    throw new Error(`echo answered ${JSON.stringify([textOf(first), textOf(second)])}`);
  }
  if (textOf(slow) !== 'done after 4 steps' || progress.join() !== '1,2,3,4') {
    throw new Error(`slow answered ${JSON.stringify(textOf(slow))} with progress [${progress.join()}]`);
  }
}

async function connectionV2(url: URL, kind: Kind, label: string): Promise<Negotiated> {
  const client = new ClientV2(
    { name: label, version: '1.0.0' },
    { versionNegotiation: { mode: kind === 'ts client 2.x pinned' ? { pin: MODERN } : 'auto' } },
  );
  const transport = new TransportV2(url);
  await client.connect(transport);
  try {
    const negotiated = {
      version: client.getNegotiatedProtocolVersion(),
      era: client.getProtocolEra(),
      sessionId: transport.sessionId,
    };
    if (negotiated.version !== MODERN || negotiated.era !== 'modern') {
      throw new Error(`negotiated ${negotiated.version} (${negotiated.era}), expected ${MODERN} (modern)`);
    }
    await workload(
      {
        listTools: () => client.listTools(),
        callTool: (name, args, onprogress) =>
          client.callTool({ name, arguments: args }, onprogress ? { onprogress } : undefined),
      },
      label,
    );
    if (transport.sessionId !== undefined) throw new Error('a 2026-07-28 connection got a session id');
    return negotiated;
  } finally {
    await client.close();
  }
}

async function connectionV1(url: URL, label: string): Promise<Negotiated> {
  const client = new ClientV1({ name: label, version: '1.0.0' });
  const transport = new TransportV1(url);
  await client.connect(transport);
  try {
    const sessionId = transport.sessionId;
    if (sessionId === undefined) throw new Error('a 2025 connection got no session id');
    process.stdout.write(`@session ${shortHash(sessionId)}\n`);
    await workload(
      {
        listTools: () => client.listTools(),
        callTool: (name, args, onprogress) =>
          client.callTool(
            { name, arguments: args },
            undefined,
            onprogress ? { onprogress } : undefined,
          ) as ReturnType<Calls['callTool']>,
      },
      label,
    );
    await transport.terminateSession();
    return { version: transport.protocolVersion, era: 'legacy', sessionId };
  } finally {
    await client.close();
  }
}

/** Every connection of one kind: `clients` at once, `rounds` each; resolves with its summary line. */
async function runKind(url: URL, kind: Kind, clients: number, rounds: number) {
  const failures: string[] = [];
  const negotiated = new Set<string>();
  let passed = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, index) => {
      for (let round = 0; round < rounds; round++) {
        const label = `${kind} #${index} round ${round}`;
        try {
          const result =
            kind === 'ts sdk 1.x' ? await connectionV1(url, label) : await connectionV2(url, kind, label);
          negotiated.add(
            `${result.version} (${result.era}, ${result.sessionId === undefined ? 'no session' : 'session'})`,
          );
          passed++;
        } catch (error) {
          failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }),
  );
  const versions = [...negotiated].join(', ') || 'nothing';
  const total = clients * rounds;
  const line = `${kind}: negotiated ${versions} on ${passed} of ${total} connections (${clients} concurrent x ${rounds} rounds)`;
  return { ok: failures.length === 0, line: `${line} ${failures.length === 0 ? 'OK' : 'FAILED'}`, failures };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      clients: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '1' },
      'wait-for-go': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: e2e-ts-clients.ts URL [--clients N] [--rounds R] [--wait-for-go]\n');
    return 2;
  }
  const url = new URL(positionals[0] as string);
  const clients = Number(values.clients);
  const rounds = Number(values.rounds);
  if (values['wait-for-go']) {
    process.stdout.write('@ready\n');
    const lines = createInterface({ input: process.stdin });
    await new Promise((resolve) => lines.once('line', resolve));
    lines.close();
  }
  const start = Date.now();
  const results = await Promise.all(KINDS.map((kind) => runKind(url, kind, clients, rounds)));
  if (values['wait-for-go']) process.stdout.write(`@window ${start} ${Date.now()}\n`);
  for (const { line, failures } of results) {
    process.stdout.write(`${line}\n`);
    for (const failure of failures) process.stderr.write(`FAIL: ${failure}\n`);
  }
  return results.every((result) => result.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
