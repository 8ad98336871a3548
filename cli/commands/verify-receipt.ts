// synod verify-receipt: check one receipt offline against the genesis.
import type { Command } from 'commander'
import { entryId } from '../../src/log/entry.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { loadGenesis, readJsonFile } from '../load.ts'

class ReceiptFileError extends Error {
  override readonly name = 'ReceiptFileError'
}

/**
 * The receipt in a file, in either form a user has at hand: the bare receipt (docs/formats.md
 * section 8), or the whole body of `GET /v1/receipts/:id`, `{ id, status: 'certified',
 * receipt }`, whose `id` must then name the receipt's entry. A pending answer (202) holds
 * no receipt and says so.
 */
function receiptInFile(json: unknown): { receiptJson: unknown, claimedId: string | null } {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, 'status')) return { receiptJson: json, claimedId: null }
  const body = json as { id?: unknown, status?: unknown, receipt?: unknown }
  const id = typeof body.id === 'string' ? body.id : null
  if (body.status === 'pending') throw new ReceiptFileError(`this is a pending answer of GET /v1/receipts/:id: entry ${id ?? '(no id)'} has no receipt yet; ask again once it is certified`)
  if (body.status !== 'certified') throw new ReceiptFileError(`a GET /v1/receipts/:id body has status 'certified' or 'pending', not ${JSON.stringify(body.status)}`)
  if (id === null) throw new ReceiptFileError("a GET /v1/receipts/:id body needs its 'id' (64 hex characters)")
  if (!Object.hasOwn(json, 'receipt')) throw new ReceiptFileError("a certified GET /v1/receipts/:id body needs its 'receipt'")
  return { receiptJson: body.receipt, claimedId: id }
}

export function registerVerifyReceipt(program: Command): void {
  program.command('verify-receipt')
    .description('verify a receipt offline: entry signature, inclusion proof and commit certificate quorum')
    .argument('<file>', 'receipt file (JSON): the receipt, or the body of GET /v1/receipts/:id')
    .requiredOption('--genesis <file>', 'genesis file (JSON)')
    .option('--json', 'print the verdict as one JSON object')
    .action((file: string, opts: { genesis: string, json?: boolean }) => {
      const genesis = loadGenesis(opts.genesis)
      const json = readJsonFile(file, 'receipt')
      let verdict
      let id = ''
      try {
        const { receiptJson, claimedId } = receiptInFile(json)
        const receipt = receiptFromJson(receiptJson)
        id = toHex(entryId(receipt.entry))
        verdict = claimedId !== null && claimedId.toLowerCase() !== id
          ? { ok: false as const, code: 'id-mismatch', reason: `the answer names entry ${claimedId}, its receipt is for entry ${id}` }
          : verifyReceipt(receipt, genesis)
      } catch (err) {
        verdict = { ok: false as const, code: 'malformed-receipt', reason: (err as Error).message }
      }
      if (opts.json) process.stdout.write(JSON.stringify({ id, ...verdict }) + '\n')
      else process.stdout.write(verdict.ok ? `VALID receipt for entry ${id}\n` : `INVALID receipt: ${verdict.code}: ${verdict.reason}\n`)
      process.exitCode = verdict.ok ? 0 : 2
    })
}
