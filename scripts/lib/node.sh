# Sourced by the project's scripts: makes Node 24 LTS the `node` on PATH.
# The machine's Node may be older (20 is end of life and too old for undici 8 and vitest), so the
# project installs its own from the npm registry's per-platform `node-<os>-<arch>` package (the
# binary that the `node` package itself installs) into a cache outside the repository, keyed by
# version. Only the machine's npm and its configured registry are used.
BERTH_NODE_VERSION="${BERTH_NODE_VERSION:-24.21.0}"
berth_cache_dir="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"

berth_node_platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS $(uname -s)" >&2; return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "unsupported CPU $(uname -m)" >&2; return 1 ;; esac
  printf '%s-%s' "$os" "$arch"
}

berth_ensure_node() {
  local platform dir
  platform="$(berth_node_platform)" || return 1
  dir="$berth_cache_dir/node/v$BERTH_NODE_VERSION-$platform"
  if [[ ! -x "$dir/bin/node" ]]; then
    command -v npm >/dev/null || { echo "npm is needed to install Node $BERTH_NODE_VERSION" >&2; return 1; }
    echo "[setup] installing Node $BERTH_NODE_VERSION ($platform) into $dir" >&2
    local work
    mkdir -p "$berth_cache_dir/node"
    work="$(mktemp -d "$berth_cache_dir/node/tmp.XXXXXX")"
    # `npm pack` fetches the tarball without running install scripts: nothing outside the cache changes.
    (cd "$work" && npm pack --silent "node-$platform@$BERTH_NODE_VERSION" >/dev/null && tar xzf ./*.tgz) || { rm -rf "$work"; return 1; }
    rm -rf "$dir" && mv "$work/package" "$dir" && rm -rf "$work"
  fi
  export PATH="$dir/bin:$PATH"
  local got
  got="$(node --version)"
  [[ "$got" == "v$BERTH_NODE_VERSION" ]] || { echo "expected node v$BERTH_NODE_VERSION on PATH, got $got" >&2; return 1; }
}
