#!/usr/bin/env bash
# Regenerates the numbers of docs/benchmarks.md (and the README's performance section):
# the full synthetic cluster (2,000 namespaces, 100,000 workloads, 20,000 NetworkPolicies),
# timed with a bare YAML event pass and with `kubectl-netpol_check -f FILE -o json`.
#
#   bash scripts/bench.sh            # from the repository root; RUNS=9 for more runs
#   CLUSTER_POLICIES=200 bash scripts/bench.sh
#                                    # adds a run on the same cluster plus 200 cluster-scoped
#                                    # policies (synth --cluster-policies N)
#   CILIUM=1 bash scripts/bench.sh   # adds the same cluster with its 20,000 policies written as
#                                    # CiliumNetworkPolicies (synth --policy-format cilium), and
#                                    # a bare YAML pass of that file
#   CALICO=1 bash scripts/bench.sh   # the same with the 20,000 policies written as Calico
#                                    # NetworkPolicies (synth --policy-format calico)
#
# Prints a markdown table: median and fastest wall-clock seconds, and the highest peak RSS, of
# RUNS runs of each, interleaved.
# Timings are only meaningful on an otherwise idle machine; the load average is printed.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CLUSTER_POLICIES=${CLUSTER_POLICIES:-0}
CILIUM=${CILIUM:-0}
CALICO=${CALICO:-0}
DIR=target/bench
FILE=$DIR/cluster.yaml
BIN=target/release/kubectl-netpol_check

cargo build --release --quiet --bin kubectl-netpol_check --example synth --example yaml_event_pass \
  --example helm_stream
mkdir -p "$DIR"
target/release/examples/synth >"$FILE"
TIERS=$DIR/cluster-tiers.yaml
if ((CLUSTER_POLICIES > 0)); then
  target/release/examples/synth --cluster-policies "$CLUSTER_POLICIES" >"$TIERS"
fi
CILIUM_FILE=$DIR/cluster-cilium.yaml
if ((CILIUM > 0)); then
  target/release/examples/synth --policy-format cilium >"$CILIUM_FILE"
fi
CALICO_FILE=$DIR/cluster-calico.yaml
if ((CALICO > 0)); then
  target/release/examples/synth --policy-format calico >"$CALICO_FILE"
fi
# The Helm post-renderer's input: a rendered chart of 10,000 documents, about 30 MB.
HELM=$DIR/helm.yaml
target/release/examples/helm_stream >"$HELM"

bytes=$(wc -c <"$FILE")
documents=$(grep -c '^---$' "$FILE")

# Runs "$@" with stdout discarded; prints "SECONDS PEAK_KB". The check exits 1 when it has
# findings, which the synthetic cluster always has: only statuses above 1 are failures.
measure() {
  local out status=0
  out=$(mktemp)
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null || status=$?
  else
    # Without GNU time: wall time from bash, and no peak memory.
    local TIMEFORMAT='%R 0'
    { time "$@" >/dev/null 2>/dev/null || status=$?; } 2>"$out"
  fi
  if ((status > 1)); then
    echo "failed (exit status $status): $*" >&2
    rm -f "$out"
    exit 1
  fi
  # GNU time prints "Command exited with non-zero status 1" above its line.
  tail -n 1 "$out"
  rm -f "$out"
}

# "MEDIAN MIN PEAK_MB" from lines "SECONDS PEAK_KB": the median and the fastest wall time, and
# the highest peak RSS.
summarise() {
  sort -n -k1,1 | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%s %s %.0f\n", t[int((NR + 1) / 2)], t[1], m / 1024 }'
}

# A first untimed read puts the file in the page cache for both.
cat "$FILE" >/dev/null
load=$(cut -d' ' -f1-3 /proc/loadavg)
bare=$(mktemp)
full=$(mktemp)
mimalloc=$(mktemp)
helm_bare=$(mktemp)
helm_post=$(mktemp)
tiers=$(mktemp)
cilium_bare=$(mktemp)
cilium_full=$(mktemp)
calico_bare=$(mktemp)
calico_full=$(mktemp)
trap 'rm -f "$bare" "$mimalloc" "$full" "$helm_bare" "$helm_post" "$tiers" "$cilium_bare" "$cilium_full" "$calico_bare" "$calico_full"' EXIT
# Interleaved, so that all see the same background load.
for ((i = 0; i < RUNS; i++)); do
  measure target/release/examples/yaml_event_pass "$FILE" >>"$bare"
  measure target/release/examples/synth --parse "$FILE" >>"$mimalloc"
  measure "$BIN" -f "$FILE" -o json >>"$full"
  if ((CLUSTER_POLICIES > 0)); then
    measure "$BIN" -f "$TIERS" -o json >>"$tiers"
  fi
  if ((CILIUM > 0)); then
    measure target/release/examples/yaml_event_pass "$CILIUM_FILE" >>"$cilium_bare"
    measure "$BIN" -f "$CILIUM_FILE" -o json >>"$cilium_full"
  fi
  if ((CALICO > 0)); then
    measure target/release/examples/yaml_event_pass "$CALICO_FILE" >>"$calico_bare"
    measure "$BIN" -f "$CALICO_FILE" -o json >>"$calico_full"
  fi
  measure target/release/examples/yaml_event_pass "$HELM" >>"$helm_bare"
  measure "$BIN" post-render <"$HELM" >>"$helm_post"
done
read -r bare_s bare_min bare_mb < <(summarise <"$bare")
read -r mi_s mi_min mi_mb < <(summarise <"$mimalloc")
read -r full_s full_min full_mb < <(summarise <"$full")
read -r hb_s hb_min hb_mb < <(summarise <"$helm_bare")
read -r hp_s hp_min hp_mb < <(summarise <"$helm_post")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
echo "Input: $FILE, $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')), $documents documents"
echo "Machine: $(nproc) cores, $cpu, $(awk '/^MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo); load average before: $load"
echo "$RUNS interleaved runs each; peak RSS is the highest of the runs."
echo
echo "| Run | Wall, median (s) | Wall, fastest (s) | Peak RSS (MB) | Full run / this (median) | Full run / this (fastest) |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| Bare YAML event pass, system allocator (\`yaml_event_pass\`) | $bare_s | $bare_min | $bare_mb | $(ratio "$full_s" "$bare_s") | $(ratio "$full_min" "$bare_min") |"
echo "| Bare YAML event pass, mimalloc (\`synth --parse\`) | $mi_s | $mi_min | $mi_mb | $(ratio "$full_s" "$mi_s") | $(ratio "$full_min" "$mi_min") |"
echo "| \`kubectl-netpol_check -f FILE -o json\` | $full_s | $full_min | $full_mb | | |"
if ((CLUSTER_POLICIES > 0)); then
  read -r t_s t_min t_mb < <(summarise <"$tiers")
  echo "| the same, plus $CLUSTER_POLICIES cluster-scoped policies (\`$TIERS\`) | $t_s | $t_min | $t_mb | | |"
fi
if ((CILIUM > 0)); then
  read -r cb_s cb_min cb_mb < <(summarise <"$cilium_bare")
  read -r cf_s cf_min cf_mb < <(summarise <"$cilium_full")
  cilium_bytes=$(wc -c <"$CILIUM_FILE")
  echo
  echo "Cilium-only cluster: $CILIUM_FILE, $(awk -v b="$cilium_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }'), $(grep -c '^---$' "$CILIUM_FILE") documents."
  echo
  echo "| Run | Wall, median (s) | Wall, fastest (s) | Peak RSS (MB) | Full run / this (median) | Full run / this (fastest) |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| Bare YAML event pass, system allocator (\`yaml_event_pass\`) | $cb_s | $cb_min | $cb_mb | $(ratio "$cf_s" "$cb_s") | $(ratio "$cf_min" "$cb_min") |"
  echo "| \`kubectl-netpol_check -f FILE -o json\` | $cf_s | $cf_min | $cf_mb | | |"
fi
if ((CALICO > 0)); then
  read -r kb_s kb_min kb_mb < <(summarise <"$calico_bare")
  read -r kf_s kf_min kf_mb < <(summarise <"$calico_full")
  calico_bytes=$(wc -c <"$CALICO_FILE")
  echo
  echo "Calico cluster: $CALICO_FILE, $(awk -v b="$calico_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }'), $(grep -c '^---$' "$CALICO_FILE") documents."
  echo
  echo "| Run | Wall, median (s) | Wall, fastest (s) | Peak RSS (MB) | Full run / this (median) | Full run / this (fastest) |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| Bare YAML event pass, system allocator (\`yaml_event_pass\`) | $kb_s | $kb_min | $kb_mb | $(ratio "$kf_s" "$kb_s") | $(ratio "$kf_min" "$kb_min") |"
  echo "| \`kubectl-netpol_check -f FILE -o json\` | $kf_s | $kf_min | $kf_mb | | |"
fi
echo
helm_bytes=$(wc -c <"$HELM")
echo "Helm post-renderer: $HELM, $(awk -v b="$helm_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }'), $(grep -c '^---' "$HELM") documents on stdin."
echo
echo "| Run | Wall, median (s) | Wall, fastest (s) | Peak RSS (MB) | post-render / this (median) | post-render / this (fastest) |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| Bare YAML event pass, system allocator (\`yaml_event_pass\`) | $hb_s | $hb_min | $hb_mb | $(ratio "$hp_s" "$hb_s") | $(ratio "$hp_min" "$hb_min") |"
echo "| \`kubectl-netpol_check post-render < FILE\` | $hp_s | $hp_min | $hp_mb | | |"
