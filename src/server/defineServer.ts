/**
 * What a server module exports for the `mcp-session-runtime` command (`serve`, `dev`): its default
 * export is a {@link ServerDefinition}. `defineServer` only types it; nothing runs until the command
 * loads the module.
 */
import type { SessionRuntime } from '../runtime/SessionRuntime.js';
import type { SessionRuntimeOptions } from './options.js';

/** What the command tells a definition function about the server it is about to start. */
export interface ServeContext {
  /**
   * The transport the runtime will be served on: `'http'` (Streamable HTTP, many sessions) or
   * `'stdio'` (one session for the life of the process, so no idle expiry is wanted).
   */
  readonly transport: 'http' | 'stdio';
}

/**
 * A server as a module exports it (`export default …`), in one of three forms:
 * - the options of `createSessionRuntime`: the command creates the runtime (over stdio with
 *   `idleTimeoutMs: Infinity` unless the options set it);
 * - a `SessionRuntime` you created;
 * - a function of the {@link ServeContext} returning either (or a promise of either), called once
 *   per process when the command starts serving.
 *
 * @typeParam TContext the type of the shared `context` every handler receives; any by default, so
 * that `ServerDefinition` names a definition of any context (the command does not look into it).
 */
// biome-ignore lint/suspicious/noExplicitAny: a definition of any context, as `tools` lists tools of any
export type ServerDefinition<TContext = any> =
  | SessionRuntimeOptions<TContext>
  | SessionRuntime
  | ((
      context: ServeContext,
    ) =>
      | SessionRuntimeOptions<TContext>
      | SessionRuntime
      | Promise<SessionRuntimeOptions<TContext> | SessionRuntime>);

/**
 * Types a server module's default export; returns `definition` unchanged. Serve the module with
 * `npx mcp-session-runtime serve ./server.ts` (`--http [port]`, the default, or `--stdio`), or
 * `npx mcp-session-runtime dev ./server.ts` to restart it when its files change.
 *
 * @example
 * ```ts
 * // server.ts
 * import { defineServer, defineTool } from 'mcp-session-runtime';
 * export default defineServer({
 *   serverInfo: { name: 'weather', version: '1.0.0' },
 *   tools: [defineTool({ name: 'forecast', handler: () => 'Sunny' })],
 * });
 * ```
 */
export function defineServer<TContext = undefined>(
  definition: ServerDefinition<TContext>,
): ServerDefinition<TContext> {
  return definition;
}
