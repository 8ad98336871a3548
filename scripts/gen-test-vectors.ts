// Generates docs/test-vectors.json: byte-exact examples of every hashed or signed
// structure, for implementers in other languages. Deterministic (keys from fixed seeds).
// Run: node scripts/gen-test-vectors.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs'
import { buildTestVectors } from '../test/support/test-vectors.ts'

const path = new URL('../docs/test-vectors.json', import.meta.url)
const text = JSON.stringify(buildTestVectors(), null, 2) + '\n'
if (process.argv.includes('--check')) {
  const current = readFileSync(path, 'utf8')
  if (current !== text) {
    process.stderr.write('docs/test-vectors.json is out of date: run node scripts/gen-test-vectors.ts\n')
    process.exit(1)
  }
  process.stdout.write('docs/test-vectors.json is up to date\n')
} else {
  writeFileSync(path, text)
  process.stdout.write(`wrote ${path.pathname}\n`)
}
