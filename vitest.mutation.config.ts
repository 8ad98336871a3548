// Vitest configurations for mutation testing (scripts/mutation.ts, stryker.config.mjs):
// SYNOD_MUTATION_SUITE=unit runs the unit tests of the mutated directories alone;
// SYNOD_MUTATION_SUITE=sweep runs the fixed simulator sweep (test/mutation/) alone.
// Neither is part of `npm test`: the default config includes test/**/*.test.ts only,
// and the sweep's files are named *.sweep.ts.
import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

const SUITES: ReadonlyMap<string, readonly string[]> = new Map([
  ['unit', ['test/consensus/**/*.test.ts', 'test/log/**/*.test.ts', 'test/crypto/**/*.test.ts']],
  ['sweep', ['test/mutation/**/*.sweep.ts']],
])

const suite = process.env['SYNOD_MUTATION_SUITE'] ?? 'unit'
const include = SUITES.get(suite)
if (include === undefined) throw new Error(`SYNOD_MUTATION_SUITE must be one of ${[...SUITES.keys()].join(', ')}, not '${suite}'`)

export default defineConfig({
  ssr: { resolve: { conditions: ['synod-source', ...defaultServerConditions] } },
  test: {
    include: [...include],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
