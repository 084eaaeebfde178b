/**
 * `mcp-session-runtime/testing`: what a user needs to test their own server in process. An
 * in-process client of either era bound to a runtime (`connect`), and the `ManualClock` that moves
 * idle expiry and timeouts forward without sleeping.
 */
export { ManualClock } from '../runtime/clock.js';
export type {
  TestClient,
  TestClientOptions,
  TestClientProtocolVersion,
  TestRequestOptions,
} from './TestClient.js';
export { connect, TestClientError } from './TestClient.js';
