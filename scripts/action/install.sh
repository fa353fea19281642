#!/usr/bin/env bash
# Installs a release of kubectl-netpol_check for the GitHub Action (action.yml): downloads the
# archive of the runner's platform and the release's sha256sums.txt, refuses an archive whose
# checksum does not match, and puts the binary on the job's PATH.
#
# Environment:
#   NETPOL_CHECK_VERSION   the release, 0.1.0 or v0.1.0 (required)
#   NETPOL_CHECK_RELEASES  where releases live (default: the project's GitHub releases); any URL
#                          curl reads, file:// included, with v<VERSION>/<file> beneath it
#   NETPOL_CHECK_BIN_DIR   where the binary goes (default: $RUNNER_TEMP/netpol-check/bin)
#   GITHUB_PATH            the file a step appends directories to for later steps' PATH
set -euo pipefail

die() { echo "netpol-check install: $*" >&2; exit 2; }

version=${NETPOL_CHECK_VERSION:?NETPOL_CHECK_VERSION is required (e.g. 0.1.0)}
version=${version#v}
releases=${NETPOL_CHECK_RELEASES:-https://github.com/netpol-check/netpol-check/releases/download}
bin_dir=${NETPOL_CHECK_BIN_DIR:-${RUNNER_TEMP:-/tmp}/netpol-check/bin}

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) platform=linux_amd64 ;;
  Linux/aarch64 | Linux/arm64) platform=linux_arm64 ;;
  Darwin/x86_64) platform=darwin_amd64 ;;
  Darwin/arm64) platform=darwin_arm64 ;;
  *) die "no release archive for $(uname -s)/$(uname -m)" ;;
esac

archive=kubectl-netpol-check_v${version}_${platform}.tar.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { # file
  curl --fail --silent --show-error --location --retry 3 \
    --output "$work/$1" "$releases/v$version/$1" \
    || die "could not download $releases/v$version/$1"
}
fetch sha256sums.txt
fetch "$archive"

expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/sha256sums.txt")
[ -n "$expected" ] || die "sha256sums.txt of v$version does not list $archive"
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$work/$archive" | cut -d' ' -f1)
else
  actual=$(shasum -a 256 "$work/$archive" | cut -d' ' -f1)
fi
[ "$actual" = "$expected" ] \
  || die "checksum mismatch for $archive: sha256sums.txt says $expected, the download is $actual"

mkdir -p "$bin_dir"
tar -xzf "$work/$archive" -C "$work"
install -m 0755 "$work/kubectl-netpol_check" "$bin_dir/kubectl-netpol_check"
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$bin_dir" >>"$GITHUB_PATH"
fi
echo "netpol-check install: v$version ($platform, sha256 $actual) in $bin_dir" >&2
