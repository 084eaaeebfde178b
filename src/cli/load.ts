/**
 * Loading a server module: finding the file, importing it (TypeScript through the project's `tsx`,
 * else Node's own type stripping), and turning its default export (a `ServerDefinition`) into a
 * runtime. Every failure is a {@link LoadError} whose message is meant for the terminal.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SessionRuntime } from '../server/createSessionRuntime.js';
import { createSessionRuntime } from '../server/createSessionRuntime.js';
import type { ServeContext } from '../server/defineServer.js';
import type { SessionRuntimeOptions } from '../server/options.js';

/** A module that could not be found, imported or turned into a runtime (the command exits 1). */
export class LoadError extends Error {
  override readonly name = 'LoadError';
}

/** Extensions Node cannot import without a TypeScript loader (before Node's own type stripping). */
const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

/** How a TypeScript module will be imported. */
export type TypeScriptLoader =
  | { readonly kind: 'tsx'; readonly api: string }
  | { readonly kind: 'native' }
  | { readonly kind: 'none'; readonly message: string };

/**
 * The absolute path of `module`, resolved against `cwd`; a {@link LoadError} when it is not a file.
 */
export function resolveModulePath(module: string, cwd: string = process.cwd()): string {
  const path = resolve(cwd, module);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new LoadError(`cannot find module '${module}' (looked for ${path})`);
  }
  if (!isFile) throw new LoadError(`'${module}' is not a file`);
  return path;
}

/**
 * The path of `tsx`'s ESM API (`tsx/esm/api`, its `import` condition) as resolved from `from` (a
 * folder), or `undefined` when no `tsx` is installed there or above it.
 */
export function findTsx(from: string): string | undefined {
  try {
    const manifestPath = createRequire(join(from, 'noop.js')).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      exports?: Record<string, unknown>;
    };
    let target: unknown = manifest.exports?.['./esm/api'];
    // `{ import: { types, default } }` in tsx 4; a plain string is accepted too.
    if (typeof target === 'object' && target !== null) target = (target as Record<string, unknown>).import;
    if (typeof target === 'object' && target !== null) target = (target as Record<string, unknown>).default;
    return typeof target === 'string' ? join(dirname(manifestPath), target) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Chooses how to import a TypeScript module: the `tsx` of the user's project (found from the
 * module's folder, then from `cwd`) when there is one, since it also maps `./x.js` imports to
 * `x.ts` and handles every TypeScript syntax; else Node's own type stripping when this Node has it
 * on (22.18+, 23.6+, or `--experimental-strip-types`); else a message saying what to do.
 */
export function typeScriptLoader(
  modulePath: string,
  cwd: string = process.cwd(),
  nodeStripsTypes: boolean = Boolean((process.features as { typescript?: unknown }).typescript),
): TypeScriptLoader {
  const api = findTsx(dirname(modulePath)) ?? findTsx(cwd);
  if (api !== undefined) return { kind: 'tsx', api };
  if (nodeStripsTypes && !modulePath.endsWith('.tsx')) return { kind: 'native' };
  return {
    kind: 'none',
    message:
      `cannot load '${modulePath}': Node ${process.versions.node} does not run TypeScript by itself. ` +
      'Install tsx in your project (npm install --save-dev tsx), use Node 22.18 or later ' +
      '(or NODE_OPTIONS=--experimental-strip-types on 22.6 to 22.17), or serve the compiled .js',
  };
}

/** Whether tsx has been registered in this process already (once is enough). */
let tsxRegistered = false;

/**
 * Imports the module at `modulePath` (absolute), TypeScript included; a {@link LoadError} on
 * failure. With no TypeScript loader found the import is still tried: one may be registered already.
 */
export async function importModule(modulePath: string): Promise<Record<string, unknown>> {
  const loader = TYPESCRIPT.test(modulePath) ? typeScriptLoader(modulePath) : undefined;
  if (loader?.kind === 'tsx' && !tsxRegistered) {
    const { register } = (await import(pathToFileURL(loader.api).href)) as { register: () => unknown };
    register();
    tsxRegistered = true;
  }
  try {
    return (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (error) {
    // No loader of ours, and none registered already (`node --import tsx`, `tsx mcp-session-runtime …`).
    if (loader?.kind === 'none' && (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new LoadError(loader.message, { cause: error });
    }
    throw new LoadError(`cannot load '${modulePath}': ${describe(error)}`, { cause: error });
  }
}

/** An error's stack (its message and where), or the thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `threw ${String(error)}`;
}

const isRuntime = (value: unknown): value is SessionRuntime =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Partial<SessionRuntime>).deliver === 'function' &&
  typeof (value as Partial<SessionRuntime>).close === 'function';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

const EXPECTED =
  'export the options of createSessionRuntime, a SessionRuntime, or a function returning either, ' +
  "as `export default defineServer({ tools: [...] })` (defineServer from 'mcp-session-runtime')";

/**
 * The runtime a module's exports define: its default export, called with `context` when it is a
 * function, then used as is when it is a runtime or passed to `createSessionRuntime` when it is
 * options (over stdio with `idleTimeoutMs: Infinity` unless given: the one session lives as long as
 * the process). A {@link LoadError} for anything else, or when the function or the options throw.
 */
export async function runtimeOf(
  exports: Record<string, unknown>,
  context: ServeContext,
): Promise<SessionRuntime> {
  if (!('default' in exports) || exports.default === undefined) {
    throw new LoadError(`the module has no default export: ${EXPECTED}`);
  }
  let definition: unknown = exports.default;
  if (typeof definition === 'function') {
    try {
      definition = await (definition as (context: ServeContext) => unknown)(context);
    } catch (error) {
      throw new LoadError(`the module's default export threw: ${describe(error)}`, { cause: error });
    }
  }
  if (isRuntime(definition)) return definition;
  if (!isPlainObject(definition)) {
    throw new LoadError(`the module's default export is ${kindOf(definition)}: ${EXPECTED}`);
  }
  const options = definition as SessionRuntimeOptions<unknown>;
  try {
    return createSessionRuntime(
      context.transport === 'stdio' && options.idleTimeoutMs === undefined
        ? { ...options, idleTimeoutMs: Number.POSITIVE_INFINITY }
        : options,
    );
  } catch (error) {
    throw new LoadError(
      `the module's options were refused: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'a class'}`;
  return `a ${typeof value}`;
}
