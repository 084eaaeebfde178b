// Mutation testing with StrykerJS (run with `npm run mutation`; not part of CI: a full run takes long).
// Narrow a run to some files with `npx stryker run --mutate src/auth/jwt.ts`.
// See docs/mutation-testing.md for the latest scores and the equivalent survivors.

// The property and fuzz suites read their run counts from the environment; under mutation each
// surviving mutant re-runs every test that covers it, so fewer runs per property keep a run in hours,
// not days. Set them before `npm run mutation` to run more.
process.env.PROPERTY_RUNS ??= '50';
process.env.FUZZ_RUNS ??= '50';

// Reports (and incremental results) go to reports/<MUTATION_REPORT>.*, so that runs over different
// files (`MUTATION_REPORT=jwt npx stryker run --mutate src/auth/jwt.ts`) keep their own.
const report = process.env.MUTATION_REPORT ?? 'mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/runtime/Mailbox.ts',
    'src/runtime/KeyedActor.ts',
    'src/runtime/Session.ts',
    'src/runtime/sessionRecord.ts',
    'src/runtime/Directory.ts',
    'src/runtime/PendingRequest.ts',
    'src/runtime/OutboundRequests.ts',
    'src/runtime/SessionRuntime.ts',
    'src/http/*.ts',
    'src/auth/jwt.ts',
  ],
  // No TypeScript checker: vite strips types, so a mutant that would not type-check still runs and is
  // judged by the tests (a checker would add a type-check per mutant).
  checkers: [],
  // One test process: the suite has timing-sensitive tests and the machine is shared.
  concurrency: 1,
  // A mutant's run may take (its tests' normal time) × timeoutFactor + timeoutMS before it counts as a timeout;
  // generous so that a loaded machine does not turn slow runs into false "Timeout" kills.
  timeoutMS: 30_000,
  timeoutFactor: 2,
  // The sandbox links node_modules instead of copying it.
  symlinkNodeModules: true,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/${report}.html` },
  jsonReporter: { fileName: `reports/${report}.json` },
  thresholds: { high: 85, low: 70, break: null },
  // Results are kept in reports/ and reused for mutants whose code and covering tests did not change.
  incremental: true,
  incrementalFile: `reports/${report}.incremental.json`,
};
