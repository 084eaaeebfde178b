/**
 * The composition root: `createSessionRuntime(options)` validates the options once, builds the
 * handlers and capabilities of the registered features, and wires them onto the runtime.
 */
import { buildHandlers, deriveCapabilities, hasResources } from '../features/capabilities.js';
import {
  handleArgumentsOf,
  handleKindsOf,
  interleavingOf,
  paramHeadersOf,
  taskToolsOf,
} from '../features/tools.js';
import type { ServerIdentity } from '../protocol/lifecycle.js';
import type { SessionRuntime } from '../runtime/SessionRuntime.js';
import { SessionRuntimeImpl } from '../runtime/SessionRuntime.js';
import type { ResolvedOptions, SessionRuntimeOptions } from './options.js';
import { resolveOptions } from './options.js';

export type { CloseOptions, SessionAccess, SessionRuntime } from '../runtime/SessionRuntime.js';

/**
 * Creates a session runtime.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { createSessionRuntime, defineTool } from 'mcp-session-runtime';
 *
 * const runtime = createSessionRuntime({
 *   serverInfo: { name: 'demo', version: '1.0.0' },
 *   tools: [defineTool({ name: 'echo', inputSchema: z.object({ text: z.string() }), handler: ({ text }) => text })],
 * });
 * await runtime.dispatch('s1', {
 *   jsonrpc: '2.0', id: 1, method: 'initialize',
 *   params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
 * });
 * ```
 */
export function createSessionRuntime<TContext = undefined>(
  options: SessionRuntimeOptions<TContext> = {},
): SessionRuntime {
  const resolved = resolveOptions(options) as ResolvedOptions<unknown>;
  const handlers = buildHandlers(resolved);
  const server: ServerIdentity = {
    serverInfo: resolved.serverInfo,
    capabilities: deriveCapabilities(handlers, resolved.logging, resolved.capabilities),
    ...(resolved.instructions === undefined ? {} : { instructions: resolved.instructions }),
  };
  return new SessionRuntimeImpl(
    resolved,
    handlers,
    server,
    hasResources(resolved),
    paramHeadersOf(resolved.tools),
    handleKindsOf(resolved.tools),
    interleavingOf(resolved.tools, resolved.interleaveReadOnlyTools),
    taskToolsOf(resolved.tools),
    resolved.tasks,
    handleArgumentsOf(resolved.tools),
  );
}
