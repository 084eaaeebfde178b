/**
 * The layers of `src/` run one way (see `layerGraph.ts` for the table): no import points up or to a
 * sibling layer, no files import each other in a cycle, and every file belongs to a layer. The second
 * half tests the checker itself on small in-memory graphs, so a check that can no longer fail fails.
 */
import { describe, expect, it } from 'vitest';
import {
  checkLayers,
  cyclicComponents,
  graphOf,
  layerOf,
  readSources,
  repositoryRoot,
  specifiersOf,
} from './layerGraph.js';

const graph = graphOf(readSources(repositoryRoot));
const report = checkLayers(graph);

describe('the layers of src/', () => {
  it('reads the whole of src/', () => {
    expect(graph.has('src/index.ts')).toBe(true);
    expect(graph.has('src/runtime/Session.ts')).toBe(true);
    expect([...graph.values()].some((imports) => imports.files.length > 0)).toBe(true);
  });

  it('puts every file under src/ in a layer', () => {
    expect(report.unknown).toEqual([]);
  });

  it('has no import that points up a layer or across to a sibling layer', () => {
    expect(report.backArrows).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(report.cycles).toEqual([]);
  });

  it('resolves every relative import to a file under src/', () => {
    expect(report.unresolved).toEqual([]);
  });

  it('keeps the machines to XState: pure lifecycle tables, no I/O and no other package', () => {
    const packages = [...graph]
      .filter(([path]) => path.startsWith('src/machines/'))
      .flatMap(([path, imports]) => imports.packages.map((name) => `${path}: ${name}`))
      .filter((entry) => !entry.endsWith(': xstate'));
    expect(packages).toEqual([]);
  });

  it('names Redis client packages only in src/cluster, so every other entry runs without them', () => {
    const redisImports = [...graph]
      .flatMap(([path, imports]) => imports.packages.map((name) => ({ path, name })))
      .filter(({ name }) => name === 'redis' || name.startsWith('@redis/') || name === 'ioredis')
      .filter(({ path }) => !path.startsWith('src/cluster/'));
    expect(redisImports).toEqual([]);
  });
});

/** A graph from `file → imported files`, as if each were a `src/` file with those imports. */
function graphFrom(edges: Record<string, string[]>) {
  return graphOf(
    new Map(
      Object.entries(edges).map(([path, targets]) => [
        path,
        targets.map((target) => `import type { X } from '${target}';`).join('\n'),
      ]),
    ),
  );
}

describe('the layer check', () => {
  it('finds every kind of import: value, type-only, re-export, dynamic and import types', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export type * from './d.js';",
      "const e = await import('./e.js');",
      "type F = import('./f.js').F;",
      "import g = require('./g.js');",
      "import 'node:fs';",
    ].join('\n');
    expect(specifiersOf('src/x/y.ts', text)).toEqual([
      './a.js',
      '../b.js',
      './c.js',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
      'node:fs',
    ]);
  });

  it('resolves ./x.js to x.ts and a folder to its index.ts, and reports what it cannot resolve', () => {
    const graph = graphOf(
      new Map([
        [
          'src/runtime/a.ts',
          "import { b } from './b.js';\nimport { c } from '../features';\nimport './gone.js';",
        ],
        ['src/runtime/b.ts', "import { z } from 'zod';"],
        ['src/features/index.ts', ''],
      ]),
    );
    expect(graph.get('src/runtime/a.ts')).toEqual({
      files: ['src/runtime/b.ts', 'src/features/index.ts'],
      packages: [],
      unresolved: ['./gone.js'],
    });
    expect(graph.get('src/runtime/b.ts')?.packages).toEqual(['zod']);
    expect(checkLayers(graph).unresolved).toEqual(["src/runtime/a.ts: './gone.js'"]);
  });

  it('assigns layers by folder, and src/index.ts alone to the root entry', () => {
    expect(layerOf('src/protocol/errors.ts')?.rank).toBe(0);
    expect(layerOf('src/machines/session.machine.ts')?.rank).toBe(0);
    expect(layerOf('src/runtime/Session.ts')?.rank).toBe(1);
    expect(layerOf('src/features/tools.ts')?.rank).toBe(2);
    expect(layerOf('src/cluster/LeaseKeeper.ts')?.rank).toBe(2);
    expect(layerOf('src/server/createSessionRuntime.ts')?.rank).toBe(3);
    expect(layerOf('src/http/index.ts')?.rank).toBe(4);
    expect(layerOf('src/stdio/index.ts')?.rank).toBe(4);
    expect(layerOf('src/auth/index.ts')?.rank).toBe(5);
    expect(layerOf('src/index.ts')?.rank).toBe(6);
    expect(layerOf('src/index.tsx')).toBeUndefined();
    expect(layerOf('src/util/x.ts')).toBeUndefined();
  });

  it('reports an import that points up, one between siblings, and a file in no layer; allows the rest', () => {
    const report = checkLayers(
      graphFrom({
        'src/runtime/options.ts': ['../features/tools.js', '../protocol/errors.js', './types.js'],
        'src/runtime/types.ts': [],
        'src/features/tools.ts': ['../runtime/types.js'],
        'src/protocol/errors.ts': ['../machines/session.machine.js'],
        'src/machines/session.machine.ts': [],
        'src/stdio/serveStdio.ts': ['../http/sse.js', '../server/root.js'],
        'src/cluster/keeper.ts': ['../features/tools.js', '../runtime/types.js'],
        'src/runtime/clusterAware.ts': ['../cluster/keeper.js'],
        'src/http/sse.ts': [],
        'src/server/root.ts': [],
        'src/util/helper.ts': ['../index.js'],
        'src/index.ts': ['./auth/index.js'],
        'src/auth/index.ts': ['../http/sse.js'],
      }),
    );
    expect(report.backArrows).toEqual([
      'src/cluster/keeper.ts → src/features/tools.ts (cluster and features are siblings)',
      'src/protocol/errors.ts → src/machines/session.machine.ts (protocol and machines are siblings)',
      'src/runtime/clusterAware.ts → src/cluster/keeper.ts (runtime (1) imports cluster (2))',
      'src/runtime/options.ts → src/features/tools.ts (runtime (1) imports features (2))',
      'src/stdio/serveStdio.ts → src/http/sse.ts (stdio and http are siblings)',
    ]);
    expect(report.unknown).toEqual(['src/util/helper.ts']);
    expect(report.cycles).toEqual([]);
  });

  it('reports each cycle once, as a path that closes, including a file that imports itself', () => {
    const graph = graphFrom({
      'src/protocol/fastPath.ts': ['./messages.js'],
      'src/protocol/messages.ts': ['./params.js', './errors.js', './fastPath.js'],
      'src/protocol/params.ts': ['./fastPath.js'],
      'src/protocol/errors.ts': [],
      'src/runtime/a.ts': ['./b.js'],
      'src/runtime/b.ts': ['./a.js'],
      'src/runtime/self.ts': ['./self.js'],
      'src/runtime/c.ts': ['./a.js'],
    });
    expect(cyclicComponents(graph).map((component) => [...component].sort())).toEqual([
      ['src/protocol/fastPath.ts', 'src/protocol/messages.ts', 'src/protocol/params.ts'],
      ['src/runtime/a.ts', 'src/runtime/b.ts'],
      ['src/runtime/self.ts'],
    ]);
    expect(checkLayers(graph).cycles).toEqual([
      'src/protocol/fastPath.ts → src/protocol/messages.ts → src/protocol/fastPath.ts (with src/protocol/params.ts)',
      'src/runtime/a.ts → src/runtime/b.ts → src/runtime/a.ts',
      'src/runtime/self.ts → src/runtime/self.ts',
    ]);
    expect(checkLayers(graph).backArrows).toEqual([]);
  });

  it('finds no cycle in a graph without one, however its edges cross', () => {
    const graph = graphFrom({
      'src/runtime/a.ts': ['./b.js', './c.js'],
      'src/runtime/b.ts': ['./c.js'],
      'src/runtime/c.ts': [],
      'src/runtime/d.ts': ['./a.js', './c.js'],
    });
    expect(cyclicComponents(graph)).toEqual([]);
  });
});
