#!/usr/bin/env bash
# The hostile inputs of docs/benchmarks.md ("Hostile inputs"), each timed next to the ordinary
# input of the same count it must stay within 2x of:
#
#   - a List of 10,000 pods under 100,000 comment lines, against the same List without them
#     (and, for reference, the same pods as documents, which parse on every core);
#   - 50,000 pods of one StatefulSet, each with its own labels, against 50,000 pods without
#     owner (manifests), and the same with 30,000 pods served by examples/apiserver.rs (live);
#   - 200 MB of `---` lines, against the bare YAML event pass on the same file.
#
#   bash scripts/bench-hostile.sh    # from the repository root; RUNS=5 for more runs
#
# Prints a markdown table: median wall-clock seconds and highest peak RSS of RUNS (3) runs of
# each, interleaved, and the ratio of the medians. Needs GNU time (/usr/bin/time).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
DIR=target/bench/hostile
BIN=target/release/kubectl-netpol_check
HOSTILE=target/release/examples/hostile

cargo build --release --quiet --bin kubectl-netpol_check --example hostile --example yaml_event_pass \
  --example apiserver
mkdir -p "$DIR"
"$HOSTILE" list-comments 10000 100000 >"$DIR/list-comments.yaml"
"$HOSTILE" list-comments 10000 0 >"$DIR/list.yaml"
"$HOSTILE" documents 10000 >"$DIR/documents.yaml"
"$HOSTILE" statefulset 50000 >"$DIR/statefulset.yaml"
"$HOSTILE" pods 50000 >"$DIR/pods.yaml"
"$HOSTILE" markers 200000000 >"$DIR/markers.yaml"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts examples/apiserver.rs with "$@", writing the kubeconfig $work/$1.kubeconfig.
serve() {
  local name=$1
  shift
  target/release/examples/apiserver "$@" --kubeconfig "$work/$name.kubeconfig" >"$work/$name.url" \
    2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 1 600); do
    [[ -s "$work/$name.url" ]] && return
    sleep 0.1
  done
  echo "apiserver $name did not start" >&2
  exit 1
}
serve statefulset --statefulset 30000
serve standalone --standalone 30000

# Runs "$@" with stdout discarded; prints "SECONDS PEAK_KB". Exit status 1 (findings) is fine.
measure() {
  local out status=0
  out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$work/stderr" || status=$?
  if ((status > 1)); then
    echo "failed (exit status $status): $*" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  tail -n 1 "$out"
  rm -f "$out"
}

# "MEDIAN PEAK_MB" from lines "SECONDS PEAK_KB".
summarise() {
  sort -n -k1,1 | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%s %.0f\n", t[int((NR + 1) / 2)], m / 1024 }'
}

names=(list-comments list documents statefulset pods markers markers-bare live-statefulset live-standalone)
for name in "${names[@]}"; do : >"$work/$name.times"; done
cat "$DIR"/*.yaml >/dev/null
load=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 0; i < RUNS; i++)); do
  for name in list-comments list documents statefulset pods markers; do
    measure "$BIN" -f "$DIR/$name.yaml" -o json >>"$work/$name.times"
  done
  measure target/release/examples/yaml_event_pass "$DIR/markers.yaml" >>"$work/markers-bare.times"
  for name in statefulset standalone; do
    measure "$BIN" --kubeconfig "$work/$name.kubeconfig" -A -o json >>"$work/live-$name.times"
  done
done

row() {
  local label=$1 hostile=$2 ordinary=$3 ordinary_label=$4
  read -r hs hm < <(summarise <"$work/$hostile.times")
  read -r os om < <(summarise <"$work/$ordinary.times")
  echo "| $label | $hs | $hm | $ordinary_label | $os | $om | $(awk -v a="$hs" -v b="$os" 'BEGIN { printf "%.2f", a / b }') |"
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
echo "Machine: $(nproc) cores, $cpu; load average before: $load; $RUNS interleaved runs each."
echo
echo "| Hostile input | Median (s) | Peak RSS (MB) | Ordinary input of the same count | Median (s) | Peak RSS (MB) | Ratio |"
echo "|---|---:|---:|---|---:|---:|---:|"
row "List of 10,000 pods under 100,000 comment lines (\`-f\`)" list-comments list "the same List without the comments"
row "List of 10,000 pods under 100,000 comment lines (\`-f\`)" list-comments documents "10,000 pod documents"
row "50,000 pods of one StatefulSet, per-pod labels (\`-f\`)" statefulset pods "50,000 pods without owner"
row "30,000 pods of one StatefulSet, per-pod labels (live, \`-A\`)" live-statefulset live-standalone "30,000 pods without owner"
row "200 MB of \`---\` lines (50 million empty documents, \`-f\`)" markers markers-bare "bare YAML event pass on the same file"
