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
# Progress with a total and an ETA on stderr: configs done of all, at the average pace so far.
behaviours=(honest crash silent equivocate double-vote withhold forge replay twins flood lying-sync mixed)
total=$(( 5 * ${#behaviours[@]} + 2 ))
done_configs=0
started=$SECONDS
progress() {
  local elapsed=$(( SECONDS - started )) eta="?"
  if [ "$done_configs" -gt 0 ]; then eta="$(( elapsed * (total - done_configs) / done_configs )) s"; fi
  echo "sim sweep: $done_configs/$total configs ($(( 100 * done_configs / total ))%), ${elapsed} s elapsed, ETA $eta: $1" >&2
}
for nodes in 4 7 10 13 16; do
  f=$(( (nodes - 1) / 3 ))
  for behaviour in "${behaviours[@]}"; do
    k=$f; [ "$behaviour" = honest ] && k=0
    progress "nodes=$nodes byzantine=$k behaviour=$behaviour"
    echo "== nodes=$nodes byzantine=$k behaviour=$behaviour runs=$runs seed=$seed"
    if ! npx synod simulate --nodes "$nodes" --byzantine "$k" --behaviour "$behaviour" --runs "$runs" --seed "$seed" --quiet; then status=1; fi
    seed=$(( seed + runs ))
    done_configs=$(( done_configs + 1 ))
  done
done
# The node runtime (ValidatorNode, chain store, sync serving) under simulation with
# storage faults: runs-per-config / 4 seeds per cluster size (each run takes seconds).
node_runs=$(( runs / 4 > 0 ? runs / 4 : 1 ))
for nodes in 4 7; do
  progress "node runtime nodes=$nodes"
  echo "== node runtime: nodes=$nodes runs=$node_runs seed=$seed"
  if ! npx node scripts/node-sim.ts --nodes "$nodes" --runs "$node_runs" --seed "$seed" --quiet; then status=1; fi
  seed=$(( seed + node_runs ))
  done_configs=$(( done_configs + 1 ))
done
progress "done"
exit $status
