#!/usr/bin/env bash
# Checks the image scripts/image/build.sh made the way the chart will run it: as UID/GID 65532, with
# a read-only root filesystem and only /tmp writable, and that SIGTERM reaches node (PID 1) and
# berth drains and exits 0 at once. Also that the image holds no TypeScript sources and no
# node_modules, and carries its OCI labels. Builds nothing; fails on the first broken check.
# Usage: scripts/image/verify.sh [IMAGE]   (default localhost/berth:dev)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
eval "$(bash scripts/image/build.sh --print-paths)"
# The same podman configuration as the build (runc, cgroupfs; see build.sh).
export CONTAINERS_CONF
image="${1:-$BERTH_IMAGE}"

ok() { printf '[image-verify] ok: %s\n' "$*" >&2; }
fail() {
  printf '[image-verify] FAIL: %s\n' "$*" >&2
  exit 1
}
# Containers this script starts are removed on exit, whatever happened.
containers=()
cleanup() { ((${#containers[@]} == 0)) || podman rm --force --ignore "${containers[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# Read-only root, writable /tmp only, no network: how the chart runs berth, minus the API server.
run_flags=(--read-only --tmpfs /tmp --network none)

podman image exists "$image" || fail "$image does not exist: run scripts/image/build.sh"

user="$(podman image inspect --format '{{.Config.User}}' "$image")"
[[ "$user" == 65532:65532 ]] || fail "image user is '$user', expected 65532:65532"
ok "image user $user"

label() { podman image inspect --format "{{index .Labels \"org.opencontainers.image.$1\"}}" "$image"; }
for key in title description licenses version revision; do
  [[ -n "$(label "$key")" ]] || fail "label org.opencontainers.image.$key is empty"
done
ok "OCI labels: $(label title) $(label version) $(label revision | cut -c1-12) $(label licenses)"

# The file list of the image's file system, from a container that never starts.
cid="$(podman create "$image")"
containers+=("$cid")
files="$(podman export "$cid" | tar -t)"
ts="$(grep -E '\.(ts|mts|cts)$' <<<"$files" || true)"
[[ -z "$ts" ]] || fail "TypeScript files in the image: $(head -3 <<<"$ts")"
nm="$(grep -E '(^|/)node_modules/' <<<"$files" | grep -v '^nodejs/lib/node_modules/' || true)"
[[ -z "$nm" ]] || fail "node_modules in the image: $(head -3 <<<"$nm")"
ok "no TypeScript sources, no node_modules ($(grep -c '^app/' <<<"$files") entries under /app)"

# Who the process is, and where it can write, asked of node inside the image.
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
probe='const fs = require("node:fs");
const canWrite = (dir) => { try { fs.writeFileSync(`${dir}/.probe`, "x"); return "writable"; } catch (e) { return e.code; } };
console.log(`${process.getuid()}:${process.getgid()} pid=${process.pid} / ${canWrite("")} /app ${canWrite("/app")} /tmp ${canWrite("/tmp")}`);'
got="$(podman run --rm "${run_flags[@]}" --entrypoint /nodejs/bin/node "$image" -e "$probe")"
[[ "$got" =~ ^65532:65532\ pid=1\ /\ (EROFS|EACCES)\ /app\ (EROFS|EACCES)\ /tmp\ writable$ ]] || fail "probe printed: $got"
ok "runs as 65532:65532, PID 1, root filesystem read-only, /tmp writable"

# berth has no --help: an unknown flag prints the flag list and exits 2, which shows the bundle loads.
set +e
help="$(podman run --rm "${run_flags[@]}" "$image" --help 2>&1)"
rc=$?
set -e
[[ $rc == 2 && "$help" == *"flags: --namespaces"* ]] || fail "--help exited $rc: $help"
ok "--help prints the flags (exit 2, berth has no help flag)"

# In-cluster configuration pointing at an API server that is not there: berth starts, retries its
# watches, and must stop promptly and cleanly on SIGTERM (podman stop sends SIGTERM first; -t 5
# would SIGKILL after 5 s).
name="berth-verify-$$"
podman run --detach --name "$name" "${run_flags[@]}" \
  -e KUBERNETES_SERVICE_HOST=127.0.0.1 -e KUBERNETES_SERVICE_PORT=6443 "$image" >/dev/null
containers+=("$name")
for _ in $(seq 1 50); do
  podman logs "$name" 2>&1 | grep -q '"operator starting"' && break
  sleep 0.2
done
podman logs "$name" 2>&1 | grep -q '"operator starting"' || fail "berth did not start: $(podman logs "$name" 2>&1 | tail -5)"
started="$(date +%s%N)"
podman stop -t 5 "$name" >/dev/null
stopped_ms=$((($(date +%s%N) - started) / 1000000))
code="$(podman inspect --format '{{.State.ExitCode}}' "$name")"
[[ "$code" == 0 ]] || fail "exit code $code after SIGTERM: $(podman logs "$name" 2>&1 | tail -5)"
podman logs "$name" 2>&1 | grep -q '"operator stopped"' || fail "no 'operator stopped' in the log"
((stopped_ms < 5000)) || fail "SIGTERM took ${stopped_ms} ms (podman had to SIGKILL)"
ok "SIGTERM: drained and exited 0, podman stop took ${stopped_ms} ms"
