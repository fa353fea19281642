#!/usr/bin/env bash
# Regenerates the numbers of docs/benchmarks-cluster.md (and the README's live-cluster
# performance line): `kubectl netpol-check -A -o json` against
# `kubectl get pods,networkpolicies,namespaces -A -o json`, both reading the same synthetic API
# server (examples/apiserver.rs: HTTPS, bearer token, 500-item pages) over loopback.
#
#   bash scripts/bench-cluster.sh            # from the repository root; RUNS=5 for more runs
#
# Needs GNU time (/usr/bin/time) and curl. Environment: RUNS (3) interleaved runs of each
# command; PODS (50000), POLICIES (5000) and NAMESPACES (1000) size the cluster;
# COUNT_REQUESTS=0 skips the request count (which needs strace and python3); KUBECTL names a
# kubectl to use instead of the one scripts/install-test-tools.sh installs.
#
# Prints a markdown table: median and fastest wall-clock seconds and median and highest peak RSS
# of each command, and the ratios ours/kubectl of the medians against the targets (at most 0.25x
# the wall time, at most 0.5x the peak memory). Then, against a second server of the same
# cluster over plain HTTP, the list requests netpol-check sends (read from strace) next to the
# pages the server serves when each of those lists is walked once: one request per page, and no
# per-namespace fan-out.
# Timings are only meaningful on an otherwise idle machine; the load average is printed.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PODS=${PODS:-50000}
POLICIES=${POLICIES:-5000}
NAMESPACES=${NAMESPACES:-1000}
COUNT_REQUESTS=${COUNT_REQUESTS:-1}
TOKEN=benchmark-token
BIN=target/release/kubectl-netpol_check
SERVER=target/release/examples/apiserver

log() { echo "bench-cluster: $*" >&2; }

cargo build --release --quiet --bin kubectl-netpol_check --example apiserver
if [[ -n "${KUBECTL:-}" ]]; then
  kubectl=$KUBECTL
else
  kubectl=$(bash scripts/install-test-tools.sh)/kubectl
fi

work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Starts the server with extra flags "$@", writing $work/kubeconfig, and waits until it answers.
# Sets $url.
start_server() {
  : >"$work/url"
  "$SERVER" --pods "$PODS" --policies "$POLICIES" --namespaces "$NAMESPACES" \
    --token "$TOKEN" --kubeconfig "$work/kubeconfig" "$@" >"$work/url" 2>"$work/server.log" &
  server_pid=$!
  local waited=0
  # The URL comes on stdout once the fixture is built and the server listens.
  until [[ -s "$work/url" ]]; do
    if ! kill -0 "$server_pid" 2>/dev/null || ((waited >= 300)); then
      log "the API server did not start:"
      cat "$work/server.log" >&2
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  url=$(head -n 1 "$work/url")
  # Answering: /version with the token (kubectl does not send tokens over plain HTTP).
  for ((i = 0; ; i++)); do
    if curl -sfk -o /dev/null -H "Authorization: Bearer $TOKEN" "$url/version"; then
      break
    fi
    if ((i >= 60)); then
      log "the API server at $url does not answer"
      exit 1
    fi
    sleep 1
  done
  log "$(grep -m1 objects "$work/server.log" | sed 's/^apiserver: //') at $url"
}

# Runs "$@" with stdout discarded; prints "SECONDS PEAK_KB". netpol-check exits 1 when it has
# findings, which the synthetic cluster always has: only statuses above 1 are failures.
measure() {
  local out status=0
  out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$work/stderr" || status=$?
  if ((status > 1)); then
    log "failed (exit status $status): $*"
    cat "$work/stderr" >&2
    rm -f "$out"
    exit 1
  fi
  # GNU time prints "Command exited with non-zero status 1" above its line.
  tail -n 1 "$out"
  rm -f "$out"
}

# "MEDIAN_S MIN_S MEDIAN_MB MAX_MB" from lines "SECONDS PEAK_KB".
summarise() {
  local lines median fastest rss_median rss_max
  lines=$(cat)
  read -r median fastest < <(sort -n -k1,1 <<<"$lines" |
    awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)], t[1] }')
  read -r rss_median rss_max < <(sort -n -k2,2 <<<"$lines" |
    awk '{ m[NR] = $2 } END { printf "%.0f %.0f\n", m[int((NR + 1) / 2)] / 1024, m[NR] / 1024 }')
  echo "$median $fastest $rss_median $rss_max"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "met" : "NOT met") }'; }

[[ -x /usr/bin/time ]] || { log "needs GNU time at /usr/bin/time"; exit 1; }

start_server
kube_args=(--kubeconfig "$work/kubeconfig")
kubectl_cmd=("$kubectl" "${kube_args[@]}" --cache-dir "$work/kube-cache"
  get pods,networkpolicies,namespaces -A -o json)
ours_cmd=("$BIN" "${kube_args[@]}" -A -o json)

# Discovery fills kubectl's cache (a fresh directory, as the port is new), so that no timed run
# pays for it: users' kubectl has it cached too.
"$kubectl" "${kube_args[@]}" --cache-dir "$work/kube-cache" api-resources >/dev/null
# One untimed run of ours: the binary in the page cache, the server's first answers done.
measure "${ours_cmd[@]}" >/dev/null
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$work/kubectl.times"
: >"$work/ours.times"
# Interleaved, so that both see the same background load.
for ((i = 1; i <= RUNS; i++)); do
  log "run $i/$RUNS: kubectl get"
  measure "${kubectl_cmd[@]}" >>"$work/kubectl.times"
  log "run $i/$RUNS: netpol-check"
  measure "${ours_cmd[@]}" >>"$work/ours.times"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
read -r k_s k_min k_mb k_max < <(summarise <"$work/kubectl.times")
read -r o_s o_min o_mb o_max < <(summarise <"$work/ours.times")
wall=$(ratio "$o_s" "$k_s")
memory=$(ratio "$o_mb" "$k_mb")

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
echo "Cluster: $PODS pods, $POLICIES NetworkPolicies, $NAMESPACES namespaces (examples/apiserver.rs, HTTPS on loopback, pages of 500)"
echo "kubectl: $("$kubectl" version --client 2>/dev/null | head -n 1)"
echo "Machine: $(nproc) cores, $cpu, $(awk '/^MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "Load average (1, 5, 15 min): $load_before before, $load_after after"
echo "$RUNS interleaved runs each."
echo
echo "| Command | Wall, median (s) | Wall, fastest (s) | Peak RSS, median (MB) | Peak RSS, highest (MB) |"
echo "|---|---:|---:|---:|---:|"
echo "| \`kubectl get pods,networkpolicies,namespaces -A -o json\` | $k_s | $k_min | $k_mb | $k_max |"
echo "| \`kubectl netpol-check -A -o json\` | $o_s | $o_min | $o_mb | $o_max |"
echo "| **netpol-check / kubectl** (target) | **${wall}x** (<= 0.25x: $(verdict "$wall" 0.25)) | $(ratio "$o_min" "$k_min")x | **${memory}x** (<= 0.5x: $(verdict "$memory" 0.5)) | $(ratio "$o_max" "$k_max")x |"
stop_server

if [[ "$COUNT_REQUESTS" == 0 ]]; then
  exit 0
fi
if ! command -v strace >/dev/null || ! command -v python3 >/dev/null; then
  log "no strace or python3: the request count is skipped"
  exit 0
fi

# The request count: over plain HTTP, so that strace sees the request lines our binary writes.
start_server --http
strace -f -qq -e trace=write,writev,sendto,sendmsg -s 8192 -o "$work/trace" \
  "${ours_cmd[@]}" >/dev/null 2>&1 || true
echo
echo "List requests of \`kubectl netpol-check -A -o json\` (strace, plain-HTTP server of the same cluster), against the pages the server serves when each list is walked once:"
echo
python3 - "$url" "$TOKEN" "$work/trace" <<'PY'
import json, re, sys, urllib.parse, urllib.request
from collections import OrderedDict

base, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
# strace shows each written request head as one escaped string: "GET /... HTTP/1.1\r\n...".
heads = re.findall(r'"GET (/\S*) HTTP/1\.1((?:\\r\\n[^"\\]+)*)', open(path).read())
requests = [url for url, _ in heads]
accepts = {}
for url, headers in heads:
    for header in headers.split("\\r\\n"):
        name, _, value = header.partition(":")
        if name.strip().lower() == "accept":
            accepts[url] = value.strip()

def resource(url):
    return urllib.parse.urlsplit(url).path

def fetch(url, accept):
    req = urllib.request.Request(base + url, headers={"Authorization": "Bearer " + token,
                                                      "Accept": accept})
    with urllib.request.urlopen(req) as r:
        body = r.read()
    return body, json.loads(body)

sent = OrderedDict()
for url in requests:
    sent[resource(url)] = sent.get(resource(url), 0) + 1
firsts = [u for u in requests if "continue=" not in urllib.parse.urlsplit(u).query]
print("| List | Requests sent | Pages served (items, uncompressed bytes) |")
print("|---|---:|---:|")
total_pages = 0
for first in firsts:
    pages, items, size, url = 0, 0, 0, first
    while True:
        body, page = fetch(url, accepts.get(first, "application/json"))
        pages += 1
        items += len(page.get("items") or [])
        size += len(body)
        token_ = (page.get("metadata") or {}).get("continue")
        if not token_:
            break
        parts = urllib.parse.urlsplit(first)
        query = urllib.parse.parse_qsl(parts.query) + [("continue", token_)]
        url = parts.path + "?" + urllib.parse.urlencode(query)
    total_pages += pages
    query = urllib.parse.urlsplit(first).query
    selectors = [q for q in urllib.parse.parse_qsl(query) if q[0] != "limit"]
    label = resource(first) + (" (" + ", ".join(f"{k}={v}" for k, v in selectors) + ")" if selectors else "")
    print(f"| `{label}` | {sent[resource(first)]} | {pages} ({items:,} items, {size / 1e6:.1f} MB) |")
namespaced = [r for r in sent if "/namespaces/" in r and not r.endswith("/namespaces")]
duplicates = len(requests) - len(set(requests))
print(f"| **total** | **{len(requests)}** | **{total_pages}** |")
print()
print(f"Lists: {len(firsts)}; namespaced lists: {', '.join('`' + r + '`' for r in namespaced) or 'none'}; "
      f"repeated requests: {duplicates}; one request per page: {'yes' if len(requests) == total_pages else 'NO'}.")
PY
