// The import rules between the rooms (.dependency-cruiser.js, run on the whole tree by
// `npm run depcruise` in `npm test`) have teeth: on a scratch tree with the same rooms,
// each forbidden arrow is reported under its rule, each allowed one is not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cruise, type ICruiseResult, type IFlattenedRuleSet } from 'dependency-cruiser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** [importing file, imported file, the rule that must forbid it] */
const FORBIDDEN: readonly (readonly [string, string, string])[] = [
  ['src/a.ts', 'node/leaf.ts', 'src-imports-only-itself'],
  ['src/b.ts', 'sdk/leaf.ts', 'src-imports-only-itself'],
  ['audit/a.ts', 'node/leaf.ts', 'audit-imports-only-src'],
  ['sdk/a.ts', 'node/leaf.ts', 'sdk-imports-only-audit-src'],
  ['sdk/b.ts', 'scenarios/leaf.ts', 'sdk-imports-only-audit-src'],
  ['sdk/c.ts', 'cli/leaf.ts', 'sdk-imports-only-audit-src'],
  ['node/a.ts', 'scenarios/leaf.ts', 'node-imports-only-src'],
  ['node/b.ts', 'sdk/leaf.ts', 'node-imports-only-src'],
  ['node/c.ts', 'cli/leaf.ts', 'node-imports-only-src'],
  ['node/d.ts', 'devnet/leaf.ts', 'node-imports-only-src'],
  ['node/e.ts', 'test/support/leaf.ts', 'no-test-code-in-production'],
  ['devnet/a.ts', 'scenarios/leaf.ts', 'devnet-imports-only-node-src'],
  ['scenarios/a.ts', 'sdk/leaf.ts', 'scenarios-imports-only-node-devnet-src'],
  ['scenarios/b.ts', 'cli/leaf.ts', 'scenarios-imports-only-node-devnet-src'],
  ['scenarios/sim/a.ts', 'devnet/leaf.ts', 'scenarios-devnet-only-from-net'],
  ['bench/a.ts', 'cli/leaf.ts', 'bench-imports-only-node-devnet-audit-sdk-src-test'],
  ['bench/b.ts', 'scenarios/leaf.ts', 'bench-imports-only-node-devnet-audit-sdk-src-test'],
  ['bench/c.ts', 'test/x.test.ts', 'bench-test-support-only'],
]

const ALLOWED: readonly (readonly [string, string])[] = [
  ['cli/a.ts', 'node/leaf.ts'], ['cli/b.ts', 'scenarios/leaf.ts'], ['cli/c.ts', 'sdk/leaf.ts'], ['cli/d.ts', 'devnet/leaf.ts'],
  ['sdk/d.ts', 'audit/leaf.ts'], ['sdk/e.ts', 'src/leaf.ts'], ['audit/b.ts', 'src/leaf.ts'], ['node/f.ts', 'src/leaf.ts'],
  ['devnet/b.ts', 'node/leaf.ts'], ['scenarios/sim/b.ts', 'node/leaf.ts'], ['scenarios/net/a.ts', 'devnet/leaf.ts'], ['bench/d.ts', 'test/support/leaf.ts'],
  ['test/a.test.ts', 'cli/leaf.ts'],
]

let root = ''
let result: ICruiseResult

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), text)
}

function importLine(from: string, to: string): string {
  const up = '../'.repeat(from.split('/').length - 1)
  return `import { leaf } from '${up}${to}'\nexport const value = leaf\n`
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'synod-arrows-'))
  const leaves = new Set([...FORBIDDEN, ...ALLOWED].map(([, to]) => to))
  for (const leaf of leaves) write(leaf, 'export const leaf = 1\n')
  for (const [from, to] of [...FORBIDDEN, ...ALLOWED]) write(from, importLine(from, to))
  // A cycle through type-only imports, like src/log/entry.ts <-> entry-encoding.ts had.
  write('src/log/one.ts', "import type { Two } from './two.ts'\nexport interface One { two?: Two }\n")
  write('src/log/two.ts', "import type { One } from './one.ts'\nexport interface Two { one?: One }\n")
  const configUrl = new URL('../.dependency-cruiser.js', import.meta.url).href
  const { default: config } = (await import(configUrl)) as { default: IFlattenedRuleSet }
  const output = await cruise(['.'], { validate: true, ruleSet: { forbidden: config.forbidden }, baseDir: root, tsPreCompilationDeps: true })
  result = output.output as ICruiseResult
})

afterAll(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true })
})

function rulesBetween(from: string, to: string): string[] {
  return result.summary.violations.filter((v) => v.from === from && v.to === to).map((v) => v.rule.name)
}

describe('the import rules between rooms', () => {
  it.each(FORBIDDEN)('forbid %s -> %s (%s)', (from, to, rule) => {
    expect(rulesBetween(from, to)).toContain(rule)
  })

  it.each(ALLOWED)('allow %s -> %s', (from, to) => {
    expect(rulesBetween(from, to)).toEqual([])
  })

  it('forbid an import cycle, type-only imports included', () => {
    const cycles = result.summary.violations.filter((v) => v.rule.name === 'no-circular').map((v) => v.from)
    expect(cycles).toContain('src/log/one.ts')
  })
})
