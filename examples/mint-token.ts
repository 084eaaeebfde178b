/**
 * Mints a demo access token for examples/secured-server.ts: an HS256 JWT for user `<sub>` (default
 * `alice`), valid for one hour, for the audience the secured server requires (MCP_RESOURCE, else
 * built from HOST and PORT as the server builds it: http://127.0.0.1:3000/mcp by default), signed
 * with MCP_JWT_SECRET. Real deployments get tokens from an authorization server instead.
 *
 *   MCP_JWT_SECRET=... npx tsx examples/mint-token.ts bob
 */
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { exampleResource } from './listen.js';

/** The issuer the demo tokens name. */
export const demoIssuer = 'https://demo-issuer.invalid';

/** The shared HS256 secret from MCP_JWT_SECRET; at least 32 bytes, as RFC 7518 §3.2 requires. */
export function demoSecret(): Uint8Array {
  const secret = process.env.MCP_JWT_SECRET;
  if (secret === undefined || Buffer.byteLength(secret) < 32) {
    process.stderr.write(
      'Set MCP_JWT_SECRET to at least 32 random characters (or MCP_JWKS_URI and MCP_ISSUER)\n',
    );
    process.exit(1);
  }
  return new TextEncoder().encode(secret);
}

/** A signed token for `subject`. */
export function mintToken(subject: string, audience: string): Promise<string> {
  return new SignJWT({ scope: 'mcp' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(demoIssuer)
    .setSubject(subject)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(demoSecret());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${await mintToken(process.argv[2] ?? 'alice', exampleResource())}\n`);
}
