#!/usr/bin/env bash
# Builds the release artifacts of VERSION:
#   kubectl-netpol-check_v<VERSION>_<os>_<arch>.tar.gz  the binary, LICENSE, README.md, the man page
#                               kubectl-netpol_check.1, kubectl_complete-netpol_check, completions/
#   netpol-check-<VERSION>.tgz  the Helm 4 post-renderer plugin (scripts/build-helm-plugin.sh)
#   sha256sums.txt              sha256sum's format, for every file above
#   netpol-check.yaml           the Krew manifest: .krew.yaml rendered as krew-release-bot renders
#                               it, with the real URLs and checksums
#
#   scripts/release.sh VERSION        (0.1.0 or v0.1.0: the version of Cargo.toml and plugin.yaml)
#
# <os>_<arch> are Krew's (Go's) platform names, as .krew.yaml spells them. Targets:
#   linux_amd64    x86_64-unknown-linux-musl    static
#   linux_arm64    aarch64-unknown-linux-musl   static; a C cross compiler for ring and mimalloc
#   darwin_amd64   x86_64-apple-darwin          on a macOS runner
#   darwin_arm64   aarch64-apple-darwin         on a macOS runner
#   windows_amd64  x86_64-pc-windows-msvc       on a Windows runner
# Targets this machine cannot build are skipped, saying why; when the host's platform got no
# archive, the host target is built instead (on x86_64 glibc Linux: dynamically linked, which
# the script says). The Krew manifest lists the platforms that have an archive.
#
# Environment:
#   DIST=DIR                 output directory (default: dist/ in the repository)
#   TARGETS="T1 T2"          the Rust targets to try (default: the five above)
#   NETPOL_RELEASE_BIN=PATH  pack this binary as the host platform's and build nothing; the tests
#                            pass the binary they were built with instead of a second (release)
#                            build. Binaries built for the host are stripped when packed.
# Needs bash 4 or newer (macOS: brew install bash), python3, tar and gzip.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "error: $*" >&2; exit 2; }
say() { echo "release: $*" >&2; }

[ "${BASH_VERSINFO[0]}" -ge 4 ] || die "bash ${BASH_VERSION} is too old: release.sh needs bash 4 or newer"
[ $# -eq 1 ] || die "usage: scripts/release.sh VERSION (e.g. 0.1.0)"
version=${1#v}
tag=v$version
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
plugin_version=$(sed -n 's/^version: *//p' "$repo/plugin.yaml")
[ "$version" = "$cargo_version" ] || die "version $version is not Cargo.toml's ($cargo_version)"
[ "$version" = "$plugin_version" ] || die "version $version is not plugin.yaml's ($plugin_version)"

dist=${DIST:-$repo/dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
rm -f "$dist"/kubectl-netpol-check_*.tar.gz "$dist"/netpol-check-*.tgz \
  "$dist/sha256sums.txt" "$dist/netpol-check.yaml"

all_targets="x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc"
targets=${TARGETS:-$all_targets}

platform_of() {
  case $1 in
    x86_64-unknown-linux-*) echo linux_amd64 ;;
    aarch64-unknown-linux-*) echo linux_arm64 ;;
    x86_64-apple-darwin) echo darwin_amd64 ;;
    aarch64-apple-darwin) echo darwin_arm64 ;;
    x86_64-pc-windows-*) echo windows_amd64 ;;
    *) return 1 ;;
  esac
}

host=$(rustc -vV | sed -n 's/^host: //p')
host_platform=$(platform_of "$host") || die "no Krew platform for the host $host"
sysroot=$(rustc --print sysroot)

# Why a target cannot be built here (nothing when it can).
unbuildable() {
  local t=$1
  platform_of "$t" >/dev/null || { echo "not a release target"; return; }
  case $t in
    *-apple-darwin)
      [[ $host == *-apple-darwin ]] || { echo "needs the macOS SDK: build it on a macOS runner"; return; } ;;
    *-windows-msvc)
      [[ $host == *-windows-msvc ]] || { echo "needs the MSVC linker: build it on a Windows runner"; return; } ;;
  esac
  if [ "$t" != "$host" ] && [ ! -d "$sysroot/lib/rustlib/$t/lib" ]; then
    echo "its standard library is not installed (rustup target add $t, which needs the network)"
    return
  fi
  if [ "$t" = aarch64-unknown-linux-musl ] && [[ $host != aarch64-* ]] &&
    ! command -v aarch64-linux-musl-gcc >/dev/null; then
    echo "needs a C cross compiler (aarch64-linux-musl-gcc) for ring and mimalloc"
  fi
}

# platform -> binary to pack
declare -A binaries=()
if [ -n "${NETPOL_RELEASE_BIN:-}" ]; then
  [ -x "$NETPOL_RELEASE_BIN" ] || die "NETPOL_RELEASE_BIN=$NETPOL_RELEASE_BIN is not an executable"
  binaries[$host_platform]=$NETPOL_RELEASE_BIN
  say "packing NETPOL_RELEASE_BIN=$NETPOL_RELEASE_BIN as $host_platform; building nothing"
else
  for t in $targets; do
    reason=$(unbuildable "$t")
    if [ -n "$reason" ]; then
      say "skipped $t: $reason"
      continue
    fi
    linker_env=()
    if [ "$t" = aarch64-unknown-linux-musl ] && [[ $host != aarch64-* ]]; then
      linker_env=(CC_aarch64_unknown_linux_musl=aarch64-linux-musl-gcc
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-musl-gcc)
    fi
    say "building $t"
    (cd "$repo" && env "${linker_env[@]}" cargo build --release --locked --quiet --target "$t")
    exe=kubectl-netpol_check
    [[ $t == *-windows-* ]] && exe=$exe.exe
    binaries[$(platform_of "$t")]=$repo/target/$t/release/$exe
  done
  if [ -z "${binaries[$host_platform]:-}" ]; then
    say "no $host_platform archive from the targets above: building the host target $host"
    (cd "$repo" && cargo build --release --locked --quiet)
    binaries[$host_platform]=$repo/target/release/kubectl-netpol_check
    if [[ $host == *-linux-gnu ]]; then
      say "WARNING: the $host_platform archive holds the $host build: dynamically linked against glibc, not static"
    fi
  fi
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The man page, from a packed binary that runs here (the page is the same on every platform).
man_page=$stage/kubectl-netpol_check.1
for bin in "${binaries[@]}"; do
  "$bin" __man >"$man_page" 2>/dev/null && break
  rm -f "$man_page"
done
[ -s "$man_page" ] || (cd "$repo" && cargo run --release --quiet -- __man >"$man_page")

# Archive metadata from the commit, so that the same commit packs the same bytes.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
tar_flags=()
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  tar_flags=(--sort=name --owner=0 --group=0 --numeric-owner "--mtime=@$SOURCE_DATE_EPOCH")
fi

host_binary=""
for platform in "${!binaries[@]}"; do
  dir=$stage/$platform
  mkdir -p "$dir/completions"
  exe=kubectl-netpol_check
  files=("$exe" kubectl_complete-netpol_check)
  if [[ $platform == windows_* ]]; then
    exe=$exe.exe
    files=("$exe")
  fi
  cp "${binaries[$platform]}" "$dir/$exe"
  chmod 755 "$dir/$exe"
  if [ "$platform" = "$host_platform" ] && command -v strip >/dev/null; then
    strip "$dir/$exe" || say "could not strip the $platform binary; packing it as built"
    host_binary=$dir/$exe
  fi
  [[ $platform == windows_* ]] || cp "$repo/kubectl_complete-netpol_check" "$dir/"
  cp "$repo/LICENSE" "$repo/README.md" "$man_page" "$dir/"
  cp "$repo"/completions/* "$dir/completions/"
  files+=(LICENSE README.md kubectl-netpol_check.1 completions)
  archive=$dist/kubectl-netpol-check_${tag}_${platform}.tar.gz
  tar "${tar_flags[@]}" -C "$dir" -cf - "${files[@]}" | gzip -n >"$archive"
  say "packed $(basename "$archive")"
done

# The Helm plugin carries one binary; its wrapper runs kubectl-netpol_check from PATH on
# machines where that one does not run.
helm_binary=${host_binary:-${binaries[$host_platform]}}
bash "$repo/scripts/build-helm-plugin.sh" "$helm_binary" "$dist" >/dev/null
say "packed netpol-check-$version.tgz (Helm 4 plugin, with the $host_platform binary)"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}
(cd "$dist" && sha256 kubectl-netpol-check_"${tag}"_*.tar.gz "netpol-check-$version.tgz") >"$dist/sha256sums.txt"

# .krew.yaml as krew-release-bot renders it: `{{ .TagName }}` is the tag, and
# `{{ addURIAndSha "URL" .TagName }}` becomes `uri: URL` and `sha256: SUM` on the next line,
# indented by 4 (rajatjindal/krew-release-bot, pkg/source/template.go), except that the sum is
# quoted here: YAML reads an unquoted sum of digits alone as a number. A platform whose
# archive was not built here is left out.
python3 - "$repo/.krew.yaml" "$tag" "$dist" >"$dist/netpol-check.yaml" <<'PY'
import os, re, sys

template, tag, dist = sys.argv[1:4]
sums = {}
with open(os.path.join(dist, "sha256sums.txt")) as f:
    for line in f:
        digest, name = line.split()
        sums[name.lstrip("*")] = digest

tag_re = re.compile(r"\{\{\s*\.TagName\s*\}\}")
uri_re = re.compile(r'^(\s*)\{\{\s*addURIAndSha\s+"([^"]*)"\s+\.TagName\s*\}\}\s*$')
out, block, block_ok, in_platforms = [], [], True, False
kept = 0

def flush():
    global block, block_ok, kept
    if block and block_ok:
        out.extend(block)
        kept += 1
    block, block_ok = [], True

for line in open(template).read().splitlines():
    if line.startswith("  platforms:"):
        in_platforms = True
        out.append(line)
        continue
    if in_platforms and line.startswith("  - "):
        flush()
    elif in_platforms and line.strip() and len(line) - len(line.lstrip()) <= 2:
        flush()
        in_platforms = False
    m = uri_re.match(line)
    if m:
        indent, url = m.group(1), tag_re.sub(tag, m.group(2))
        name = url.rsplit("/", 1)[-1]
        if name in sums:
            line = f'{indent}uri: {url}\n    sha256: "{sums[name]}"'
        else:
            block_ok = False
            print(f"release: netpol-check.yaml: no {name}, its platform is left out", file=sys.stderr)
    else:
        line = tag_re.sub(tag, line)
    (block if in_platforms else out).append(line)
flush()
if kept == 0:
    sys.exit("error: no platform of .krew.yaml has an archive")
print("\n".join(out))
PY

say "done: $dist"
(cd "$dist" && ls -l kubectl-netpol-check_"${tag}"_*.tar.gz "netpol-check-$version.tgz" sha256sums.txt netpol-check.yaml) >&2
