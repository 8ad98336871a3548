// synod verify-receipt: check one receipt offline against the genesis.
import type { Command } from 'commander'
import { entryId } from '../../src/log/entry.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { loadGenesis, readJsonFile } from '../load.ts'

export function registerVerifyReceipt(program: Command): void {
  program.command('verify-receipt')
    .description('verify a receipt offline: entry signature, inclusion proof and commit certificate quorum')
    .argument('<file>', 'receipt file (JSON)')
    .requiredOption('--genesis <file>', 'genesis file (JSON)')
    .option('--json', 'print the verdict as one JSON object')
    .action((file: string, opts: { genesis: string, json?: boolean }) => {
      const genesis = loadGenesis(opts.genesis)
      const json = readJsonFile(file, 'receipt')
      let verdict
      let id = ''
      try {
        const receipt = receiptFromJson(json)
        id = toHex(entryId(receipt.entry))
        verdict = verifyReceipt(receipt, genesis)
      } catch (err) {
        verdict = { ok: false as const, code: 'malformed-receipt', reason: (err as Error).message }
      }
      if (opts.json) process.stdout.write(JSON.stringify({ id, ...verdict }) + '\n')
      else process.stdout.write(verdict.ok ? `VALID receipt for entry ${id}\n` : `INVALID receipt: ${verdict.code}: ${verdict.reason}\n`)
      process.exitCode = verdict.ok ? 0 : 2
    })
}
