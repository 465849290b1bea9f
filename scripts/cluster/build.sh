#!/usr/bin/env bash
# Builds the test control plane (kube-apiserver, kube-controller-manager, kubectl, etcd) and the
# image tools (CNCF distribution registry, crane) from the Go module proxy, once, into a cache
# outside the repository keyed by version. Prints one line per component with its duration.
# Usage: scripts/cluster/build.sh [--print-dirs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"

k8s_bin="$cache/kubernetes/$KUBERNETES_VERSION/bin"
etcd_bin="$cache/etcd/$ETCD_VERSION/bin"
registry_bin="$cache/registry/$REGISTRY_VERSION/bin"
crane_bin="$cache/crane/$CRANE_VERSION/bin"

if [[ "${1:-}" == "--print-dirs" ]]; then
  printf 'KUBERNETES_BIN=%s\nETCD_BIN=%s\nREGISTRY_BIN=%s\nCRANE_BIN=%s\n' \
    "$k8s_bin" "$etcd_bin" "$registry_bin" "$crane_bin"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is not on PATH (Go >= 1.26 is required)" >&2; exit 1; }

log() { printf '[cluster-build] %s\n' "$*" >&2; }

# timed NAME CMD...: runs CMD and reports how long it took, so CI shows cold and warm costs.
timed() {
  local name="$1"; shift
  local start=$SECONDS
  "$@"
  log "$name ready in $((SECONDS - start))s"
}

# Each component builds in a scratch wrapper module and is moved into place only when complete,
# so an interrupted build never leaves a half-written binary that looks cached.
build_kubernetes() {
  local work; work="$(mktemp -d "$cache/tmp.k8s.XXXXXX")"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  (
    cd "$work"
    go mod init local/k8s-bins >/dev/null 2>&1
    go mod edit -go=1.26.0
    # k8s.io/kubernetes requires every staging module at v0.0.0 and replaces it with a local
    # path, which Go ignores in a dependency; pin each one to its published tag instead.
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' | while read -r m; do
      go mod edit -replace="$m=$m@$staging"
    done
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kubectl@$KUBERNETES_VERSION" >/dev/null
    local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
    ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
    mkdir -p out
    go build -trimpath -ldflags "$ld" -o out/ k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
  )
  mkdir -p "$(dirname "$k8s_bin")"
  rm -rf "$k8s_bin" && mv "$work/out" "$k8s_bin" && rm -rf "$work"
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
  mkdir -p "$(dirname "$etcd_bin")"
  rm -rf "$etcd_bin" && mv "$work/out" "$etcd_bin" && rm -rf "$work"
}

go_install() { # go_install DEST PACKAGE@VERSION
  local dest="$1" pkg="$2" work
  work="$(mktemp -d "$cache/tmp.install.XXXXXX")"
  GOBIN="$work" go install -trimpath -ldflags "-s -w" "$pkg"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest" && mv "$work" "$dest"
}

mkdir -p "$cache"
# A lock keeps two concurrent test runs from building the same thing twice.
exec 9>"$cache/.build.lock"
flock 9

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
