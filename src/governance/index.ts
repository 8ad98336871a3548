// Namespace governance (docs/formats.md section 13): policy entries, payload schemas, the
// state in force at each height and the ledger that computes it from the committed log.
export * from './schema.ts'
export * from './policy-payload.ts'
export * from './state.ts'
export * from './ledger.ts'
