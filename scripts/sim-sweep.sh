#!/usr/bin/env bash
# Long simulation sweeps: thousands of seeded runs across cluster sizes and behaviours.
# Usage: scripts/sim-sweep.sh [runs-per-config] [first-seed]
# Every failing seed is printed with its exact replay command; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200}"
seed="${2:-100000}"
status=0
for nodes in 4 7 10 13 16; do
  f=$(( (nodes - 1) / 3 ))
  for behaviour in honest crash silent equivocate double-vote withhold forge replay twins flood lying-sync mixed; do
    k=$f; [ "$behaviour" = honest ] && k=0
    echo "== nodes=$nodes byzantine=$k behaviour=$behaviour runs=$runs seed=$seed"
    if ! npx synod simulate --nodes "$nodes" --byzantine "$k" --behaviour "$behaviour" --runs "$runs" --seed "$seed" --quiet; then status=1; fi
    seed=$(( seed + runs ))
  done
done
exit $status
