export { checkAgreement } from './agreement.ts'
export { checkPrefix } from './prefix.ts'
export { checkValidity } from './validity.ts'
export { checkIntegrity } from './integrity.ts'
export { checkLiveness } from './liveness.ts'
export { checkDecisionAgreement, decisionSummary } from './decisions.ts'
export type { Checker, NodeChain, RunRecord } from './types.ts'
import { checkAgreement } from './agreement.ts'
import { checkIntegrity } from './integrity.ts'
import { checkPrefix } from './prefix.ts'
import { checkValidity } from './validity.ts'
import { checkDecisionAgreement } from './decisions.ts'
import type { Checker } from './types.ts'

/** The safety checkers, in the order they run. */
export const SAFETY_CHECKERS: readonly Checker[] = [checkAgreement, checkPrefix, checkValidity, checkIntegrity, checkDecisionAgreement]
export { forkEvidence, type BlockSummary, type ForkEvidence } from './evidence.ts'
// The checkers that watch a run as it goes (honest conduct, safety state, replica errors).
export { RunWatch } from './watch.ts'
export { describeEvidence, type Evidence, type EvidenceCode } from './run-evidence.ts'
