#!/usr/bin/env bash
# Writes docs/img/report.png: the shop example's HTML report (-o html) as headless Chromium
# shows it, at a fixed time (SOURCE_DATE_EPOCH) so that the picture only changes with the page.
#
#   bash scripts/report-screenshot.sh            # from anywhere in the repository
#
# Chromium comes from scripts/install-test-tools.sh (Debian's package).
set -euo pipefail

cd "$(dirname "$0")/.."
tools=$(bash scripts/install-test-tools.sh)
chromium=$tools/chromium
[ -x "$chromium" ] || { echo "report-screenshot: no chromium in $tools" >&2; exit 2; }

cargo build --quiet --bin kubectl-netpol_check
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SOURCE_DATE_EPOCH=1700000000 target/debug/kubectl-netpol_check -f examples/shop -o html \
  >"$work/report.html" || [ $? -eq 1 ]
mkdir -p docs/img
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --force-device-scale-factor=1 \
  --window-size=1280,1500 --screenshot="$PWD/docs/img/report.png" "file://$work/report.html" \
  2>/dev/null
echo "docs/img/report.png"
