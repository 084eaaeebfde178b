/**
 * The layer check: reads the import graph of `src/` and finds every import that points up a layer
 * (a back-arrow), every import between two sibling layers, every import cycle, and every file that
 * belongs to no layer. `layers.test.ts` runs it on `src/` (so `npm test` and `npm run layers` do) and
 * on small in-memory graphs, so the check itself is tested.
 *
 * Layers, bottom (rank 0) to top; a file may import a file of its own layer or of a lower rank:
 *
 *   0  src/protocol, src/machines   wire types, codes, schemas; the lifecycle tables
 *   1  src/runtime                  keyed-actor core, sessions
 *   2  src/features, src/cluster    tools, resources, prompts, definitions; leases across instances
 *   3  src/server                   composition root: createSessionRuntime
 *   4  src/http, src/stdio          transports; src/testing, the in-process test client
 *   5  src/auth
 *   6  src/index.ts                 the root entry; src/cli, the command (node only: never imported
 *                                   by the root entry, and it imports none of it)
 *
 * Two layers of one rank are siblings and must not import each other either. Every import counts:
 * `import type`, `export … from`, `import('…')` expressions and `import('…').T` types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One layer: the files whose repository path starts with `prefix` (or is exactly it). */
export interface Layer {
  readonly name: string;
  readonly rank: number;
  /** A folder (ending in `/`) or one file, relative to the repository root. */
  readonly prefix: string;
}

export const LAYERS: readonly Layer[] = [
  { name: 'protocol', rank: 0, prefix: 'src/protocol/' },
  { name: 'machines', rank: 0, prefix: 'src/machines/' },
  { name: 'runtime', rank: 1, prefix: 'src/runtime/' },
  { name: 'features', rank: 2, prefix: 'src/features/' },
  { name: 'cluster', rank: 2, prefix: 'src/cluster/' },
  { name: 'server', rank: 3, prefix: 'src/server/' },
  { name: 'http', rank: 4, prefix: 'src/http/' },
  { name: 'stdio', rank: 4, prefix: 'src/stdio/' },
  { name: 'testing', rank: 4, prefix: 'src/testing/' },
  { name: 'auth', rank: 5, prefix: 'src/auth/' },
  { name: 'index', rank: 6, prefix: 'src/index.ts' },
  { name: 'cli', rank: 6, prefix: 'src/cli/' },
];

/** What one file imports. */
export interface FileImports {
  /** Files of the graph it imports (repository paths, `/`-separated). */
  readonly files: readonly string[];
  /** Package specifiers it imports (`xstate`, `node:http`, …). */
  readonly packages: readonly string[];
  /** Relative specifiers that name no file under `src/`. */
  readonly unresolved: readonly string[];
}

/** File → its imports; every key is a repository path such as `src/runtime/Session.ts`. */
export type ImportGraph = ReadonlyMap<string, FileImports>;

/** What the check found; all empty means the layers run one way. */
export interface LayerReport {
  /** Files under `src/` that belong to no layer. */
  readonly unknown: readonly string[];
  /** `from → to (why)` for each import that points up or sideways to a sibling layer. */
  readonly backArrows: readonly string[];
  /**
   * One entry per strongly connected component (files that reach each other through imports): its
   * shortest cycle through its first file, `a → b → … → a`, then `(with c, d)` naming the
   * component's other files.
   */
  readonly cycles: readonly string[];
  /** `file: 'specifier'` for each relative import that names no file under `src/`. */
  readonly unresolved: readonly string[];
}

/** The layer of a repository path, or `undefined`. */
export function layerOf(path: string, layers: readonly Layer[] = LAYERS): Layer | undefined {
  return layers.find((layer) =>
    layer.prefix.endsWith('/') ? path.startsWith(layer.prefix) : path === layer.prefix,
  );
}

/** Every module specifier in `text`, in source order (type-only ones too). */
export function specifiersOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The graph of `sources` (repository path → text): each relative specifier is resolved against its
 * file (`./x.js` → `x.ts`, `./x` → `x.ts` or `x/index.ts`) among the keys of `sources`.
 */
export function graphOf(sources: ReadonlyMap<string, string>): ImportGraph {
  const graph = new Map<string, FileImports>();
  for (const [path, text] of sources) {
    const files = new Set<string>();
    const packages = new Set<string>();
    const unresolved: string[] = [];
    for (const specifier of specifiersOf(path, text)) {
      if (!specifier.startsWith('.')) {
        packages.add(specifier);
        continue;
      }
      const target = posix.normalize(posix.join(posix.dirname(path), specifier));
      const base = target.replace(/\.(js|ts)$/, '');
      const resolved = [`${base}.ts`, `${target}.ts`, `${target}/index.ts`].find((candidate) =>
        sources.has(candidate),
      );
      if (resolved === undefined) unresolved.push(specifier);
      else files.add(resolved);
    }
    graph.set(path, { files: [...files], packages: [...packages], unresolved });
  }
  return graph;
}

/** The `.ts` files under `root/src`, keyed by repository path, with their text. */
export function readSources(root: string): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.ts')) {
        sources.set(relative(root, full).split(sep).join('/'), readFileSync(full, 'utf8'));
      }
    }
  };
  walk(join(root, 'src'));
  return sources;
}

/**
 * The strongly connected components of `graph` that hold a cycle (more than one file, or a file
 * that imports itself), each in discovery order (Tarjan's algorithm).
 */
export function cyclicComponents(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    lowLink.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.files ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, lowLink.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfImport = graph.get(node)?.files.includes(node) ?? false;
    if (component.length > 1 || selfImport) components.push(component.reverse());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

/** A shortest cycle through the first file of `component` (sorted), from that file back to it. */
function cycleThrough(graph: ImportGraph, component: readonly string[]): string[] {
  const start = [...component].sort()[0] ?? '';
  const members = new Set(component);
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] ?? '';
    for (const next of graph.get(node)?.files ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) {
          path.unshift(at);
        }
        path.unshift(start);
        return path;
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [...component];
}

/** Checks `graph` against `layers`. */
export function checkLayers(graph: ImportGraph, layers: readonly Layer[] = LAYERS): LayerReport {
  const unknown: string[] = [];
  const backArrows: string[] = [];
  const unresolved: string[] = [];
  for (const [from, imports] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    for (const specifier of imports.unresolved) unresolved.push(`${from}: '${specifier}'`);
    const own = layerOf(from, layers);
    if (own === undefined) {
      unknown.push(from);
      continue;
    }
    for (const to of [...imports.files].sort()) {
      const theirs = layerOf(to, layers);
      if (theirs === undefined || theirs.name === own.name || theirs.rank < own.rank) continue;
      const why =
        theirs.rank === own.rank
          ? `${own.name} and ${theirs.name} are siblings`
          : `${own.name} (${own.rank}) imports ${theirs.name} (${theirs.rank})`;
      backArrows.push(`${from} → ${to} (${why})`);
    }
  }
  const cycles = cyclicComponents(graph).map((component) => {
    const cycle = cycleThrough(graph, component);
    const others = [...component].sort().filter((file) => !cycle.includes(file));
    const path = cycle.join(' → ');
    return others.length === 0 ? path : `${path} (with ${others.join(', ')})`;
  });
  return { unknown, backArrows, cycles, unresolved };
}

/** The repository root (two folders above this file). */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
