// A consumer's browser code, type-checked by the consumer's own tsc with
// moduleResolution bundler, lib es2022 + dom and no Node types (tsconfig.bundler.json):
// synod/sdk's .d.ts must need nothing newer and nothing from Node.
import { AgentIdentity, SynodClient, genesisFromJson, verifyReceipt, type GenesisJson } from 'synod/sdk'

export async function commitFromPage(genesisJson: GenesisJson, nodes: readonly string[]): Promise<boolean> {
  const genesis = genesisFromJson(genesisJson)
  const client = new SynodClient({ nodes: [...nodes], genesis, identity: AgentIdentity.generate(), fetch: globalThis.fetch.bind(globalThis) })
  const decision = await client.commit('consumer/browser', { at: 'a page' })
  return verifyReceipt(decision.receipt, genesis).ok
}

// The typings are real, not `any`: node URLs are strings.
// @ts-expect-error a number is not a node URL
export const wrong = (genesisJson: GenesisJson) => new SynodClient({ nodes: [8000], genesis: genesisFromJson(genesisJson) })
