// Fixtures for namespace governance (docs/formats.md section 13): a chain whose genesis
// names admins, agents, and policy payloads.
import { toHex } from '../../src/crypto/hash.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { policyPayloadText } from '../../src/governance/policy-payload.ts'
import { TestAgent, testNet, type TestNet } from './chain-builder.ts'

export interface GovernedNet {
  readonly net: TestNet
  readonly genesis: Genesis
  /** Genesis admin of `acme`. */
  readonly acmeRoot: TestAgent
  /** Genesis admin of `globex`. */
  readonly globexRoot: TestAgent
  readonly alice: TestAgent
  readonly bob: TestAgent
  readonly carol: TestAgent
}

/** A 4-validator chain whose genesis names one admin for `acme` and one for `globex`. */
export function governedNet(chainId = 'governed'): GovernedNet {
  const acmeRoot = new TestAgent(`${chainId}/acme-root`)
  const globexRoot = new TestAgent(`${chainId}/globex-root`)
  const net = testNet(4, chainId, { governance: { admins: new Map([['acme', [acmeRoot.publicKey]], ['globex', [globexRoot.publicKey]]]) } })
  return {
    net, genesis: net.genesis, acmeRoot, globexRoot,
    alice: new TestAgent(`${chainId}/alice`), bob: new TestAgent(`${chainId}/bob`), carol: new TestAgent(`${chainId}/carol`),
  }
}

export function hexOf(...agents: readonly TestAgent[]): string[] {
  return agents.map((a) => toHex(a.publicKey))
}

export { policyPayloadText }
