// A chain holding a decision and its votes, with real signatures and certificates, and
// the approval proof for it: for the proof verifier's tests and the published vectors.
import { toHex } from '../../src/crypto/hash.ts'
import { encodeEntry, entryId, type Entry } from '../../src/log/entry.ts'
import { inclusionProof, leafHash } from '../../src/log/merkle.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { decisionPayloadText, votePayloadText, type VoteKind } from '../../src/decisions/payload.ts'
import type { ApprovalProof } from '../../src/decisions/proof.ts'
import { ChainBuilder, signCc, TestAgent, testNet, type TestNet } from './chain-builder.ts'

export interface DecisionChain {
  readonly net: TestNet
  readonly chain: ChainBuilder
  readonly entries: readonly Entry[]
  readonly decision: Entry
  readonly approvers: readonly TestAgent[]
  readonly outsider: TestAgent
  /** A receipt of entries[index] under the certificate of the block at `height`. */
  receipt(index: number, height?: number): Receipt
  /** The certificate of the block at `height`. */
  cc(height: number): CommitCertificate
  vote(agent: TestAgent, kind: VoteKind, decision?: Entry): Entry
  /** Appends a block holding `entries`. */
  add(entries: readonly Entry[]): void
}

/** A chain with, at height 1, a 2-of-3 decision with deadline `deadline` (and an
 * unrelated entry), and at height 2 approvals by approvers 0 and 1. */
export function decisionChain(deadline = 10, chainId = 'decisions-chain'): DecisionChain {
  const net = testNet(4, chainId)
  const chain = new ChainBuilder(net)
  const proposer = new TestAgent(`${chainId}/planner`)
  const approvers = [0, 1, 2].map((i) => new TestAgent(`${chainId}/reviewer-${i}`))
  const outsider = new TestAgent(`${chainId}/outsider`)
  const entries: Entry[] = []
  const decision = proposer.entryText(chainId, 'org/decisions', decisionPayloadText({ approvers: approvers.map((a) => toHex(a.publicKey)), threshold: 2, deadline }, { action: 'deploy', version: '1.4.0' }))
  const self: DecisionChain = {
    net, chain, entries, decision, approvers, outsider,
    receipt(index, height = chain.head.height) {
      const header = chain.items[height - 1]!.block.header
      const leaves = entries.slice(0, header.logSize).map((e) => leafHash(encodeEntry(e)))
      return { entry: entries[index]!, index, proof: inclusionProof(index, header.logSize, (i) => leaves[i]!), checkpoint: signCc(net, header) }
    },
    cc(height) {
      return signCc(net, chain.items[height - 1]!.block.header)
    },
    vote(agent, kind, d = decision) {
      return agent.entryText(chainId, 'org/reviews', votePayloadText(kind), [entryId(d)])
    },
    add(batch) {
      entries.push(...batch)
      chain.add(batch)
    },
  }
  self.add([decision, outsider.entry(chainId, 'org/chatter', { hello: 1 })])
  self.add([self.vote(approvers[0]!, 'approve'), self.vote(approvers[1]!, 'approve')])
  return self
}

/** The approval proof of decisionChain()'s decision: receipts under the latest
 * certificate, and the certificate of height 2 as the cutoff. */
export function validProof(c: DecisionChain): ApprovalProof {
  return { decision: c.receipt(0), approvals: [c.receipt(2), c.receipt(3)], cutoff: c.cc(2) }
}

/** decisionChain's approved 2-of-3 decision (deadline 10), then a rejected one, one that
 * expires (deadline 4), and ignored votes: two after a decision was decided, an
 * outsider's, and one above a deadline (heights 3 to 5). */
export function decisionChainWithOutcomes(chainId = 'decisions-chain') {
  const c = decisionChain(10, chainId)
  const spec = { approvers: c.approvers.map((a) => toHex(a.publicKey)), threshold: 2, deadline: 10 }
  const rejected = c.approvers[0]!.entryText(chainId, 'org/decisions', decisionPayloadText(spec))
  const expiring = c.approvers[1]!.entryText(chainId, 'org/decisions', decisionPayloadText({ ...spec, deadline: 4 }))
  c.add([rejected, expiring, c.vote(c.approvers[2]!, 'approve')]) // the third approval comes after approval
  c.add([c.vote(c.approvers[0]!, 'reject', rejected), c.vote(c.approvers[1]!, 'reject', rejected), c.vote(c.outsider, 'approve', expiring)])
  c.add([c.vote(c.approvers[1]!, 'reject', rejected), c.vote(c.approvers[0]!, 'approve', expiring)]) // height 5: after rejection; above the deadline 4
  return { c, rejected, expiring }
}
