#!/usr/bin/env bash
# Builds the GitOps test tools from tools/ into a cache outside the repository, keyed by the version
# of the upstream library each one wraps (read from its go.mod): tools/kstatus (kstatus of
# sigs.k8s.io/cli-utils, what Flux's health checks compute) and tools/argo-health (Argo CD's Lua
# health checks in gopher-lua). A warm run builds nothing. Prints one line per tool with its duration.
# Usage: scripts/cluster/build-tools.sh [--print-dirs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$(cd "$here/../../tools" && pwd)"
cache="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"
export GOTOOLCHAIN=local CGO_ENABLED=0

# module_version DIR MODULE: the version DIR/go.mod requires of MODULE (the cache key).
module_version() {
  local version
  version="$(awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1/go.mod")"
  [[ -n "$version" ]] || { echo "build-tools.sh: $1/go.mod does not require $2" >&2; exit 1; }
  printf '%s' "$version"
}

CLI_UTILS_VERSION="$(module_version "$tools/kstatus" sigs.k8s.io/cli-utils)"
GOPHER_LUA_VERSION="$(module_version "$tools/argo-health" github.com/yuin/gopher-lua)"
kstatus_bin="$cache/tools/kstatus-$CLI_UTILS_VERSION/bin"
argo_health_bin="$cache/tools/argo-health-$GOPHER_LUA_VERSION/bin"

if [[ "${1:-}" == "--print-dirs" ]]; then
  printf 'KSTATUS_BIN=%s\nARGO_HEALTH_BIN=%s\n' "$kstatus_bin" "$argo_health_bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-tools.sh: go is not on PATH (Go >= 1.26 is required)" >&2; exit 1; }

log() { printf '[tools-build] %s\n' "$*" >&2; }

# source_hash DIR: the tool's own source. The directory name is keyed by the library version only,
# so a changed main.go would otherwise leave a stale binary looking cached.
source_hash() { (cd "$1" && cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1); }

# build TOOL BINARY DEST: builds tools/TOOL into DEST/BINARY. The build runs in a scratch copy (the
# repository is never written to) and DEST is replaced only when complete, so an interrupted build
# never leaves a binary that looks cached.
build() {
  local tool="$1" binary="$2" dest="$3" work
  work="$(mktemp -d "$cache/tmp.tools.XXXXXX")"
  cp "$tools/$tool"/go.mod "$tools/$tool"/go.sum "$tools/$tool"/*.go "$work/"
  (cd "$work" && mkdir out && go build -mod=readonly -trimpath -ldflags "-s -w" -o "out/$binary" .)
  source_hash "$tools/$tool" >"$work/out/.source-sha256"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest" && mv "$work/out" "$dest" && rm -rf "$work"
}

# ensure NAME TOOL BINARY DEST: builds unless DEST holds BINARY built from the current source.
ensure() {
  local name="$1" tool="$2" binary="$3" dest="$4" start=$SECONDS
  if [[ -x "$dest/$binary" && "$(cat "$dest/.source-sha256" 2>/dev/null)" == "$(source_hash "$tools/$tool")" ]]; then
    log "$name cached"
    return
  fi
  log "building $name"
  build "$tool" "$binary" "$dest"
  log "$name ready in $((SECONDS - start))s"
}

mkdir -p "$cache/tools"
# The same lock as build.sh: one Go build at a time on a small machine, and never the same one twice.
exec 9>"$cache/.build.lock"
flock 9

total_start=$SECONDS
ensure "kstatus (cli-utils $CLI_UTILS_VERSION)" kstatus berth-kstatus "$kstatus_bin"
ensure "argo-health (gopher-lua $GOPHER_LUA_VERSION)" argo-health berth-argo-health "$argo_health_bin"
log "all tools ready in $((SECONDS - total_start))s (cache: $cache/tools)"
