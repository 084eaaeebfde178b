/**
 * The handler options `serve --http` builds from its flags, in process: what each flag turns into,
 * the paths routed to the handler, and the refusals of an HMAC secret that is unset or too short
 * (exit 1, before anything listens).
 */
import { describe, expect, it } from 'vitest';
import type { HttpTransport } from '../../src/cli/args.js';
import { parseArgs } from '../../src/cli/args.js';
import {
  describeAuthentication,
  handlerOptions,
  MIN_SECRET_BYTES,
  routedPaths,
} from '../../src/cli/httpOptions.js';
import { LoadError } from '../../src/cli/load.js';

function transportOf(...flags: string[]): HttpTransport {
  const parsed = parseArgs(['serve', 'server.ts', ...flags]);
  if (parsed.kind !== 'run' || parsed.transport.kind !== 'http') throw new Error(JSON.stringify(parsed));
  return parsed.transport;
}

const jwtFlags = ['--jwt-issuer', 'https://auth.example.com', '--jwt-secret-env', 'SECRET'];

describe('handlerOptions', () => {
  it('keeps the handler defaults when no flag is given, but for health', async () => {
    expect(await handlerOptions(transportOf())).toEqual({ health: true });
  });

  it('passes each flag on as the option of the same meaning', async () => {
    const options = await handlerOptions(
      transportOf(
        '--allowed-hosts',
        '*',
        '--allowed-origins',
        'https://app.example.com',
        '--cors',
        'https://app.example.com',
        ...jwtFlags,
        '--resource',
        'https://mcp.example.com/mcp',
        '--metrics',
        '--dashboard',
      ),
      { SECRET: 'x'.repeat(MIN_SECRET_BYTES) },
    );
    expect(options).toEqual({
      health: true,
      allowedHosts: '*',
      allowedOrigins: ['https://app.example.com'],
      cors: { allowedOrigins: ['https://app.example.com'] },
      authenticate: expect.any(Function),
      protectedResource: {
        resource: 'https://mcp.example.com/mcp',
        authorizationServers: ['https://auth.example.com'],
      },
      metrics: true,
      dashboard: true,
    });
  });

  it.each([
    [{}, '--jwt-secret-env names SECRET, which is not set'],
    [{ SECRET: '' }, '--jwt-secret-env names SECRET, which is not set'],
    [
      { SECRET: 'x'.repeat(MIN_SECRET_BYTES - 1) },
      'the secret in SECRET is 31 bytes: an HMAC secret needs at least 32 (RFC 7518 §3.2)',
    ],
  ])('refuses the secret of %j without printing it', async (env, message) => {
    const refused = handlerOptions(transportOf(...jwtFlags, '--jwt-audience', 'mcp'), env);
    await expect(refused).rejects.toBeInstanceOf(LoadError);
    await expect(refused).rejects.toThrow(message);
  });
});

describe('what the command prints of its authentication', () => {
  it('names a variable too long to be anything but a secret passed by mistake only as "the variable"', async () => {
    const secretLike = `A${'B1'.repeat(MIN_SECRET_BYTES)}`;
    const refused = handlerOptions(
      transportOf(
        '--jwt-issuer',
        'https://auth.example.com',
        '--jwt-secret-env',
        secretLike,
        '--jwt-audience',
        'a',
      ),
      {},
    );
    await expect(refused).rejects.toThrow('--jwt-secret-env names the variable it names, which is not set');
    await expect(refused).rejects.not.toThrow(secretLike);
  });

  it('shows a JWKS URL without user info or query', () => {
    const transport = transportOf(
      '--jwt-issuer',
      'https://auth.example.com',
      '--jwt-audience',
      'a',
      '--jwt-jwks-url',
      'https://user:pass@keys.example.com/jwks.json?key=abc',
    );
    const line = describeAuthentication(transport) ?? '';
    expect(line).toContain('keys from https://keys.example.com/jwks.json?…');
    expect(line).not.toMatch(/pass|abc/);
  });
});

describe('routedPaths', () => {
  it('routes the endpoint and /health, /ready; the metadata, /metrics and /dashboard only when on', () => {
    expect([...routedPaths(transportOf('--path', '/rpc'))]).toEqual(['/rpc', '/health', '/ready']);
    expect([
      ...routedPaths(
        transportOf(
          ...jwtFlags,
          '--resource',
          'https://mcp.example.com/tenant/mcp',
          '--metrics',
          '--dashboard',
        ),
      ),
    ]).toEqual([
      '/mcp',
      '/health',
      '/ready',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/tenant/mcp',
      '/metrics',
      '/dashboard',
      '/dashboard/',
      '/dashboard/events',
    ]);
  });
});
