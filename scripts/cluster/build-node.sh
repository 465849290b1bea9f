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
log() { printf '[node-build] %s\n' "$*" >&2; }
# shellcheck source=../lib/go-build.sh
source "$here/../lib/go-build.sh"

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

require_go build-node.sh

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

# The same wrapper-module build as build.sh's control plane (scripts/lib/go-build.sh).
build_kubernetes_node() {
  local work; new_scratch k8s-node
  local cmds=(kubelet kube-scheduler kube-proxy) c
  build_kubernetes_cmds "$work" local/k8s-node-bins "${cmds[@]}"
  for c in "${cmds[@]}"; do check_version "$work/out/$c" "Kubernetes $KUBERNETES_VERSION" --version; done
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

lock_build_cache

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
