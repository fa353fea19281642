#!/usr/bin/env bash
# Builds the installable Helm 4 plugin tarball: plugin.yaml, the post-render wrapper, the
# binary in bin/ and the LICENSE.
#   scripts/build-helm-plugin.sh [BINARY] [OUT_DIR]
# BINARY defaults to target/release/kubectl-netpol_check (built if missing); the tarball is
# OUT_DIR/netpol-check-<version>.tgz (default OUT_DIR: target/dist): Helm 4 expects the plugin
# name and version in the file name, and the plugin directory inside named after the plugin.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$repo/target/release/kubectl-netpol_check}
out=${2:-$repo/target/dist}
if [ ! -x "$binary" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
version=$(sed -n 's/^version: *//p' "$repo/plugin.yaml")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/netpol-check/bin" "$stage/netpol-check/scripts" "$out"
cp "$repo/plugin.yaml" "$stage/netpol-check/"
cp "$repo/scripts/helm-post-render.sh" "$stage/netpol-check/scripts/"
cp "$binary" "$stage/netpol-check/bin/kubectl-netpol_check"
[ -f "$repo/LICENSE" ] && cp "$repo/LICENSE" "$stage/netpol-check/"
tarball="$out/netpol-check-${version}.tgz"
tar -C "$stage" -czf "$tarball" netpol-check
echo "$tarball"
