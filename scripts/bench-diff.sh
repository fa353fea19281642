#!/usr/bin/env bash
# The `diff` benchmark of docs/benchmarks.md (issue 17): two revisions of the synthetic cluster
# that differ in one NetworkPolicy and one workload in a hundred (examples/synth_change.rs),
# timed against the bare YAML event pass over both files.
#
#   bash scripts/bench-diff.sh            # the full cluster: 100,000 workloads per side
#   SCALE=10 bash scripts/bench-diff.sh   # a tenth of it (10,000 workloads), much faster
#   RUNS=5 bash scripts/bench-diff.sh     # more runs (default 3)
#
# Prints a markdown table: median wall-clock seconds and the highest peak RSS of RUNS runs of
# each, interleaved; and the diff's own summary line. Only meaningful on an idle machine.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SCALE=${SCALE:-1}
DIR=target/bench
BIN=target/release/kubectl-netpol_check

cargo build --release --quiet --bin kubectl-netpol_check --example synth --example synth_change \
  --example yaml_event_pass
mkdir -p "$DIR"
BASE=$DIR/diff-base-$SCALE.yaml
HEAD=$DIR/diff-head-$SCALE.yaml
target/release/examples/synth --namespaces $((2000 / SCALE)) --workloads $((100000 / SCALE)) \
  --policies $((20000 / SCALE)) >"$BASE"
target/release/examples/synth_change "$BASE" >"$HEAD"

# "SECONDS PEAK_KB" of "$@" with stdout discarded; exit statuses 0 and 1 are both answers.
measure() {
  local out status=0
  out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null || status=$?
  if ((status > 1)); then
    echo "failed (exit status $status): $*" >&2
    exit 1
  fi
  tail -n 1 "$out"
  rm -f "$out"
}

median() { sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
bare=() diff=() peak=0
for _ in $(seq "$RUNS"); do
  a=$(measure target/release/examples/yaml_event_pass "$BASE")
  b=$(measure target/release/examples/yaml_event_pass "$HEAD")
  bare+=("$(echo "$a $b" | awk '{ print $1 + $3 }')")
  d=$(measure "$BIN" diff --base "$BASE" -f "$HEAD" -o json)
  diff+=("${d% *}")
  p=${d#* }
  ((p > peak)) && peak=$p
done
bare_median=$(printf '%s\n' "${bare[@]}" | median)
diff_median=$(printf '%s\n' "${diff[@]}" | median)
echo
echo "| Run (1/$SCALE of the cluster) | Wall, median (s) | Peak RSS (MB) |"
echo "|---|---:|---:|"
echo "| Bare YAML event pass, both files | $bare_median | |"
echo "| \`diff --base BASE -f HEAD -o json\` | $diff_median | $((peak / 1024)) |"
echo
awk -v d="$diff_median" -v b="$bare_median" 'BEGIN { printf "diff / bare pass over both: %.2fx (target: 3x)\n", d / b }'
"$BIN" diff --base "$BASE" -f "$HEAD" --fail-on never | head -n 1
