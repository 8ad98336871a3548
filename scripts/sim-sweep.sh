#!/usr/bin/env bash
# The sweep is scripts/sim-sweep.ts (worker threads, one progress line, stand-in
# signatures with a real-Ed25519 sample); this keeps the older entry point working:
#   scripts/sim-sweep.sh [runs-per-config] [first-seed]   or   scripts/sim-sweep.sh --runs N ...
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx node scripts/sim-sweep.ts "$@"
