// The injected bugs (npm run mutation:bugs) are text replacements in the core's files: a
// change to the core can silently make one miss its target. Each must match exactly once.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BUGS } from './bugs.ts'

describe('injected bugs', () => {
  it('have distinct ids', () => {
    expect(new Set(BUGS.map((b) => b.id)).size).toBe(BUGS.length)
  })
  it.each(BUGS.map((b) => [b.id, b] as const))('%s applies exactly once to its file', (_id, bug) => {
    const text = readFileSync(new URL(`../../${bug.file}`, import.meta.url), 'utf8')
    expect(text.split(bug.search).length - 1).toBe(1)
    expect(bug.replace).not.toBe(bug.search)
  })
})
