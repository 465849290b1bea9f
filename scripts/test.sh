#!/usr/bin/env bash
# The project's test command (README): set-up on a fresh machine, then typecheck, lint, and the unit
# and integration tests against a real kube-apiserver. Afterwards it checks that no control-plane
# process outlived the run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
total=$SECONDS

bash scripts/setup.sh
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
berth_ensure_node
export PATH="$root/node_modules/.bin:$PATH"

step() { # step NAME CMD...; returns the command's exit code (also where set -e does not apply)
  local name="$1" start=$SECONDS rc=0
  shift
  echo "[test] $name ..." >&2
  "$@" || rc=$?
  echo "[test] $name $([[ $rc -eq 0 ]] && echo done || echo "FAILED (exit $rc)") in $((SECONDS - start))s" >&2
  return "$rc"
}

step typecheck tsc --noEmit -p tsconfig.json
step lint biome check .
report="$(mktemp -t berth-vitest-XXXXXX.json)"
status=0
step "unit + integration tests" vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI log reader understands, printed last (see the end).
summary="$(node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" 2>/dev/null || echo "tests: 0 passed, 1 failed")"
rm -f "$report"
if [[ $status -ne 0 ]]; then
  echo "$summary"
  exit "$status"
fi

# Every component runs from the build cache; anything still running from there was leaked. A
# control plane a developer started with `npm run cluster:up` (in berth-cluster-dev) is not ours.
cache="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"
leftover="$(pgrep -af -- "$cache/(kubernetes|kubernetes-node|etcd|registry|containerd)/" | grep -v -- 'berth-cluster-dev' || true)"
if [[ -n "$leftover" ]]; then
  echo "[test] processes left behind after the test run:" >&2
  echo "$leftover" >&2
  echo "$summary"
  exit 1
fi
# The e2e node must leave the host as it found it: no bridge, iptables chains, mounts or cgroups.
host_left="$(
  ip -o link show berth-e2e0 2>/dev/null
  for t in filter nat mangle; do iptables -t "$t" -S 2>/dev/null | grep -E -- '(-N|-j) KUBE-' || true; done
  findmnt -rn -o TARGET | grep -E -- '/berth-node-|/run/netns/cni-' || true
  ls -d /sys/fs/cgroup/*/kubepods 2>/dev/null || true
)"
if [[ -n "$host_left" ]]; then
  echo "[test] the e2e node left this on the host:" >&2
  echo "$host_left" >&2
  echo "$summary"
  exit 1
fi
echo "[test] no control-plane or node process, mount, bridge, cgroup or iptables chain left behind" >&2
echo "[test] all done in $((SECONDS - total))s" >&2
echo "$summary"
