/** A structure is well-formed but fails a verification rule (bad signature, broken chain...). */
export class VerificationError extends Error {
  override readonly name = 'VerificationError'
  /** A stable machine-readable code, e.g. 'bad-signature', 'parent-mismatch'. */
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}
