// synod: the pure core. Formats, crypto, proofs and verification; no I/O.
export * from './codec/index.ts'
export * from './crypto/index.ts'
export { LIMITS } from './limits.ts'
export * from './log/entry.ts'
export * from './log/block.ts'
export * from './log/certificates.ts'
export * from './log/genesis.ts'
export * from './log/receipt.ts'
export * from './log/json.ts'
export * from './log/export.ts'
export * from './log/verify.ts'
export { VerificationError } from './log/errors.ts'
export { ValidatorSet, faultTolerance, quorumSize, type ValidatorInfo } from './log/validator-set.ts'
export { bitmapOf, signersOf } from './log/signer-bitmap.ts'
export {
  leafHash, nodeHash, merkleRoot, MerkleAccumulator, inclusionProof, consistencyProof,
  verifyInclusion, verifyConsistency, EMPTY_ROOT, type MerkleAccumulatorState,
} from './log/merkle.ts'
export * from './decisions/index.ts'
export * from './governance/index.ts'
export * from './sealed/index.ts'
