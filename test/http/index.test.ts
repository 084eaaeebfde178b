/**
 * The public doors of `mcp-session-runtime/http` and `mcp-session-runtime/auth`: an export added by
 * accident fails here.
 */
import { expect, it } from 'vitest';
import * as auth from '../../src/auth/index.js';
import * as http from '../../src/http/index.js';

it('exports exactly the HTTP transport API', () => {
  expect(Object.keys(http).sort()).toEqual([
    'AuthenticationError',
    'AuthenticatorUnavailableError',
    'closeGracefully',
    'createFetchHandler',
    'createNodeHandler',
    'hardenedServerOptions',
    'httpStatusOf',
  ]);
});

it('exports exactly the authentication API, sharing its error classes with the HTTP transport', () => {
  expect(Object.keys(auth).sort()).toEqual([
    'AuthenticationError',
    'AuthenticatorUnavailableError',
    'createJwtAuthenticator',
  ]);
  expect(auth.AuthenticationError).toBe(http.AuthenticationError);
  expect(auth.AuthenticatorUnavailableError).toBe(http.AuthenticatorUnavailableError);
});
