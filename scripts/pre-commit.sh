#!/usr/bin/env bash
# The pre-commit hook of .pre-commit-hooks.yaml: the check of the manifests its args name.
set -euo pipefail
bin=kubectl-netpol_check
if ! command -v "$bin" >/dev/null; then
  echo "netpol-check: $bin is not on PATH; install it (kubectl krew install netpol-check, a release archive, or cargo install)" >&2
  exit 2
fi
if [ $# -eq 0 ]; then
  echo "netpol-check: name the manifests in the hook's args, e.g. args: [-f, k8s/]" >&2
  exit 2
fi
exec "$bin" "$@"
