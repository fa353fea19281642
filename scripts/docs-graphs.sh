#!/usr/bin/env bash
# Regenerates the graphs the documentation shows, from the shop example:
#   docs/img/shop-matrix.svg      matrix -f examples/shop -o svg
#   docs/img/shop-namespaces.svg  matrix -f examples/shop --by namespace -o svg
# Run from anywhere; BIN names a built kubectl-netpol_check to use instead of `cargo run`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if [ -n "${BIN:-}" ]; then
  run() { "$BIN" "$@"; }
else
  run() { cargo run --quiet -- "$@"; }
fi
mkdir -p docs/img
# The notes (hostNetwork workloads seen as nodes) go to stderr; the pictures do not need them.
run matrix -f examples/shop -o svg 2>/dev/null >docs/img/shop-matrix.svg
run matrix -f examples/shop --by namespace -o svg 2>/dev/null >docs/img/shop-namespaces.svg
echo docs/img/shop-matrix.svg docs/img/shop-namespaces.svg
