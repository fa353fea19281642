#!/bin/sh
# Helm 4 post-renderer entry point (see plugin.yaml): runs `kubectl-netpol_check post-render`
# with Helm's --post-renderer-args, preferring the binary shipped in the plugin's bin/.
dir=${HELM_PLUGIN_DIR:-$(dirname "$0")/..}
if [ -x "$dir/bin/kubectl-netpol_check" ]; then
  exec "$dir/bin/kubectl-netpol_check" post-render "$@"
fi
exec kubectl-netpol_check post-render "$@"
