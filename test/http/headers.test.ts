/**
 * The header checks and option parsing of the HTTP transport, as pure functions.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptsEventStream,
  acceptsJsonAndEventStream,
  isAllowedHost,
  isAllowedOrigin,
  isJsonContentType,
} from '../../src/http/headers.js';
import { resolveHttpOptions } from '../../src/http/options.js';

describe('Accept and Content-Type', () => {
  it('wants both media types in a POST Accept, in any order, case and parameters aside', () => {
    expect(acceptsJsonAndEventStream('application/json, text/event-stream')).toBe(true);
    expect(acceptsJsonAndEventStream('Text/Event-Stream;q=0.9 ,APPLICATION/JSON')).toBe(true);
    expect(acceptsJsonAndEventStream('application/json')).toBe(false);
    expect(acceptsJsonAndEventStream('*/*')).toBe(false);
    expect(acceptsJsonAndEventStream('application/jsonx, text/event-streams')).toBe(false);
    expect(acceptsJsonAndEventStream(undefined)).toBe(false);
  });

  it('wants text/event-stream in a GET Accept', () => {
    expect(acceptsEventStream('text/event-stream')).toBe(true);
    expect(acceptsEventStream('application/json')).toBe(false);
    expect(acceptsEventStream(undefined)).toBe(false);
  });

  it('takes application/json with parameters as JSON, and nothing else', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/json-patch+json')).toBe(false);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});

describe('Host and Origin allow-lists', () => {
  const defaults = resolveHttpOptions();

  it('allows the loopback names with any port by default', () => {
    for (const host of [
      'localhost',
      'localhost:3000',
      '127.0.0.1:8080',
      '[::1]',
      '[::1]:3000',
      'LOCALHOST:1',
    ]) {
      expect(isAllowedHost(defaults.allowedHosts, host)).toBe(true);
    }
    for (const host of ['evil.example', 'localhost.evil.example:3000', '127.0.0.2', '[::2]:3000']) {
      expect(isAllowedHost(defaults.allowedHosts, host)).toBe(false);
    }
    expect(isAllowedHost(defaults.allowedHosts, undefined)).toBe(false);
  });

  it('takes an entry with a port as that port only, and "*" as everything', () => {
    const { allowedHosts } = resolveHttpOptions({ allowedHosts: ['mcp.internal:8080'] });
    expect(isAllowedHost(allowedHosts, 'mcp.internal:8080')).toBe(true);
    expect(isAllowedHost(allowedHosts, 'mcp.internal:9090')).toBe(false);
    const any = resolveHttpOptions({ allowedHosts: '*' }).allowedHosts;
    expect(isAllowedHost(any, 'anything.example')).toBe(true);
    expect(isAllowedHost(any, undefined)).toBe(true);
  });

  it('lets requests without Origin through and checks browser origins', () => {
    expect(isAllowedOrigin(defaults.allowedOrigins, undefined)).toBe(true);
    expect(isAllowedOrigin(defaults.allowedOrigins, 'http://localhost:5173')).toBe(true);
    expect(isAllowedOrigin(defaults.allowedOrigins, 'http://[::1]:5173')).toBe(true);
    expect(isAllowedOrigin(defaults.allowedOrigins, 'https://evil.example')).toBe(false);
    expect(isAllowedOrigin(defaults.allowedOrigins, 'null')).toBe(false);
    expect(isAllowedOrigin(defaults.allowedOrigins, 'not a url')).toBe(false);
  });

  it('matches configured full origins exactly, scheme and port included', () => {
    const { allowedOrigins } = resolveHttpOptions({ allowedOrigins: ['https://App.Example.com'] });
    expect(isAllowedOrigin(allowedOrigins, 'https://app.example.com')).toBe(true);
    expect(isAllowedOrigin(allowedOrigins, 'http://app.example.com')).toBe(false);
    expect(isAllowedOrigin(allowedOrigins, 'https://app.example.com:8443')).toBe(false);
    expect(isAllowedOrigin(allowedOrigins, 'http://localhost:3000')).toBe(false);
  });
});

describe('resolveHttpOptions', () => {
  it('applies the defaults: 4 MiB bodies and session ids of 128 random bits', () => {
    const options = resolveHttpOptions();
    expect(options.maxBodyBytes).toBe(4 * 1024 * 1024);
    expect(options.generateSessionId()).toMatch(/^[0-9a-f]{32}$/);
    expect(options.generateSessionId()).not.toBe(options.generateSessionId());
  });

  it('throws a TypeError naming the bad option', () => {
    expect(() => resolveHttpOptions({ maxBodyBytes: -1 })).toThrow(/Expected `maxBodyBytes`.*got `-1`/);
    expect(() => resolveHttpOptions({ allowedHosts: 'localhost' as never })).toThrow(TypeError);
    expect(() => resolveHttpOptions({ allowedOrigins: ['https://'] })).toThrow(/allowedOrigins/);
  });
});
