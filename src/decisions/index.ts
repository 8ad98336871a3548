// Decisions with k-of-m approvals (docs/formats.md section 12): payload shapes, the state
// function over the committed log, and offline approval proofs.
export * from './payload.ts'
export * from './state.ts'
export * from './proof.ts'
