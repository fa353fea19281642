#!/usr/bin/env bash
# Runs kubectl-netpol_check for the GitHub Action (action.yml): the check or `diff` on the
# paths given, the report as Markdown in the job summary and (on pull requests) as one comment
# that later runs update instead of adding more.
#
# Environment (the action's inputs):
#   NETPOL_CHECK_COMMAND   check (default) or diff
#   NETPOL_CHECK_PATHS     paths for -f, one per line or separated by spaces (default: .)
#   NETPOL_CHECK_BASE_REF  diff: the base revision (default: the pull request's base commit)
#   NETPOL_CHECK_ARGS      further arguments, split on spaces
#   NETPOL_CHECK_COMMENT   true: comment on the pull request (needs GITHUB_TOKEN)
#   NETPOL_CHECK_FAIL      true (default): the step fails when the tool exits 1
# and GitHub's: GITHUB_TOKEN, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL,
# GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP.
set -uo pipefail

die() { echo "netpol-check: $*" >&2; exit 2; }
command -v kubectl-netpol_check >/dev/null || die "kubectl-netpol_check is not on PATH"

command=${NETPOL_CHECK_COMMAND:-check}
args=()
for p in ${NETPOL_CHECK_PATHS:-.}; do
  args+=(-f "$p")
done
pr_base() {
  [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ] || return 0
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(((e.get("pull_request") or {}).get("base") or {}).get("sha") or "")' "$GITHUB_EVENT_PATH"
}
case $command in
  check) ;;
  diff)
    base=${NETPOL_CHECK_BASE_REF:-$(pr_base)}
    [ -n "$base" ] || die "diff needs base-ref (or a pull_request event, whose base it takes)"
    # Within GitHub's limit on a comment (65,536 characters) with room for the marker line:
    # the diff leaves out whole items and says how many, rather than being cut below.
    args=(diff --base-ref "$base" "${args[@]}" -o markdown --markdown-limit 64000)
    ;;
  *) die "command must be check or diff, not '$command'" ;;
esac
# shellcheck disable=SC2206 # the extra arguments are meant to be split
extra=(${NETPOL_CHECK_ARGS:-})

out_dir=${RUNNER_TEMP:-$(mktemp -d)}
report=$out_dir/netpol-check.md
raw=$out_dir/netpol-check.out
kubectl-netpol_check "${args[@]}" "${extra[@]}" >"$raw"
code=$?

{
  echo "<!-- netpol-check -->"
  if [ "$command" = diff ]; then
    cat "$raw"
  else
    echo "### netpol-check"
    echo
    echo '```text'
    cat "$raw"
    echo '```'
  fi
} >"$report"
cat "$raw"
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$report" >>"$GITHUB_STEP_SUMMARY"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$code" >>"$GITHUB_OUTPUT"
  echo "report=$report" >>"$GITHUB_OUTPUT"
fi

if [ "${NETPOL_CHECK_COMMENT:-false}" = true ]; then
  python3 - "$report" <<'PY' || echo "netpol-check: could not comment on the pull request" >&2
import json, os, sys, urllib.request

event_path = os.environ.get("GITHUB_EVENT_PATH", "")
event = json.load(open(event_path)) if event_path and os.path.exists(event_path) else {}
number = (event.get("pull_request") or {}).get("number")
token = os.environ.get("GITHUB_TOKEN", "")
if not number or not token:
    print("netpol-check: not a pull request (or no token): no comment", file=sys.stderr)
    sys.exit(0)
api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
repo = os.environ["GITHUB_REPOSITORY"]
body = open(sys.argv[1]).read()
marker = "<!-- netpol-check -->"
# GitHub refuses comments above 65,536 characters: keep the head and say so (a check's report;
# a diff keeps itself within the limit).
limit = 65000
if len(body) > limit:
    body = body[:limit] + "\n\n(cut: the whole report is in the job summary)\n"

def call(method, url, data=None):
    req = urllib.request.Request(url, method=method, data=None if data is None else json.dumps(data).encode())
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/vnd.github+json")
    req.add_header("X-GitHub-Api-Version", "2022-11-28")
    with urllib.request.urlopen(req) as r:
        return json.load(r)

# The comment of an earlier run, updated rather than a new one added each push.
existing = None
page = 1
while existing is None:
    comments = call("GET", f"{api}/repos/{repo}/issues/{number}/comments?per_page=100&page={page}")
    existing = next((c for c in comments if marker in (c.get("body") or "")), None)
    if len(comments) < 100:
        break
    page += 1
if existing:
    call("PATCH", f"{api}/repos/{repo}/issues/comments/{existing['id']}", {"body": body})
else:
    call("POST", f"{api}/repos/{repo}/issues/{number}/comments", {"body": body})
PY
fi

case $code in
  0) exit 0 ;;
  1) [ "${NETPOL_CHECK_FAIL:-true}" = true ] && exit 1 || exit 0 ;;
  *) exit "$code" ;;
esac
