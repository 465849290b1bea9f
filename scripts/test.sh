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
reports=()
tests() { # tests NAME VITEST-ARGS...: one vitest run, its JSON report kept for the summary
  local name="$1" report
  shift
  report="$(mktemp -t berth-vitest-XXXXXX.json)"
  reports+=("$report")
  step "$name" vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
}
# One plain closing line that any CI log reader understands, printed last (see the end): the sum
# over every run, so a failure in any of them shows.
print_summary() {
  node -e '
    const fs = require("node:fs");
    const sum = { passed: 0, failed: 0, skipped: 0 };
    for (const file of process.argv.slice(1)) {
      let r;
      try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch { sum.failed += 1; continue; }
      sum.passed += r.numPassedTests;
      sum.failed += r.numFailedTests;
      sum.skipped += r.numPendingTests + r.numTodoTests;
    }
    console.log(`tests: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
  ' "${reports[@]}" 2>/dev/null || echo "tests: 0 passed, 1 failed"
  rm -f "${reports[@]}"
}
status=0
tests "unit + integration tests" "$@" || status=$?
# The suite must pass at any hour and on any date (docs/adr/019-shifted-clock-tests.md): the unit
# and integration tests again, each time with berth's clock (the test workers and the Node
# processes they start) shifted to a moment the real clock seldom gives a run. By default just
# before 03:00 UTC, when the tests' nightly schedules fall due and "runs next in" is under three
# hours, and 23:50 UTC on the nearest last day of a month, so the run crosses midnight and a month
# (and in December a year). BERTH_TEST_CLOCKS lists others, separated by ";"; empty skips them.
IFS=';' read -r -a clocks <<<"${BERTH_TEST_CLOCKS-02:50Z;month-end 23:50Z}"
# They run also after a failure above, so one failing test does not hide what the clocks find.
for clock in "${clocks[@]}"; do
  [[ -n "$clock" ]] || continue
  BERTH_TEST_CLOCK="$clock" tests "unit + integration tests on a clock shifted to $clock" \
    --project unit --project integration "$@" || status=$?
done
if [[ $status -ne 0 ]]; then
  print_summary
  exit "$status"
fi
summary="$(print_summary)"

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
