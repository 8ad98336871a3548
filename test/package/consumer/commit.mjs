// A consumer's plain ESM JavaScript (run by test/package/package.test.ts in a temporary
// project where the packed tarball is installed): commit one decision to a real cluster,
// then check its receipt offline, from the JSON form, as anyone holding it would.
// Usage: node commit.mjs <genesis.json> <agent key file> <node URL,node URL,...> [file]
// With a file, also saves there the body of GET /v1/receipts/:id (for synod verify-receipt).
/* global process, console, fetch -- Node globals */
import { readFileSync, writeFileSync } from 'node:fs'
import { SynodClient, genesisFromJson, receiptFromJson, receiptToJson, verifyReceipt } from 'synod/sdk'
import { loadIdentity } from 'synod/sdk/identity-file'

const [genesisFile, keyFile, nodeList, receiptBodyFile] = process.argv.slice(2)
const genesis = genesisFromJson(JSON.parse(readFileSync(genesisFile, 'utf8')))
const client = new SynodClient({ nodes: nodeList.split(','), genesis, identity: loadIdentity(keyFile) })
const decision = await client.commit('consumer/js', { from: 'javascript', node: process.version }, { timeoutMs: 60_000 })
const saved = JSON.stringify(receiptToJson(decision.receipt))
const verdict = verifyReceipt(receiptFromJson(JSON.parse(saved)), genesis)
const read = await client.get(decision.id)
if (receiptBodyFile !== undefined) {
  // The commit returned once one node served a verified receipt: the node asked here may
  // not have the decision yet, so it is asked to wait for it (a long poll of up to 10 s).
  const answer = await fetch(`${nodeList.split(',')[0]}/v1/receipts/${decision.id}?wait=10000`)
  if (answer.status !== 200) throw new Error(`GET /v1/receipts/${decision.id} answered ${answer.status}`)
  writeFileSync(receiptBodyFile, await answer.text())
}
console.log(JSON.stringify({ id: decision.id, height: decision.receipt.checkpoint.height, ok: verdict.ok, readBack: read.id === decision.id }))
