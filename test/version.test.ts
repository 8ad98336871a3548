// SYNOD_VERSION (src/version.ts) is what the node and the MCP server report: it must be
// the package's version.
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { SYNOD_VERSION } from '../src/version.ts'

it('SYNOD_VERSION is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  expect(SYNOD_VERSION).toBe(pkg.version)
})
