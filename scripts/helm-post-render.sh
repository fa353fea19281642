#!/bin/sh
# Helm 4 post-renderer entry point (see plugin.yaml): runs `kubectl-netpol_check post-render`
# with Helm's --post-renderer-args, preferring the binary shipped in the plugin's bin/.
dir=${HELM_PLUGIN_DIR:-$(dirname "$0")/..}
# The release's plugin tarball ships one platform's binary: on another OS or CPU it cannot
# start, and kubectl-netpol_check from PATH (Krew, cargo install) runs instead.
if [ -x "$dir/bin/kubectl-netpol_check" ] && "$dir/bin/kubectl-netpol_check" --version >/dev/null 2>&1; then
  exec "$dir/bin/kubectl-netpol_check" post-render "$@"
fi
exec kubectl-netpol_check post-render "$@"
