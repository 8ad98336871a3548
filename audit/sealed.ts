// The auditor's view of sealed entries and their erasure (docs/formats.md section 14):
// the core's ErasureLedger fed every block the chain verifier accepted, in order, so the
// erasures reported are the ones every honest node applied. An erased entry is reported
// as erased, never as tampered: its entry, leaf and receipt are untouched by erasure
// (the sidecar was never part of them), so the chain verifies as before. An export holds
// no sidecars, so whether a sealed entry that is not erased is still readable is a
// question for the nodes (GET /v1/sealed/:id), and the report says so.
import { toHex } from '../src/crypto/hash.ts'
import type { BlockHeader } from '../src/log/block.ts'
import type { GovernanceState } from '../src/governance/state.ts'
import type { WritePolicy } from '../src/log/genesis.ts'
import type { ChainItem } from '../src/log/verify.ts'
import { ErasureLedger, type SealedAnomaly, type SealedAnomalyCode } from '../src/sealed/erasure.ts'

/** Sealed entries listed one by one in a report: enough for a review, bounded for a long
 * log (the counts cover every one). */
export const SEALED_LISTED_MAX = 1000

export interface AuditedSealed {
  readonly id: string
  readonly agent: string
  readonly namespace: string
  readonly height: number
  readonly index: number
  /** Plaintext bytes: metadata that stays in the log after erasure. */
  readonly size: number
  /** The entry's commitments, hex (what a sidecar must match: audit/sidecars.ts). */
  readonly commitment: string
  readonly keyCommitment: string
  /** 'erased': an erase entry that the rules accept is committed (its id in erasedBy),
   * or its namespace's retention ended (erasedBy null, erasure 'retention');
   * 'sealed': not erased (its content is held, or not, by the nodes: not in an export). */
  readonly status: 'sealed' | 'erased'
  readonly erasure: 'erase' | 'retention' | null
  readonly erasedBy: string | null
  readonly erasedAtHeight: number | null
  /** The height its retention erases it at, or null (kept until an erase). */
  readonly expiresAt: number | null
}

export interface SealedAudit {
  readonly counts: { readonly sealed: number, readonly erased: number }
  /** Entries the rules ignore, by code (all of them counted). */
  readonly ignored: Readonly<Partial<Record<SealedAnomalyCode, number>>>
  readonly ignoredExamples: readonly SealedAnomaly[]
  /** The first SEALED_LISTED_MAX sealed entries, in log order. */
  readonly entries: readonly AuditedSealed[]
  readonly entriesTruncated: boolean
}

export class SealedAuditor {
  readonly #policy: WritePolicy
  #ledger: ErasureLedger

  constructor(policy: WritePolicy) {
    this.#policy = policy
    this.#ledger = new ErasureLedger(policy)
  }

  /** A partial export: sealed entries before the start are unknown (erases of them are
   * reported as of an unknown entry). */
  startAfter(header: BlockHeader): void {
    this.#ledger = new ErasureLedger(this.#policy, header.logSize)
  }

  /** The next verified block; `governance`: the state in force for it (the state after
   * its parent), null on a chain without governance or where it is unknown. */
  accept(item: ChainItem, governance: GovernanceState | null = null): void {
    const height = item.block.header.height
    this.#ledger.advanceTo(height)
    for (const entry of item.block.entries) this.#ledger.append({ entry, index: this.#ledger.logSize, height }, governance)
  }

  report(): SealedAudit {
    const entries: AuditedSealed[] = []
    let truncated = false
    for (const s of this.#ledger.states()) {
      if (entries.length >= SEALED_LISTED_MAX) {
        truncated = true
        break
      }
      entries.push({
        id: s.id, agent: s.agent, namespace: s.namespace, height: s.height, index: s.index, size: s.spec.size,
        commitment: toHex(s.spec.commitment), keyCommitment: toHex(s.spec.keyCommitment),
        status: s.erasedBy === null ? 'sealed' : 'erased', erasure: s.erasedBy?.by ?? null, erasedBy: s.erasedBy?.id ?? null,
        erasedAtHeight: s.erasedBy?.height ?? null, expiresAt: s.expiresAt,
      })
    }
    const { counts, examples } = this.#ledger.anomalies()
    const ignored: Partial<Record<SealedAnomalyCode, number>> = {}
    for (const [code, n] of counts) if (n > 0) ignored[code] = n
    return { counts: this.#ledger.counts(), ignored, ignoredExamples: examples, entries, entriesTruncated: truncated }
  }
}
