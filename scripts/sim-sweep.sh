#!/usr/bin/env bash
# Long simulation sweeps: thousands of seeded runs across cluster sizes and behaviours,
# then the node runtime itself under simulation (scripts/node-sim.ts).
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
# The node runtime (ValidatorNode, chain store, sync serving) under simulation with
# storage faults: runs-per-config / 4 seeds per cluster size (each run takes seconds).
node_runs=$(( runs / 4 > 0 ? runs / 4 : 1 ))
for nodes in 4 7; do
  echo "== node runtime: nodes=$nodes runs=$node_runs seed=$seed"
  if ! npx node scripts/node-sim.ts --nodes "$nodes" --runs "$node_runs" --seed "$seed" --quiet; then status=1; fi
  seed=$(( seed + node_runs ))
done
exit $status
