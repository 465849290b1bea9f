#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kube-controller-manager, kubectl, etcd) and the
# image tools (CNCF distribution registry, crane) from the Go module proxy, once, into a cache
# outside the repository keyed by version. Prints one line per component with its duration.
# Usage: scripts/cluster/build.sh [--print-dirs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
log() { printf '[cluster-build] %s\n' "$*" >&2; }
# shellcheck source=../lib/go-build.sh
source "$here/../lib/go-build.sh"

k8s_bin="$cache/kubernetes/$KUBERNETES_VERSION/bin"
etcd_bin="$cache/etcd/$ETCD_VERSION/bin"
registry_bin="$cache/registry/$REGISTRY_VERSION/bin"
crane_bin="$cache/crane/$CRANE_VERSION/bin"

if [[ "${1:-}" == "--print-dirs" ]]; then
  printf 'KUBERNETES_BIN=%s\nETCD_BIN=%s\nREGISTRY_BIN=%s\nCRANE_BIN=%s\n' \
    "$k8s_bin" "$etcd_bin" "$registry_bin" "$crane_bin"
  exit 0
fi

require_go build.sh

# Each component builds in a scratch wrapper module and is moved into place only when complete,
# so an interrupted build never leaves a half-written binary that looks cached.
build_kubernetes() {
  local work; work="$(mktemp -d "$cache/tmp.k8s.XXXXXX")"
  build_kubernetes_cmds "$work" local/k8s-bins kube-apiserver kube-controller-manager kubectl
  install_dir "$work/out" "$k8s_bin" && rm -rf "$work"
}

build_etcd() {
  local work; work="$(mktemp -d "$cache/tmp.etcd.XXXXXX")"
  (
    cd "$work"
    go mod init local/etcd-bins >/dev/null 2>&1
    go mod edit -go=1.26.0
    # A separate wrapper: etcd's server graph would otherwise raise grpc/otel inside the apiserver's.
    go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
    mkdir -p out
    go build -trimpath -ldflags "-s -w" -o out/etcd go.etcd.io/etcd/server/v3
  )
  install_dir "$work/out" "$etcd_bin" && rm -rf "$work"
}

go_install() { # go_install DEST PACKAGE@VERSION
  local dest="$1" pkg="$2" work
  work="$(mktemp -d "$cache/tmp.install.XXXXXX")"
  GOBIN="$work" go install -trimpath -ldflags "-s -w" "$pkg"
  install_dir "$work" "$dest"
}

lock_build_cache

total_start=$SECONDS
if [[ -x "$k8s_bin/kube-apiserver" && -x "$k8s_bin/kube-controller-manager" && -x "$k8s_bin/kubectl" ]]; then
  log "kubernetes $KUBERNETES_VERSION cached"
else
  log "building kubernetes $KUBERNETES_VERSION (cold: about 6 min on 2 cores with an empty Go cache)"
  timed "kubernetes $KUBERNETES_VERSION" build_kubernetes
fi
if [[ -x "$etcd_bin/etcd" ]]; then log "etcd $ETCD_VERSION cached"; else
  log "building etcd $ETCD_VERSION"; timed "etcd $ETCD_VERSION" build_etcd; fi
if [[ -x "$registry_bin/registry" ]]; then log "registry $REGISTRY_VERSION cached"; else
  log "building registry $REGISTRY_VERSION"
  timed "registry $REGISTRY_VERSION" go_install "$registry_bin" \
    "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"; fi
if [[ -x "$crane_bin/crane" ]]; then log "crane $CRANE_VERSION cached"; else
  log "building crane $CRANE_VERSION"
  timed "crane $CRANE_VERSION" go_install "$crane_bin" \
    "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"; fi
log "all binaries ready in $((SECONDS - total_start))s (cache: $cache)"
