#!/bin/sh
# Helm 4 post-renderer entry point (see plugin.yaml): runs `kubectl-netpol_check post-render`
# with Helm's --post-renderer-args, preferring the binary shipped in the plugin's bin/.
dir=${HELM_PLUGIN_DIR:-$(dirname "$0")/..}
# The release's plugin tarball ships one platform's binary: on another OS or CPU it cannot
# start, and kubectl-netpol_check from PATH (Krew, cargo install) runs instead.
if [ -x "$dir/bin/kubectl-netpol_check" ] && "$dir/bin/kubectl-netpol_check" --version >/dev/null 2>&1; then
  exec "$dir/bin/kubectl-netpol_check" post-render "$@"
fi
if ! command -v kubectl-netpol_check >/dev/null 2>&1; then
  msg="netpol-check: kubectl-netpol_check not found: the plugin ships no binary that runs on this machine and none is on PATH (install it with: kubectl krew install netpol-check)"
  echo "$msg" >&2
  # Helm 4 throws a post-renderer's stderr away: tell the terminal, as the binary does.
  if [ -n "${HELM_PLUGIN_NAME:-}" ]; then
    { echo "$msg" >/dev/tty; } 2>/dev/null
  fi
  exit 127
fi
exec kubectl-netpol_check post-render "$@"
