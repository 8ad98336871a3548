// What one node holds of the sealed entries an audit found (docs/formats.md section 14):
// the chain verifies without any sidecar, so this is a separate question, asked of a
// node after the audit. Each answer is judged against the entry's commitments and the
// log's erasures: a sidecar that matches is held, one that does not is tampered; a
// sidecar served for an entry the log says is erased is kept after erasure (the node
// did not erase); an entry the node calls erased without a committed erase is erased
// without an erase. The probe is injected (the CLI's uses fetch), so this needs no I/O.
import { fromHex } from '../src/crypto/hash.ts'
import { LIMITS } from '../src/limits.ts'
import { SEALED_AEAD, type SealSpec } from '../src/sealed/payload.ts'
import { checkSidecar, SEALED_OVERHEAD_BYTES, type Sidecar } from '../src/sealed/sidecar.ts'
import type { AuditedSealed } from './sealed.ts'

/** What the node answered for one sealed entry. */
export type SidecarAnswer =
  | { readonly status: 'stored', readonly sidecar: Sidecar }
  | { readonly status: 'erased' }
  | { readonly status: 'missing' }
  | { readonly status: 'error', readonly reason: string }

export type SidecarVerdict =
  /** The blob (and key, if deposited) the entry commits to. */
  | 'held'
  /** Not held by this node: never uploaded to it, or lost. Not tampering. */
  | 'missing'
  /** The entry is erased, and the node says so. */
  | 'erased'
  /** A blob or key that is not the one the entry commits to. */
  | 'tampered'
  /** The log says erased, the node still serves the sidecar. */
  | 'kept-after-erasure'
  /** The node says erased, the log has no erase of the entry. */
  | 'erased-without-erase'
  /** The node did not answer usefully. */
  | 'unreachable'

/** Findings that are the node's fault: reported, and `synod audit` exits 2 on them. */
export const SIDECAR_FAULTS: ReadonlySet<SidecarVerdict> = new Set(['tampered', 'kept-after-erasure', 'erased-without-erase'])

export interface SidecarFinding {
  readonly id: string
  readonly verdict: SidecarVerdict
  readonly detail: string
}

export interface SidecarReport {
  readonly counts: Readonly<Partial<Record<SidecarVerdict, number>>>
  /** Every entry whose verdict is neither held nor erased, up to the entries probed. */
  readonly findings: readonly SidecarFinding[]
  readonly probed: number
}

/** What erased an audited entry, in words. */
export function erasedByText(entry: AuditedSealed): string {
  return entry.erasure === 'retention' ? `erased by its namespace's retention at height ${entry.erasedAtHeight}` : `erased by ${entry.erasedBy} at height ${entry.erasedAtHeight}`
}

/** Judges one answer for one audited sealed entry. */
export function judgeSidecar(entry: AuditedSealed, answer: SidecarAnswer): SidecarFinding {
  const id = entry.id
  if (answer.status === 'error') return { id, verdict: 'unreachable', detail: answer.reason }
  if (answer.status === 'missing') return { id, verdict: entry.status === 'erased' ? 'erased' : 'missing', detail: entry.status === 'erased' ? 'erased; the node holds nothing' : 'the node holds no sidecar' }
  if (answer.status === 'erased') {
    return entry.status === 'erased'
      ? { id, verdict: 'erased', detail: erasedByText(entry) }
      : { id, verdict: 'erased-without-erase', detail: 'the node says erased, but no erase of the entry that the rules accept is in the log' }
  }
  if (entry.status === 'erased') return { id, verdict: 'kept-after-erasure', detail: `the log erased it (${erasedByText(entry)}), and the node still serves its sidecar` }
  const spec: SealSpec = { aead: SEALED_AEAD, commitment: fromHex(entry.commitment), keyCommitment: fromHex(entry.keyCommitment), size: entry.size }
  const problem = checkSidecar(spec, answer.sidecar)
  if (problem !== null) return { id, verdict: 'tampered', detail: `${problem.code}: ${problem.reason}` }
  return { id, verdict: 'held', detail: answer.sidecar.key === null ? 'blob held, key not deposited' : 'blob and key held' }
}

/** Asks `probe` for each entry in turn (at most `max`), and judges the answers. */
export async function probeSidecars(entries: readonly AuditedSealed[], probe: (id: string) => Promise<SidecarAnswer>, max = entries.length): Promise<SidecarReport> {
  const counts: Partial<Record<SidecarVerdict, number>> = {}
  const findings: SidecarFinding[] = []
  let probed = 0
  for (const entry of entries.slice(0, max)) {
    const finding = judgeSidecar(entry, await probe(entry.id))
    probed += 1
    counts[finding.verdict] = (counts[finding.verdict] ?? 0) + 1
    if (finding.verdict !== 'held' && finding.verdict !== 'erased') findings.push(finding)
  }
  return { counts, findings, probed }
}

/** The longest blob a node may answer with (base64 of the largest blob), for probes that
 * read the answer themselves. */
export const SIDECAR_ANSWER_CHARS_MAX = Math.ceil((LIMITS.sealedPlaintextBytesMax + SEALED_OVERHEAD_BYTES) / 3) * 4 + 256
