// Injected one-line safety bugs: the kind a careless change makes to the core. Each is
// a {file, search, replace} applied to a temporary copy of the repository by
// scripts/mutation-bugs.ts (never to the sources), which then runs the unit tests and
// the simulator sweep of test/mutation/ against it. `search` must occur exactly once in
// `file`. Not run by `npm test`; results in docs/mutation.md.

export interface InjectedBug {
  readonly id: string
  /** What the careless change does, and which rule it breaks. */
  readonly description: string
  readonly file: string
  readonly search: string
  readonly replace: string
}

export const BUGS: readonly InjectedBug[] = [
  {
    id: 'vote-round-off-by-one',
    description: 'safety rules: a second vote in the round already voted (or timed out) in',
    file: 'src/consensus/safety-rules.ts',
    search: 'if (round <= s.lastVotedRound) return',
    replace: 'if (round < s.lastVotedRound) return',
  },
  {
    id: 'vote-justify-not-checked',
    description: 'safety rules: vote without checking that the justify QC names the parent',
    file: 'src/consensus/safety-rules.ts',
    search: 'if (!bytesEqual(header.justify.block, parentHash)) return',
    replace: 'if (false && !bytesEqual(header.justify.block, parentHash)) return',
  },
  {
    id: 'vote-tc-high-qc-ignored',
    description: 'safety rules: a vote via TC without q >= the TC\'s highest QC round',
    file: 'src/consensus/safety-rules.ts',
    search: 'round === tc.round + 1 && q >= tcHighQcRound(tc)',
    replace: 'round === tc.round + 1',
  },
  {
    id: 'timeout-does-not-lock-round',
    description: 'safety rules: a timeout does not raise the last voted round (a vote may follow it in that round)',
    file: 'src/consensus/safety-rules.ts',
    search: 'lastVotedRound: Math.max(s.lastVotedRound, round),',
    replace: 'lastVotedRound: s.lastVotedRound,',
  },
  {
    id: 'one-chain-round-not-updated',
    description: 'safety rules: the observed (one-chain) round is not raised by a vote',
    file: 'src/consensus/safety-rules.ts',
    search: 'oneChainRound: Math.max(s.oneChainRound, q),',
    replace: 'oneChainRound: s.oneChainRound,',
  },
  {
    id: 'commit-rule-skips-consecutive-rounds',
    description: 'block tree: two-chain commit without the consecutive-round condition',
    file: 'src/consensus/block-tree.ts',
    search: 'if (node.header.round !== parent.header.round + 1) return { nodes: [], pruned: [] }',
    replace: 'if (false) return { nodes: [], pruned: [] }',
  },
  {
    id: 'commit-rule-commits-certified-block',
    description: 'block tree: a QC commits the block it certifies (one-chain), not its parent',
    file: 'src/consensus/block-tree.ts',
    search: '    return this.commitTo(parent)\n',
    replace: '    return this.commitTo(node)\n',
  },
  {
    id: 'certificate-failure-cached',
    description: 'verifier: an invalid certificate is cached as valid (its second copy passes)',
    file: 'src/consensus/verifier.ts',
    search: "if (problem !== null) return { ...problem, certificate }",
    replace: "if (problem !== null) { this.#certificates.set(digest, true); return { ...problem, certificate } }",
  },
  {
    id: 'tc-accepted-unchecked',
    description: 'replica: a TC is acted on without verifying it',
    file: 'src/consensus/replica.ts',
    search: 'const problem = this.verifier.tc(tc)',
    replace: 'const problem = null as Rejection | null',
  },
  {
    id: 'cc-accepted-unchecked',
    description: 'replica: a CC is acted on (commits) without verifying it',
    file: 'src/consensus/replica.ts',
    search: '    const problem = this.verifier.cc(cc, this.#epochOfBlock(toHex(cc.block), cc.height))\n',
    replace: '    const problem = null as Rejection | null\n',
  },
  {
    id: 'qc-accepted-unchecked',
    description: 'replica: a QC in a message is acted on without verifying it',
    file: 'src/consensus/replica.ts',
    search: '    const problem = this.verifier.qc(qc, this.#epochOfBlock(toHex(qc.block), qc.height))\n',
    replace: '    const problem = null as Rejection | null\n',
  },
  {
    id: 'cc-log-not-compared',
    description: 'replica: a CC commits a block in the tree without comparing its log size and root',
    file: 'src/consensus/replica.ts',
    search: 'if (node.header.logSize !== cc.logSize || !bytesEqual(node.header.logRoot, cc.logRoot)) {',
    replace: 'if (false) {',
  },
  {
    id: 'proposal-tc-high-qc-ignored',
    description: 'replica: a proposal after a TC need not extend the TC\'s highest QC',
    file: 'src/consensus/replica.ts',
    search: "if (justifyRound < tcHighQcRound(m.tc)) return",
    replace: "if (false) return",
  },
  {
    id: 'proposal-signature-unchecked',
    description: 'replica: a proposal\'s signature is not checked',
    file: 'src/consensus/replica.ts',
    search: 'if (!this.verifier.proposal(h.proposer, hash, m.sig)) {',
    replace: 'if (false) {',
  },
  {
    id: 'quorum-off-by-one',
    description: 'certificates: a quorum check that accepts one signer fewer than the quorum',
    file: 'src/log/certificates.ts',
    search: 'if (signers.length < set.quorum) return',
    replace: 'if (signers.length < set.quorum - 1) return',
  },
  {
    id: 'duplicated-signer-counted',
    description: 'certificates: every signature checked against the first signer\'s key (one signer counted for all)',
    file: 'src/log/certificates.ts',
    search: 'if (!scheme.verify(set.key(signer), messageOf(signer, p), sigs.sigs[p]!)) {',
    replace: 'if (!scheme.verify(set.key(signers[0]!), messageOf(signers[0]!, 0), sigs.sigs[p]!)) {',
  },
  {
    id: 'tc-high-qc-rounds-unbound',
    description: 'certificates: a TC\'s high-QC rounds are not required to be below its round',
    file: 'src/log/certificates.ts',
    search: 'for (const r of tc.highQcRounds) if (r >= tc.round) return',
    replace: 'for (const r of tc.highQcRounds) if (r > tc.round) return',
  },
  {
    id: 'block-justify-any-block',
    description: 'block rule: the justify QC need not name the parent block (a QC for a sibling passes)',
    file: 'src/log/block-rule.ts',
    search: 'if (!bytesEqual(qc.block, parent.hash) || qc.height !== p.height || qc.round !== p.round) {',
    replace: 'if (qc.height !== p.height) {',
  },
  {
    id: 'block-seq-not-checked',
    description: 'block rule: an agent\'s seq may repeat (an entry committed twice)',
    file: 'src/log/block-rule.ts',
    search: 'if (last !== undefined && entry.seq <= last) return',
    replace: 'if (last !== undefined && entry.seq < last) return',
  },
  {
    id: 'block-entry-signature-unchecked',
    description: 'verifier: an entry\'s signature is not verified',
    file: 'src/consensus/verifier.ts',
    search: 'if (!verifyEntrySignature(entry, this.#genesis.chainId, this.#scheme)) return',
    replace: 'if (false) return',
  },
  {
    id: 'vote-commit-signature-unchecked',
    description: 'verifier: a vote\'s commit half is not verified (a forged commit signature enters a CC)',
    file: 'src/consensus/verifier.ts',
    search: "if (!this.#scheme.verify(key, commitNoteMessage(chainId, vote.commit), vote.commit.sig)) return",
    replace: "if (false) return",
  },
  {
    id: 'aggregator-double-vote-counted',
    description: 'aggregators: a voter\'s second vote in a round counts towards another block\'s QC',
    file: 'src/consensus/aggregators.ts',
    search: '    if (voters.has(vote.voter)) return { qc, cc }\n',
    replace: '\n',
  },
  // Added after the first 22 (docs/mutation.md reports the score with and without them):
  // rules no bug above touches.
  {
    id: 'tc-formed-one-short',
    description: 'aggregators: a TC forms from one timeout fewer than the quorum',
    file: 'src/consensus/aggregators.ts',
    search: 'if (bucket.tc !== null || bucket.timeouts.size < this.#quorum) return null',
    replace: 'if (bucket.tc !== null || bucket.timeouts.size < this.#quorum - 1) return null',
  },
  {
    id: 'range-cc-block-not-compared',
    description: 'range sync: a commit certificate proves a range when it is for the range\'s last height, whatever block it names',
    file: 'src/consensus/range-sync.ts',
    search: 'if (cc.height !== height || !bytesEqual(cc.block, hash)) return',
    replace: 'if (cc.height !== height) return',
  },
]
