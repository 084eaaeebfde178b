/**
 * The header checks and option parsing of the HTTP transport, as pure functions.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptsEventStream,
  isAllowedHost,
  isAllowedOrigin,
  isJsonContentType,
  postAnswerFor,
} from '../../src/http/headers.js';
import { resolveHttpOptions } from '../../src/http/options.js';

describe('Accept of a POST (RFC 9110 §12.5.1)', () => {
  it('answers JSON or SSE when both types are acceptable, whatever the case, spacing, order or parameters', () => {
    for (const accept of [
      'application/json, text/event-stream',
      'text/event-stream, application/json',
      'Text/Event-Stream;q=0.9 ,APPLICATION/JSON',
      ' application/json\t,\ttext/event-stream ',
      'application/json; charset=utf-8, text/event-stream; charset=UTF-8',
      'application/json; charset="utf-8"; q=0.5, text/event-stream;q=0.001',
      'application/json;q=1.0, text/event-stream;q=1.000',
      'application/json, text/event-stream,',
      'application/json;Q=0.5, text/event-stream',
    ]) {
      expect(postAnswerFor(accept), accept).toBe('json-or-stream');
    }
  });

  it('counts wildcards: */* and application/* with text/* accept both', () => {
    for (const accept of [
      '*/*',
      'application/*, text/*',
      'application/json, text/*',
      '*/*;q=0.1',
      'text/html, */*;q=0.8',
    ]) {
      expect(postAnswerFor(accept), accept).toBe('json-or-stream');
    }
  });

  it('answers only SSE when application/json has weight 0 or is not listed at all', () => {
    for (const accept of [
      'application/json;q=0, text/event-stream',
      'application/json; q=0.0, text/event-stream',
      'application/json;q=0.000, text/event-stream;q=1',
      'text/event-stream',
      'text/*',
      'application/*;q=0, text/event-stream',
      'application/json;q=0, */*',
      'application/json;charset=iso-8859-1, text/event-stream',
      'application/json;charset=utf-8;q=0, text/event-stream',
    ]) {
      expect(postAnswerFor(accept), accept).toBe('stream');
    }
  });

  it('refuses (406) when text/event-stream is not acceptable: weight 0, absent, another charset, or nothing usable', () => {
    for (const accept of [
      'application/json',
      'application/json, text/event-stream;q=0',
      'application/json, text/*;q=0',
      'text/event-stream;q=0, */*',
      'application/json, */*;q=0',
      '*/*;q=0',
      'application/jsonx, text/event-streams',
      'application/json, text/event-stream;charset=latin1',
      'application/json, text/event-stream;q=abc',
      'text/html',
      'garbage',
      '',
      ',',
    ]) {
      expect(postAnswerFor(accept), accept).toBeUndefined();
    }
  });

  it('refuses a POST without Accept, as the official SDK does: MCP requires the client to list both types', () => {
    expect(postAnswerFor(undefined)).toBeUndefined();
  });

  it('lets the more specific range decide: text/event-stream beside text/*;q=0 stays acceptable', () => {
    expect(postAnswerFor('text/*;q=0, text/event-stream, application/json')).toBe('json-or-stream');
    expect(postAnswerFor('text/event-stream;q=0, text/*, application/json')).toBeUndefined();
    expect(postAnswerFor('*/*;q=0, application/json, text/event-stream')).toBe('json-or-stream');
  });

  it('gives the same answer for a value seen before (the parse is cached, not the verdict of another value)', () => {
    for (let round = 0; round < 3; round++) {
      expect(postAnswerFor('application/json;q=0, text/event-stream')).toBe('stream');
      expect(postAnswerFor('application/json, text/event-stream')).toBe('json-or-stream');
      expect(postAnswerFor('application/json')).toBeUndefined();
    }
    // More distinct values than the cache holds: each still gets its own verdict.
    for (let index = 0; index < 200; index++) {
      const json = index % 2 === 0 ? 'q=0' : `q=0.${index + 1}`;
      expect(postAnswerFor(`application/json;${json}, text/event-stream;x=${index}`)).toBeUndefined();
      expect(postAnswerFor(`application/json;${json}, text/event-stream`)).toBe(
        index % 2 === 0 ? 'stream' : 'json-or-stream',
      );
    }
  });
});

describe('Accept of a GET', () => {
  it('wants text/event-stream acceptable, by name or wildcard', () => {
    for (const accept of [
      'text/event-stream',
      'TEXT/EVENT-STREAM',
      'text/*',
      '*/*',
      'application/json, text/event-stream;q=0.1',
      'text/event-stream; charset=utf-8',
    ]) {
      expect(acceptsEventStream(accept), accept).toBe(true);
    }
    for (const accept of [
      undefined,
      '',
      'application/json',
      'text/event-stream;q=0',
      'text/*;q=0',
      '*/*;q=0',
      'text/event-streams',
      'text/plain, application/*',
    ]) {
      expect(acceptsEventStream(accept), String(accept)).toBe(false);
    }
  });
});

describe('Content-Type of a POST (RFC 9110 §8.3.1)', () => {
  it('takes application/json in any case, with spacing and parameters, and a UTF-8 charset if any', () => {
    for (const contentType of [
      'application/json',
      'Application/JSON',
      'APPLICATION/JSON; CHARSET=UTF-8',
      'application/json; charset=utf-8',
      'application/json;charset=utf-8',
      'application/json ; charset="UTF-8"',
      'application/json; charset=utf8',
      '  application/json  ',
      'application/json;',
      'application/json; ; charset=utf-8',
      'application/json; profile="https://example.com/a;b"',
      'application/json\t;\tfoo=bar',
    ]) {
      expect(isJsonContentType(contentType), contentType).toBe(true);
    }
  });

  it('refuses (415) other types, look-alikes, other charsets and values that are not one media type', () => {
    for (const contentType of [
      undefined,
      '',
      'application/jsonx',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/x-json',
      'text/json',
      'text/plain',
      'application',
      'application/',
      '/json',
      'application/json, text/plain',
      'application/json charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset="utf-8',
      'application/json; charset=',
      'application /json',
      'multipart/form-data; boundary=x',
    ]) {
      expect(isJsonContentType(contentType), String(contentType)).toBe(false);
    }
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
