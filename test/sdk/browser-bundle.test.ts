// The SDK must bundle for browsers: no Node built-in anywhere on its import graph, and
// the portable @noble crypto chosen through the "#crypto-impl" default condition.
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

describe('browser bundle of synod/sdk', () => {
  it('bundles sdk/index.ts for the browser with no node: module', async () => {
    const result = await build({
      entryPoints: ['sdk/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      // esbuild's browser platform already uses ['browser', 'import', 'default'] and not
      // 'node'; spelled out so a change of defaults cannot pick impl-node.ts.
      conditions: ['browser', 'import', 'default'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    })
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((p) => p.startsWith('node:') || /(^|\/)node\//.test(p.replace(/^node_modules\//, 'x/')))).toEqual([])
    expect(inputs).toContain('src/crypto/impl-noble.ts')
    expect(inputs).not.toContain('src/crypto/impl-node.ts')
    expect(inputs.some((p) => p.startsWith('sdk/mcp/') || p === 'sdk/identity-file.ts')).toBe(false)
    const code = result.outputFiles[0]!.text
    expect(code).not.toMatch(/from\s*["']node:/)
    expect(code).not.toMatch(/require\(["']node:/)
    const kib = Math.round(code.length / 1024)
    console.log(`browser bundle: ${kib} KiB unminified, ${inputs.length} inputs`)
  })
})
