#!/usr/bin/env bash
# Regenerates the `matrix` numbers of docs/benchmarks.md and the README: one namespace of
# 1,000 workloads and 500 NetworkPolicies (examples/synth_namespace.rs), timed with the binary;
# then `matrix --by namespace` of a 4,000-workload cluster (examples/synth.rs: 80 namespaces,
# 800 policies, the benchmark cluster's proportions), with CPU time as well as wall time.
#
#   bash scripts/bench-matrix.sh       # from the repository root; RUNS=9 for more runs
#
# Timings are only meaningful on an otherwise idle machine; the load average is printed.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
DIR=target/bench
FILE=$DIR/matrix.yaml
BIN=target/release/kubectl-netpol_check

cargo build --release --quiet --bin kubectl-netpol_check --example synth_namespace --example synth
mkdir -p "$DIR"
target/release/examples/synth_namespace >"$FILE"
cat "$FILE" >/dev/null

# "MEDIAN FASTEST PEAK_MB" of RUNS runs of "$@", stdout discarded.
measure() {
  local out
  out=$(mktemp)
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e %M' -a -o "$out" "$@" >/dev/null
  done
  grep -v '^Command' "$out" | sort -n -k1,1 | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%s %s %.0f\n", t[int((NR + 1) / 2)], t[1], m / 1024 }'
  rm -f "$out"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
read -r json_s json_min json_mb < <(measure "$BIN" matrix -f "$FILE" -o json)
read -r cl_s cl_min cl_mb < <(measure "$BIN" matrix -f "$FILE" -o connlist)
pairs=$("$BIN" matrix -f "$FILE" -o connlist | wc -l)
echo "Input: $FILE ($(wc -c <"$FILE") bytes): 1,000 workloads and 500 NetworkPolicies in one namespace; $pairs allowed pairs."
echo "Machine: $(nproc) cores; load average before: $load; $RUNS runs each."
echo
echo "| Run | Wall, median (s) | Wall, fastest (s) | Peak RSS (MB) |"
echo "|---|---:|---:|---:|"
echo "| \`kubectl-netpol_check matrix -f FILE -o json\` | $json_s | $json_min | $json_mb |"
echo "| \`kubectl-netpol_check matrix -f FILE -o connlist\` | $cl_s | $cl_min | $cl_mb |"

# `matrix --by namespace` of 4,000 workloads: "MEDIAN_WALL FASTEST_WALL MEDIAN_CPU PEAK_MB".
CLUSTER=$DIR/matrix-4000.yaml
target/release/examples/synth --namespaces 80 --workloads 4000 --policies 800 >"$CLUSTER"
measure_cpu() {
  local out
  out=$(mktemp)
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e %U %S %M' -a -o "$out" "$@" >/dev/null
  done
  grep -v '^Command' "$out" | sort -n -k1,1 | awk '{ t[NR] = $1; c[NR] = $2 + $3; if ($4 > m) m = $4 }
    END { printf "%s %s %.2f %.0f\n", t[int((NR + 1) / 2)], t[1], c[int((NR + 1) / 2)], m / 1024 }'
  rm -f "$out"
}
load=$(cut -d' ' -f1-3 /proc/loadavg)
read -r ns_s ns_min ns_cpu ns_mb < <(measure_cpu "$BIN" matrix -f "$CLUSTER" --by namespace -o json)
read -r nt_s nt_min nt_cpu nt_mb < <(measure_cpu "$BIN" matrix -f "$CLUSTER" --by namespace)
entries=$("$BIN" matrix -f "$CLUSTER" --by namespace -o connlist 2>/dev/null | wc -l)
echo
echo "Input: $CLUSTER ($(wc -c <"$CLUSTER") bytes): 4,000 workloads, 80 namespaces, 800 policies; $entries namespace entries."
echo "Load average before: $load; $RUNS runs each."
echo
echo "| Run | Wall, median (s) | Wall, fastest (s) | CPU, median (s) | Peak RSS (MB) |"
echo "|---|---:|---:|---:|---:|"
echo "| \`kubectl-netpol_check matrix -f FILE --by namespace -o json\` | $ns_s | $ns_min | $ns_cpu | $ns_mb |"
echo "| \`kubectl-netpol_check matrix -f FILE --by namespace\` | $nt_s | $nt_min | $nt_cpu | $nt_mb |"
rm -f "$CLUSTER"
