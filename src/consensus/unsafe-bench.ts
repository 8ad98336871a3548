// The one unsafe switch: entry-signature checks off, for benchmarks that compare the
// protocol and transport with implementations that run without client signatures
// (libhotstuff). Consensus signatures (proposals, votes, timeouts, certificates) stay on,
// and so does everything else an entry goes through (encoding, hashing, Merkle, storage).
//
// With it, anyone can append entries in any agent's name: it must never be on for a real
// chain. So it is tied to the chain itself: only a genesis whose chainId starts with
// UNSAFE_BENCH_CHAIN_PREFIX may run with it, every validator of such a chain shares that
// marker, and an entry signed for such a chain cannot be replayed on another (signatures
// cover the chainId). The core refuses the switch on any other chain (Verifier), the CLI
// also needs its own flag (`synod start --unsafe-skip-entry-signatures`) and prints a warning.

/** A chain id starting with this may run with entry-signature checks off; no other may. */
export const UNSAFE_BENCH_CHAIN_PREFIX = 'unsafe-bench-'

/** Why entry-signature checks may not be skipped on this chain, or null when they may. */
export function skipEntrySignaturesRefusal(chainId: string): string | null {
  if (chainId.startsWith(UNSAFE_BENCH_CHAIN_PREFIX)) return null
  return `entry-signature checks may be skipped only on a benchmark chain, whose chainId starts with '${UNSAFE_BENCH_CHAIN_PREFIX}'; this chain is '${chainId}'`
}

/** The warning a process running with entry-signature checks off prints and logs. */
export function skipEntrySignaturesWarning(chainId: string): string {
  return `UNSAFE: entry-signature checks are OFF on chain '${chainId}' (benchmark comparison mode): this node accepts entries in any agent's name. Never use it for a real chain.`
}
