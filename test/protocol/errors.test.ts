import { describe, expect, it } from 'vitest';
import { errorTable, httpStatusOf, reasonOf, SessionRuntimeError } from '../../src/index.js';

describe('error table', () => {
  it('gives every runtime code a JSON-RPC code in -32000..-32099 and protocol codes their spec values', () => {
    const protocol = {
      parse_error: -32700,
      invalid_request: -32600,
      method_not_found: -32601,
      invalid_params: -32602,
      internal_error: -32603,
      already_initialized: -32600,
      invalid_envelope: -32602,
      // MCP 2026-07-28's own codes (schema: HeaderMismatchError, MissingRequiredClientCapabilityError,
      // UnsupportedProtocolVersionError).
      header_mismatch: -32020,
      missing_required_client_capability: -32021,
      unsupported_version: -32022,
    } as const;
    for (const [code, row] of Object.entries(errorTable)) {
      if (code === 'resource_not_found') continue;
      if (code in protocol) expect(row.jsonRpcCode).toBe(protocol[code as keyof typeof protocol]);
      else
        expect(row.jsonRpcCode === -32000 || (row.jsonRpcCode <= -32000 && row.jsonRpcCode >= -32099)).toBe(
          true,
        );
    }
    // Codes MCP already gives a meaning keep that meaning: -32002 is "resource not found" only.
    const codes = Object.entries(errorTable).map(([reason, row]) => [reason, row.jsonRpcCode] as const);
    expect(codes.filter(([, code]) => code === -32002)).toEqual([['resource_not_found', -32002]]);
    expect(codes.filter(([, code]) => code === -32042)).toEqual([]);
    // -32020..-32022 mean what MCP 2026-07-28 says, and nothing else of ours.
    expect(codes.filter(([, code]) => code <= -32020 && code >= -32022)).toEqual([
      ['header_mismatch', -32020],
      ['missing_required_client_capability', -32021],
      ['unsupported_version', -32022],
    ]);
  });

  it('maps runtime errors to HTTP statuses and leaves handler codes at 200', () => {
    expect(httpStatusOf(new SessionRuntimeError('session_not_found').toJsonRpcError())).toBe(404);
    expect(httpStatusOf(new SessionRuntimeError('overloaded').toJsonRpcError())).toBe(503);
    expect(httpStatusOf(new SessionRuntimeError('mailbox_full').toJsonRpcError())).toBe(429);
    expect(httpStatusOf({ code: -32002, message: 'Resource not found' })).toBe(200);
    expect(reasonOf({ code: 1, message: 'x', data: { reason: 'made_up' } })).toBeUndefined();
  });

  it('is data: a string code, a safe message and typed data', () => {
    const error = new SessionRuntimeError('mailbox_full', undefined, { limit: 3 });
    expect(error).toBeInstanceOf(Error);
    expect(error.toJsonRpcError()).toEqual({
      code: -32012,
      message: 'Too many requests for this session',
      data: { limit: 3, reason: 'mailbox_full' },
    });
  });
});
