// Mutation testing of the core (docs/mutation.md): `npm run mutation -- --suite unit|sweep
// [--mutate glob,glob]`. Not part of `npm test`. The suite is chosen by
// SYNOD_MUTATION_SUITE, read by vitest.mutation.config.ts.
const suite = process.env.SYNOD_MUTATION_SUITE ?? 'unit'

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/consensus/**/*.ts',
    'src/log/**/*.ts',
    'src/crypto/**/*.ts',
    // Re-export barrels and type-only modules have nothing to mutate that runs.
    '!src/**/index.ts',
    '!src/consensus/types.ts',
    '!src/log/entry-types.ts',
    // Rejection texts (describe()): a changed sentence is not a changed behaviour.
    '!src/consensus/rejections.ts',
    // The noble fallback is not the implementation Node runs (package.json "imports").
    '!src/crypto/impl-noble.ts',
  ],
  // The sandbox needs the sources, the tests, the simulator, the auditor (test/log imports
  // audit/run-audit.ts) and the configs, not the rest.
  ignorePatterns: ['bench', 'devnet', 'docs/*.md', 'docs/*.svg', 'patches', 'coverage', 'dist', 'reports', '.stryker-tmp', 'test/package', 'test/chaos', 'test/cli', 'test/sdk', 'test/node', 'test/bench'],
  concurrency: 1,
  timeoutMS: 60_000,
  timeoutFactor: 2,
  // Assertion-only code (src/assert.ts callers) and logging are not worth a mutant each.
  mutator: { excludedMutations: ['StringLiteral'] },
  reporters: ['clear-text', 'json', 'progress-append-only'],
  jsonReporter: { fileName: `reports/mutation/${suite}.json` },
  tempDirName: `.stryker-tmp/${suite}`,
  cleanTempDir: true,
  incremental: false,
  thresholds: { high: 90, low: 80, break: null },
}
