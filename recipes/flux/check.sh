#!/usr/bin/env bash
# Checks what Flux would apply from this repository: every Flux Kustomization
# (kustomize.toolkit.fluxcd.io) under the given directories, built as kustomize-controller builds
# its spec.path, through netpol-check. For CI on a fleet repository (docs/ci.md):
#   recipes/flux/check.sh clusters/production [-- ARGS for kubectl-netpol_check]
# Needs kubectl (its built-in kustomize) or kustomize, python3, and kubectl-netpol_check on PATH.
# HelmReleases are not rendered here: use flux-local (`flux-local build ks`) and pipe its output
# to `kubectl-netpol_check -f -` for those.
set -euo pipefail

dirs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do dirs+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ ${#dirs[@]} -gt 0 ] || { echo "usage: check.sh DIR... [-- ARGS]" >&2; exit 2; }

if command -v kustomize >/dev/null; then build=(kustomize build); else build=(kubectl kustomize); fi

# spec.path of every Flux Kustomization found: relative to the repository root, as Flux reads it.
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
mapfile -t paths < <(python3 - "$root" "${dirs[@]}" <<'PY'
import os, sys, re
root, dirs = sys.argv[1], sys.argv[2:]
seen = []
for d in dirs:
    for base, _, files in os.walk(d):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            text = open(os.path.join(base, f)).read()
            for doc in re.split(r"^---\s*$", text, flags=re.M):
                if re.search(r"^apiVersion:\s*kustomize\.toolkit\.fluxcd\.io/", doc, re.M) and \
                   re.search(r"^kind:\s*Kustomization\s*$", doc, re.M):
                    m = re.search(r"^\s+path:\s*[\"']?([^\"'\n]+)", doc, re.M)
                    p = os.path.normpath(os.path.join(root, m.group(1) if m else "."))
                    if p not in seen:
                        seen.append(p)
print("\n".join(seen))
PY
)
[ ${#paths[@]} -gt 0 ] && [ -n "${paths[0]}" ] || { echo "check.sh: no Flux Kustomization under ${dirs[*]}" >&2; exit 2; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for p in "${paths[@]}"; do
  echo "check.sh: ${build[*]} $p" >&2
  { "${build[@]}" "$p"; echo "---"; } >>"$out"
done
kubectl-netpol_check -f "$out" "$@"
