/**
 * mcp-session-runtime/auth: authentication for the HTTP transport. Kept apart from `./http` so that
 * a server without JWTs never loads `jose`. Every export is listed by name.
 */

export type {
  Authenticate,
  AuthenticationErrorCode,
  AuthenticationRequest,
  ProtectedResourceOptions,
} from '../http/auth.js';
export { AuthenticationError, AuthenticatorUnavailableError } from '../http/auth.js';
export type { JwtAuthenticatorOptions, JwtPrincipal } from './jwt.js';
export { createJwtAuthenticator } from './jwt.js';
