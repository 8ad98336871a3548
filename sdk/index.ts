// synod/sdk: the client SDK. Browser-safe: nothing here imports a Node module (the
// Node-only helpers are sdk/identity-file.ts and sdk/mcp/). See docs/sdk.md.
export { SynodClient, type SynodClientOptions, type CommitOptions, type QueryOptions, type SubscribeOptions, type ReadOptions, type NodeFault } from './client.ts'
export { AgentIdentity } from './identity.ts'
export { ClockSequence, type SequenceSource } from './sequence.ts'
export type { CommittedDecision, Decision, JsonData, NamespaceSchemas, PayloadInput, PayloadOutput, VerifyLevel } from './types.ts'
export {
  SynodError,
  NodeError,
  NodeUnreachableError,
  NodeResponseError,
  MalformedResponseError,
  InvalidProofError,
  InvalidEntryError,
  PayloadValidationError,
  PolicyRejectedError,
  EntryRejectedError,
  NoQuorumReachableError,
  CommitTimeoutError,
  SeqSupersededError,
  EntryNotFoundError,
  ConfigurationError,
  SealedOpenError,
  SealedUnavailableError,
} from './errors.ts'
export type { SealOptions, SealedCommit, OpenedDecision, ErasedDecision } from './sealed.ts'
export { sealPayloadText, openSealed, newSealingKey, type Sealed } from './sealing.ts'
export { readSealedPayload, type SealSpec, type SealedPayload } from '../src/sealed/payload.ts'
export {
  SynodDecisions, DECISION_DEFAULTS, NotADecisionError, NotAnApproverError, DecisionNotApprovedError, DecisionTimeoutError,
  type DecisionOutcome, type DecisionsOptions, type ProposeOptions, type VoteOptions, type AwaitDecisionOptions, type ApprovedDecision, type DecisionStatusAnswer,
} from './approvals.ts'
export { verifyApprovalProof, approvalProofFromJson, approvalProofToJson, type ApprovalProof, type ApprovalProofVerdict } from '../src/decisions/proof.ts'
export type { DecisionSpec } from '../src/decisions/payload.ts'
export { SynodGovernance, GOVERNANCE_DEFAULTS, type GovernanceOptions, type PolicyInput, type PolicyInForce } from './governance.ts'
export { seededRandom } from './util.ts'
export type { FetchLike } from './node-api.ts'

// Offline verification and the structures it works on, from the core.
export { verifyReceipt, type Verdict } from '../src/log/verify.ts'
export { receiptFromJson, receiptToJson, type Receipt } from '../src/log/receipt.ts'
export { genesisFromJson, genesisToJson, type Genesis, type GenesisJson } from '../src/log/genesis.ts'
export { entryId, type Entry } from '../src/log/entry.ts'
export type { CommitCertificate } from '../src/log/certificates.ts'
export { toHex, fromHex } from '../src/crypto/hash.ts'

// Checkpoints as C2SP signed notes, and witness cosignatures on a receipt's checkpoint.
export { fetchWitnessEvidence, verifyCheckpointNoteWithGenesis, verifyWitnessedReceipt, witnessKeys, type WitnessVerdict, type WitnessedReceiptOptions } from './transparency.ts'
