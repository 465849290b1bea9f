# Shared by scripts/cluster/build.sh and build-node.sh: the build cache, the Go environment, timing
# and the one wrapper-module build of Kubernetes commands both need. Source it after defining log().
# shellcheck shell=bash

cache="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"

# require_go SCRIPT: fails with a clear message when go is missing.
require_go() {
  command -v go >/dev/null || { echo "$1: go is not on PATH (Go >= 1.26 is required)" >&2; exit 1; }
}

# timed NAME CMD...: runs CMD and reports how long it took, so CI shows cold and warm costs.
timed() {
  local name="$1"; shift
  local start=$SECONDS
  "$@"
  log "$name ready in $((SECONDS - start))s"
}

# install_dir WORK/out DEST: moves a finished build into place in one rename, so an interrupted
# build never leaves a half-written binary that looks cached.
install_dir() {
  mkdir -p "$(dirname "$2")"
  rm -rf "$2" && mv "$1" "$2"
}

# lock_build_cache: one build at a time on the cache (two concurrent test runs never build the
# same thing twice, and never two heavy Go builds at once). Held until the script exits.
lock_build_cache() {
  mkdir -p "$cache"
  exec 9>"$cache/.build.lock"
  flock 9
}

# build_kubernetes_cmds WORK MODULE-NAME CMD...: builds k8s.io/kubernetes/cmd/CMD at
# $KUBERNETES_VERSION into WORK/out, in WORK as a wrapper module. k8s.io/kubernetes requires every
# staging module at v0.0.0 and replaces it with a local path, which Go ignores in a dependency; so
# each one is pinned to its published tag. The -X flags stamp the version `--version` prints.
build_kubernetes_cmds() {
  local work="$1" module="$2"; shift 2
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local pkgs=() tools=() c
  for c in "$@"; do
    pkgs+=("k8s.io/kubernetes/cmd/$c")
    tools+=("k8s.io/kubernetes/cmd/$c@$KUBERNETES_VERSION")
  done
  (
    cd "$work"
    go mod init "$module" >/dev/null 2>&1
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
  )
}
