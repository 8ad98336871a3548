// A node's committed height, as its GET /healthz says (for the commands that need to know
// how far a chain has come: the audit's range, an approval's expiry).

/** How long the lookup may take: an audit's progress bar does without a total rather
 * than wait longer. */
const HEIGHT_LOOKUP_TIMEOUT_MS = 3_000

/** The node's committed height, or null if it does not say in time. */
export async function committedHeightOf(base: URL): Promise<number | null> {
  try {
    const res = await fetch(new URL('/healthz', base), { signal: AbortSignal.timeout(HEIGHT_LOOKUP_TIMEOUT_MS) })
    const body = await res.json() as { height?: unknown }
    return res.ok && Number.isSafeInteger(body.height) ? body.height as number : null
  } catch {
    return null
  }
}
