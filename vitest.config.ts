import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // `synod/...` self-imports (the scenario examples) resolve to the .ts sources, as in
  // bin/synod.js from a checkout (docs/architecture.md, "Package layout").
  ssr: { resolve: { conditions: ['synod-source', ...defaultServerConditions] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
