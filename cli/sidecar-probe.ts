// The probe `synod audit --sidecars` asks a node with: GET /v1/sealed/:id, read to a
// bound, decoded for form only (audit/sidecars.ts judges it against the entry).
import { fromBase64 } from '../src/codec/base64.ts'
import { fromHex } from '../src/crypto/hash.ts'
import { SIDECAR_ANSWER_CHARS_MAX, type SidecarAnswer } from '../audit/sidecars.ts'

/** One node's answer may take this long; a slower one counts as unreachable. */
const PROBE_TIMEOUT_MS = 10_000
const HEX32 = /^[0-9a-f]{64}$/

export function sidecarProbe(base: URL): (id: string) => Promise<SidecarAnswer> {
  return async (id) => {
    let res: Response
    let text: string
    try {
      res = await fetch(new URL(`/v1/sealed/${id}`, base), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      text = await res.text()
    } catch (err) {
      return { status: 'error', reason: (err as Error).message }
    }
    if (text.length > SIDECAR_ANSWER_CHARS_MAX) return { status: 'error', reason: `an answer of ${text.length} characters, over ${SIDECAR_ANSWER_CHARS_MAX}` }
    let body: { blob?: unknown, key?: unknown, error?: { code?: unknown } }
    try {
      body = JSON.parse(text) as typeof body
    } catch {
      return { status: 'error', reason: `HTTP ${res.status}: the answer is not JSON` }
    }
    if (res.status === 410 && body.error?.code === 'erased') return { status: 'erased' }
    if (res.status === 404 && body.error?.code === 'sidecar-missing') return { status: 'missing' }
    if (res.status !== 200) return { status: 'error', reason: `HTTP ${res.status} ${String(body.error?.code ?? '')}` }
    if (typeof body.blob !== 'string' || !(body.key === null || (typeof body.key === 'string' && HEX32.test(body.key)))) return { status: 'error', reason: 'no { blob, key } in the answer' }
    try {
      return { status: 'stored', sidecar: { blob: fromBase64(body.blob), key: body.key === null ? null : fromHex(body.key) } }
    } catch (err) {
      return { status: 'error', reason: `the blob is not base64: ${(err as Error).message}` }
    }
  }
}
