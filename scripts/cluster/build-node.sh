#!/usr/bin/env bash
# Builds a real node for end-to-end tests (kubelet, kube-scheduler, kube-proxy, containerd, ctr,
# containerd-shim-runc-v2) and helm from the Go module proxy, once, into a cache outside the
# repository keyed by version, and makes sure the Debian packages the node needs are installed
# (runc, CNI plugins, iptables, iproute2, podman). Prints one line per component with its duration.
# See /work/shared/design/kubelet-node.md for how the node is configured and run.
# Usage: scripts/cluster/build-node.sh [--print-dirs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"

# A directory of its own, so the control plane's cached kubernetes/<version>/bin stays valid.
node_bin="$cache/kubernetes-node/$KUBERNETES_VERSION/bin"
containerd_bin="$cache/containerd/$CONTAINERD_VERSION/bin"
helm_bin="$cache/helm/$HELM_VERSION/bin"
cni_bin=/usr/lib/cni # from the Debian package containernetworking-plugins

if [[ "${1:-}" == "--print-dirs" ]]; then
  printf 'KUBERNETES_NODE_BIN=%s\nCONTAINERD_BIN=%s\nHELM_BIN=%s\nCNI_BIN=%s\n' \
    "$node_bin" "$containerd_bin" "$helm_bin" "$cni_bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-node.sh: go is not on PATH (Go >= 1.26 is required)" >&2; exit 1; }

log() { printf '[node-build] %s\n' "$*" >&2; }

# timed NAME CMD...: runs CMD and reports how long it took, so CI shows cold and warm costs.
timed() {
  local name="$1"; shift
  local start=$SECONDS
  "$@"
  log "$name ready in $((SECONDS - start))s"
}

# Scratch wrapper modules are removed on exit, also those of builds that did not finish.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
new_scratch() { # new_scratch NAME: sets work to a fresh scratch directory under the cache
  work="$(mktemp -d "$cache/tmp.$1.XXXXXX")"
  scratch+=("$work")
}

# check_version BIN EXPECTED ARGS...: fails unless `BIN ARGS...` prints EXPECTED, so a binary whose
# version stamp did not take is never moved into the cache.
check_version() {
  local bin="$1" want="$2" out; shift 2
  out="$("$bin" "$@" 2>&1)" || { log "$bin $* failed: $out"; return 1; }
  [[ "$out" == *"$want"* ]] || { log "$bin $* printed '$out', expected $want"; return 1; }
}

# install_dir WORK/out DEST: moves a finished build into place in one rename.
install_dir() {
  mkdir -p "$(dirname "$2")"
  rm -rf "$2" && mv "$1" "$2"
}

# --- Debian packages ------------------------------------------------------------------------
# runc and the CNI plugins are what containerd runs Pods with; kubelet and the CNI bridge plugin
# need iptables and iproute2; podman builds the sandbox ("pause") image and berth's own image.
node_packages=(runc containernetworking-plugins iptables iproute2 podman)

missing_packages() { # prints the packages of node_packages that are not installed, one a line
  local p
  for p in "${node_packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || echo "$p"
  done
}

ensure_packages() {
  command -v dpkg-query >/dev/null || { log "not a Debian system: install ${node_packages[*]} yourself"; return 1; }
  local missing; mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    log "debian packages present (${node_packages[*]})"
    return
  fi
  local -a as_root=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { log "missing ${missing[*]} and not root: install them as root"; return 1; }
    as_root=(sudo -n)
  fi
  log "installing ${missing[*]} with apt-get (the machine's configured sources)"
  local start=$SECONDS before after
  before="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort)"
  # apt-get writes progress to stdout; keep this script's stdout clean for callers.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq update >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
    -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "${missing[@]}" >&2
  after="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort)"
  local added; added="$(comm -13 <(echo "$before") <(echo "$after") | paste -sd' ' -)"
  local still; mapfile -t still < <(missing_packages)
  ((${#still[@]} == 0)) || { log "still missing after apt-get: ${still[*]}"; return 1; }
  log "apt-get installed ${missing[*]} in $((SECONDS - start))s (all new packages: ${added:-none})"
}

# --- Go builds ------------------------------------------------------------------------------
# Each component builds in a scratch wrapper module and is moved into place only when complete,
# so an interrupted build never leaves a half-written binary that looks cached.

# The same wrapper module as build.sh's kube-apiserver: k8s.io/kubernetes requires every staging
# module at v0.0.0 and replaces it with a local path, which Go ignores in a dependency; pin each one
# to its published tag instead. Same -X version flags, so `--version` prints the pinned version.
build_kubernetes_node() {
  local work; new_scratch k8s-node
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local cmds=(kubelet kube-scheduler kube-proxy) pkgs=() tools=() c
  for c in "${cmds[@]}"; do
    pkgs+=("k8s.io/kubernetes/cmd/$c")
    tools+=("k8s.io/kubernetes/cmd/$c@$KUBERNETES_VERSION")
  done
  (
    cd "$work"
    go mod init local/k8s-node-bins >/dev/null 2>&1
    go mod edit -go=1.26.0
    local gomod
    gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' | while read -r m; do
      go mod edit -replace="$m=$m@$staging"
    done
    go get -tool "${tools[@]}" >/dev/null
    local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
    ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
    mkdir -p out
    go build -trimpath -ldflags "$ld" -o out/ "${pkgs[@]}"
    for c in "${cmds[@]}"; do check_version "out/$c" "Kubernetes $KUBERNETES_VERSION" --version; done
  )
  install_dir "$work/out" "$node_bin"
}

# containerd has its own wrapper: its dependency graph (k8s.io/* v0.37, grpc, otel) differs from
# Kubernetes 1.36's and must not raise the versions inside it. The tags leave out snapshotters that
# need cgo or kernel modules the node does not use (it runs overlayfs).
build_containerd() {
  local work; new_scratch containerd
  local mod=github.com/containerd/containerd/v2
  local cmds=(containerd ctr containerd-shim-runc-v2) pkgs=() tools=() c
  for c in "${cmds[@]}"; do
    pkgs+=("$mod/cmd/$c")
    tools+=("$mod/cmd/$c@$CONTAINERD_VERSION")
  done
  (
    cd "$work"
    go mod init local/containerd-bins >/dev/null 2>&1
    go mod edit -go=1.26.0 # `go get` raises it to what containerd's go.mod asks for
    go get -tool "${tools[@]}" >/dev/null
    # As upstream's Makefile stamps a release (Version from `git describe`); Package is the default.
    local ld="-s -w -X $mod/version.Version=$CONTAINERD_VERSION"
    mkdir -p out
    go build -trimpath -tags "no_btrfs no_devmapper no_zfs no_aufs" -ldflags "$ld" -o out/ "${pkgs[@]}"
    check_version out/containerd "containerd $mod $CONTAINERD_VERSION" --version
    check_version out/ctr "ctr $mod $CONTAINERD_VERSION" --version
    check_version out/containerd-shim-runc-v2 "$CONTAINERD_VERSION" -v
  )
  install_dir "$work/out" "$containerd_bin"
}

# helm v3 in a wrapper of its own (it builds against k8s.io/* v0.37). The -X flags are those of
# helm's Makefile: the version, and the Kubernetes version `helm template` and `helm lint` assume
# when no cluster is asked (derived, as upstream does, from the client-go version helm uses).
build_helm() {
  local work; new_scratch helm
  local mod=helm.sh/helm/v3
  (
    cd "$work"
    go mod init local/helm-bin >/dev/null 2>&1
    go mod edit -go=1.26.0
    go get -tool "$mod/cmd/helm@$HELM_VERSION" >/dev/null
    local cg kmajor kminor
    cg="$(go list -m -f '{{.Version}}' k8s.io/client-go)" # v0.X.Y goes with Kubernetes v1.X
    cg="${cg#v}"; kmajor=$((${cg%%.*} + 1)); kminor="${cg#*.}"; kminor="${kminor%%.*}"
    local ld="-s -w -X $mod/internal/version.version=$HELM_VERSION"
    ld+=" -X $mod/internal/version.gitTreeState=clean"
    ld+=" -X $mod/pkg/lint/rules.k8sVersionMajor=$kmajor -X $mod/pkg/lint/rules.k8sVersionMinor=$kminor"
    ld+=" -X $mod/pkg/chartutil.k8sVersionMajor=$kmajor -X $mod/pkg/chartutil.k8sVersionMinor=$kminor"
    mkdir -p out
    go build -trimpath -ldflags "$ld" -o out/helm "$mod/cmd/helm"
    HOME="$work" check_version out/helm "$HELM_VERSION" version --template '{{.Version}}'
  )
  install_dir "$work/out" "$helm_bin"
}

mkdir -p "$cache"
# The same lock as build.sh: two runs never build the same thing twice, and never two heavy Go
# builds at once.
exec 9>"$cache/.build.lock"
flock 9

total_start=$SECONDS
timed "debian packages" ensure_packages
if [[ -x "$node_bin/kubelet" && -x "$node_bin/kube-scheduler" && -x "$node_bin/kube-proxy" ]]; then
  log "kubelet, kube-scheduler, kube-proxy $KUBERNETES_VERSION cached"
else
  log "building kubelet, kube-scheduler, kube-proxy $KUBERNETES_VERSION"
  timed "kubelet, kube-scheduler, kube-proxy $KUBERNETES_VERSION" build_kubernetes_node
fi
if [[ -x "$containerd_bin/containerd" && -x "$containerd_bin/ctr" && -x "$containerd_bin/containerd-shim-runc-v2" ]]; then
  log "containerd $CONTAINERD_VERSION cached"
else
  log "building containerd, ctr, containerd-shim-runc-v2 $CONTAINERD_VERSION"
  timed "containerd $CONTAINERD_VERSION" build_containerd
fi
if [[ -x "$helm_bin/helm" ]]; then log "helm $HELM_VERSION cached"; else
  log "building helm $HELM_VERSION"; timed "helm $HELM_VERSION" build_helm; fi
log "node binaries ready in $((SECONDS - total_start))s (cache: $cache)"
