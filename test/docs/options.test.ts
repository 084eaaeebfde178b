/**
 * The README has one option table per public factory. This test reads the options each factory
 * accepts from its TypeScript interface (the public entry points' declarations) and fails when one
 * has no row in its table, or when a row names an option that does not exist.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The options interface of each factory, by the heading of its README table. */
const factories = [
  { heading: '### `createSessionRuntime(options)`', entry: 'src/index.ts', type: 'SessionRuntimeOptions' },
  {
    heading: '### `createNodeHandler(runtime, options)` and `createFetchHandler(runtime, options)`',
    entry: 'src/http/index.ts',
    type: 'StreamableHttpOptions',
  },
  { heading: '### `serveStdio(runtime, options)`', entry: 'src/stdio/index.ts', type: 'StdioServerOptions' },
  {
    heading: '### `createJwtAuthenticator(options)`',
    entry: 'src/auth/index.ts',
    type: 'JwtAuthenticatorOptions',
  },
] as const;

const program = ts.createProgram(
  factories.map((factory) => `${root}${factory.entry}`),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();

/** The property names of the interface `name` exported by `entry`. */
function optionNames(entry: string, name: string): string[] {
  const source = program.getSourceFile(`${root}${entry}`);
  if (source === undefined) throw new Error(`no source ${entry}`);
  const module = checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`no module symbol for ${entry}`);
  const exported = checker.getExportsOfModule(module).find((symbol) => symbol.name === name);
  if (exported === undefined) throw new Error(`${entry} does not export ${name}`);
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  return checker
    .getDeclaredTypeOfSymbol(target)
    .getProperties()
    .map((property) => property.name)
    .sort();
}

/** The first-column names of the table under `heading`. */
function documentedNames(heading: string): string[] {
  const start = readme.indexOf(`${heading}\n`);
  if (start < 0) return [];
  const rest = readme.slice(start + heading.length);
  const end = rest.search(/\n#{1,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\| `([A-Za-z]+)` +\|/gm)].map((match) => match[1] ?? '').sort();
}

describe('README option tables', () => {
  it.each(factories)(
    '$heading has a row for every option of $type and no other',
    ({ heading, entry, type }) => {
      const accepted = optionNames(entry, type);
      expect(accepted.length).toBeGreaterThan(3);
      expect(documentedNames(heading)).toEqual(accepted);
    },
  );
});
