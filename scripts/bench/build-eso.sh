#!/usr/bin/env bash
# Builds External Secrets Operator, the benchmark's peer (`npm run bench -- --peer eso`), from the
# Go module proxy, once, into the build cache keyed by version: the controller binary as upstream's
# Makefile builds it (CGO off, main.go of the module) and the module's own CRDs beside it. The
# build runs at the lowest CPU priority: it is a large one (every provider SDK) on a shared machine.
# Usage: scripts/bench/build-eso.sh [--print-dirs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[eso-build] %s\n' "$*" >&2; }
# shellcheck source=../lib/go-build.sh
source "$here/../lib/go-build.sh"

# The release the issue's figures were taken with; bumping it builds a new cache entry.
ESO_VERSION="${ESO_VERSION:-v0.16.2}"
ESO_MODULE=github.com/external-secrets/external-secrets
eso_dir="$cache/external-secrets/$ESO_VERSION"

if [[ "${1:-}" == "--print-dirs" ]]; then
  printf 'ESO_BIN=%s\nESO_CRDS=%s\n' "$eso_dir/bin" "$eso_dir/crds"
  exit 0
fi

require_go build-eso.sh

# The module replaces sprig with ESO's fork, and `go install module@version` refuses a module with
# replace directives; so the build runs in a writable copy of the module itself, which keeps them.
work=""
trap '[[ -z "$work" ]] || rm -rf "$work"' EXIT
build_eso() {
  local src
  work="$(mktemp -d "$cache/tmp.eso.XXXXXX")"
  src="$(go mod download -json "$ESO_MODULE@$ESO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [[ -d "$src" ]] || { log "go mod download did not give a directory for $ESO_MODULE@$ESO_VERSION"; return 1; }
  cp -R "$src" "$work/src" && chmod -R u+w "$work/src"
  mkdir -p "$work/out/bin" "$work/out/crds"
  (cd "$work/src" && nice -n 19 go build -trimpath -ldflags "-s -w" -o "$work/out/bin/external-secrets" .)
  cp "$src"/config/crds/bases/*.yaml "$work/out/crds/"
  "$work/out/bin/external-secrets" --help >/dev/null
  install_dir "$work/out" "$eso_dir"
}

lock_build_cache
if [[ -x "$eso_dir/bin/external-secrets" && -d "$eso_dir/crds" ]]; then
  log "external-secrets $ESO_VERSION cached"
else
  log "building external-secrets $ESO_VERSION (cold: many minutes on 2 cores, at nice 19)"
  timed "external-secrets $ESO_VERSION" build_eso
fi
