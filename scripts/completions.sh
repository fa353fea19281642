#!/usr/bin/env bash
# Regenerates the shell completion scripts in completions/ from the command line's definition
# (src/cli/). tests/completions.rs fails while they are stale; run this after adding or
# changing a subcommand or flag:
#   scripts/completions.sh
# BIN names a built kubectl-netpol_check to use instead of `cargo run`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if [ -n "${BIN:-}" ]; then
  run() { "$BIN" "$@"; }
else
  run() { cargo run --quiet -- "$@"; }
fi
mkdir -p completions
for pair in bash:kubectl-netpol_check.bash zsh:_kubectl-netpol_check \
  fish:kubectl-netpol_check.fish powershell:_kubectl-netpol_check.ps1; do
  shell=${pair%%:*} file=${pair#*:}
  run completion "$shell" > "completions/$file"
  echo "completions/$file"
done
