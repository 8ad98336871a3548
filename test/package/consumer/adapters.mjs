// A consumer's plain ESM JavaScript (run by test/package/package.test.ts in a temporary
// project where the packed tarball and the three agent frameworks are installed): each
// framework adapter's tools called the way that framework calls them, against a real
// cluster: commit through LangChain.js, read through the Vercel AI SDK, verify and audit
// through the OpenAI Agents SDK.
// Usage: node adapters.mjs <genesis.json> <agent key file> <node URL,node URL,...>
/* global process, console, AbortSignal -- Node globals */
import { readFileSync } from 'node:fs'
import { RunContext } from '@openai/agents'
import { asSchema } from 'ai'
import { SynodClient, genesisFromJson } from 'synod/sdk'
import { loadIdentity } from 'synod/sdk/identity-file'
import { synodLangChainTools } from 'synod/langchain'
import { synodAiTools } from 'synod/ai'
import { synodOpenAiAgentsTools } from 'synod/openai-agents'

const [genesisFile, keyFile, nodeList] = process.argv.slice(2)
const genesis = genesisFromJson(JSON.parse(readFileSync(genesisFile, 'utf8')))
const client = new SynodClient({ nodes: nodeList.split(','), genesis, identity: loadIdentity(keyFile) })

const langchain = synodLangChainTools({ client })
const committed = JSON.parse(await langchain.find((t) => t.name === 'commit_decision').invoke({ namespace: 'consumer/adapters', payload: { from: 'langchain' } }))

const ai = synodAiTools({ client })
const input = await asSchema(ai.get_decision.inputSchema).validate({ id: committed.id })
if (!input.success) throw input.error
const got = await ai.get_decision.execute(input.value, { toolCallId: 'call-get', messages: [], context: {}, abortSignal: AbortSignal.timeout(30_000) })

const openai = synodOpenAiAgentsTools({ client })
const tool = (name) => openai.find((t) => t.name === name)
const verified = JSON.parse(await tool('verify_receipt').invoke(new RunContext(), JSON.stringify({ receipt: got.receipt })))
const audit = JSON.parse(await tool('audit_range').invoke(new RunContext(), JSON.stringify({})))

console.log(JSON.stringify({
  committed: committed.committed === true, id: committed.id, readBack: got.id === committed.id && got.payload?.from === 'langchain',
  valid: verified.valid === true, auditOk: audit.ok === true,
}))
