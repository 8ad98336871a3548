// A consumer's TypeScript, compiled by the consumer's own tsc (tsconfig.nodenext.json)
// against the package's .d.ts, then run by Node: the same as commit.mjs, with types.
// Usage: node out/commit.js <genesis.json> <agent key file> <node URL,node URL,...>
import { readFileSync } from 'node:fs'
import { SynodClient, genesisFromJson, receiptFromJson, receiptToJson, verifyReceipt, type CommittedDecision, type Genesis, type Verdict } from 'synod/sdk'
import { loadIdentity } from 'synod/sdk/identity-file'

interface Plan { readonly goal: string, readonly steps: number }

const [genesisFile, keyFile, nodeList] = process.argv.slice(2)
if (genesisFile === undefined || keyFile === undefined || nodeList === undefined) throw new Error('usage: commit.js <genesis> <key> <nodes>')
const genesis: Genesis = genesisFromJson(JSON.parse(readFileSync(genesisFile, 'utf8')))
const client = new SynodClient({ nodes: nodeList.split(','), genesis, identity: loadIdentity(keyFile) })
// The typings are real, not `any`: a namespace must be a string.
// @ts-expect-error a number is not a namespace
void (() => client.commit(42, {}))
const plan: Plan = { goal: 'typed', steps: 3 }
const decision: CommittedDecision = await client.commit('consumer/ts', plan, { timeoutMs: 60_000 })
const verdict: Verdict = verifyReceipt(receiptFromJson(JSON.parse(JSON.stringify(receiptToJson(decision.receipt)))), genesis)
const height: number = decision.receipt.checkpoint.height
console.log(JSON.stringify({ id: decision.id, height, ok: verdict.ok }))
