// Witness cosignatures the node was given, kept beside the checkpoints they cosign so
// that GET /checkpoint and GET /witness/cosigned serve them with the validators'
// signatures. Held in memory and bounded: a restarted node has none until a witness is
// asked again (cosignatures are re-obtainable; the checkpoint itself is in the store).
// Keyed by checkpoint text, not size: two texts of one size would both be kept, which
// is what a monitor wants to see.
import { LIMITS } from '../../../src/limits.ts'
import type { NoteSignature } from '../../../src/log/note.ts'
import { cosignatureTimestamp } from '../../../src/log/cosignature.ts'

/** Checkpoints with cosignatures kept: witnesses cosign every few seconds or minutes,
 * while commits come many times a second, so a handful covers any client's window. */
export const COSIGNED_CHECKPOINTS_MAX = 16

export interface CosignedCheckpoint {
  readonly text: string
  readonly size: number
  /** The validators' signature lines that verified (a quorum). */
  readonly validatorLines: readonly NoteSignature[]
  /** Witness cosignatures, one per witness key (its newest), in key order. */
  readonly cosignatures: readonly NoteSignature[]
}

interface Kept {
  readonly text: string
  readonly size: number
  validatorLines: readonly NoteSignature[]
  readonly byKey: Map<string, NoteSignature>
}

export class CosignatureStore {
  readonly #byText = new Map<string, Kept>()

  /** Adds verified cosignatures of a verified checkpoint. A witness's newer cosignature
   * (higher timestamp) replaces its older one. Returns how many were new or newer. */
  add(text: string, size: number, validatorLines: readonly NoteSignature[], cosignatures: readonly NoteSignature[]): number {
    let kept = this.#byText.get(text)
    if (kept === undefined) {
      kept = { text, size, validatorLines, byKey: new Map() }
      this.#byText.set(text, kept)
      this.#evict()
    }
    let added = 0
    for (const c of cosignatures) {
      const key = `${c.keyId}/${c.name}`
      const old = kept.byKey.get(key)
      if (old !== undefined && (cosignatureTimestamp(old.signature) ?? 0n) >= (cosignatureTimestamp(c.signature) ?? 0n)) continue
      if (old === undefined && kept.byKey.size >= LIMITS.cosignaturesPerCheckpointMax) continue
      kept.byKey.set(key, c)
      added++
    }
    return added
  }

  /** The cosignatures of exactly this checkpoint text. */
  of(text: string): CosignedCheckpoint | null {
    const kept = this.#byText.get(text)
    return kept === undefined ? null : view(kept)
  }

  /** The largest cosigned checkpoint, or the one of exactly `size`. */
  newest(size?: number): CosignedCheckpoint | null {
    let best: Kept | null = null
    for (const kept of this.#byText.values()) {
      if (size !== undefined && kept.size !== size) continue
      if (best === null || kept.size > best.size) best = kept
    }
    return best === null ? null : view(best)
  }

  get size(): number {
    return this.#byText.size
  }

  /** Keeps the COSIGNED_CHECKPOINTS_MAX largest checkpoints. */
  #evict(): void {
    while (this.#byText.size > COSIGNED_CHECKPOINTS_MAX) {
      let smallest: Kept | null = null
      for (const kept of this.#byText.values()) if (smallest === null || kept.size < smallest.size) smallest = kept
      this.#byText.delete(smallest!.text)
    }
  }
}

function view(kept: Kept): CosignedCheckpoint {
  const cosignatures = [...kept.byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c)
  return { text: kept.text, size: kept.size, validatorLines: kept.validatorLines, cosignatures }
}
