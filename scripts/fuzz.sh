#!/usr/bin/env bash
# Runs each fuzz target of fuzz/ for SECONDS (default 60) with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS]
#
# Targets (fuzz/fuzz_targets, checks in fuzz/invariants.rs):
#   manifests     a manifest stream through analysis and every output format
#   postrender    the post-renderer: output = input, plus whole generated documents of new names
#   cluster_page  a list response body, decoded, folded, analysed and printed
#
# The seed corpus is built from the repository's manifests (examples/, tests/) and the inputs
# kept under fuzz/regressions/; what the fuzzer adds stays in fuzz/corpus/ (not committed). An
# input that breaks a target is copied to fuzz/regressions/<target>/, where
# tests/fuzz_regressions.rs replays it on every `cargo test`: fix the bug, then commit it.
#
# cargo-fuzz needs a nightly toolchain. Without one, the same invariants run on stable as
# property tests: cargo test --test fuzz_properties --test fuzz_regressions
set -euo pipefail

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: scripts/fuzz.sh [SECONDS]  (seconds per target, default 60)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
targets=(manifests postrender cluster_page)

if ! command -v rustup >/dev/null || ! rustup run nightly rustc --version >/dev/null 2>&1; then
  cat >&2 <<'EOF'
fuzz.sh: cargo-fuzz needs a nightly Rust toolchain, and none is installed.
  Install one:  rustup toolchain install nightly
  Meanwhile the same invariants run on stable, as property tests and regression inputs:
    cargo test --test fuzz_properties --test fuzz_regressions
EOF
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz (cargo install cargo-fuzz)" >&2
  cargo install cargo-fuzz
fi

# Seeds: every manifest of the repository for the YAML targets, JSON ones for list pages, and
# every kept regression input. Files are named by content, so re-running adds nothing twice.
seed() {
  local target=$1 file
  shift
  local names=(-name "*.$1")
  shift
  for ext in "$@"; do names+=(-o -name "*.$ext"); done
  mkdir -p "fuzz/corpus/$target"
  while IFS= read -r -d '' file; do
    cp "$file" "fuzz/corpus/$target/seed-$(sha1sum <"$file" | cut -c1-16)"
  done < <(find examples tests -type f \( "${names[@]}" \) -size -64k -print0)
  find "fuzz/regressions/$target" -type f -exec cp -t "fuzz/corpus/$target/" {} +
}
seed manifests yaml yml json
seed postrender yaml yml
seed cluster_page json

found=()
for target in "${targets[@]}"; do
  echo "--- fuzz target $target for ${seconds}s"
  mkdir -p "fuzz/artifacts/$target"
  before=$(find "fuzz/artifacts/$target" -type f | sort)
  # No sanitizer: the crate has no unsafe code, and panics are what the targets look for; the
  # address sanitizer would halve the executions per second. Inputs are capped at 64 KiB and
  # each at 20 s, so a slow input counts as a finding too.
  status=0
  cargo +nightly fuzz run --sanitizer none "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 || status=$?
  after=$(find "fuzz/artifacts/$target" -type f | sort)
  new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
  if [[ -n $new ]]; then
    while IFS= read -r artifact; do
      cp "$artifact" "fuzz/regressions/$target/"
      found+=("$target: fuzz/regressions/$target/$(basename "$artifact")")
    done <<<"$new"
  elif ((status != 0)); then
    found+=("$target: cargo fuzz exited with status $status and left no input (see above)")
  fi
done

if ((${#found[@]})); then
  echo "fuzz.sh: findings (kept as regression inputs; fix them, then commit the files):"
  printf '  %s\n' "${found[@]}"
  exit 1
fi
echo "fuzz.sh: no findings in ${seconds}s per target"
