// Sealed entries and crypto-erasure (docs/formats.md section 14): payload shapes, the
// sidecar's commitments, and the erasure rule with its ledger over the committed log.
export * from './payload.ts'
export * from './sidecar.ts'
export * from './erasure.ts'
