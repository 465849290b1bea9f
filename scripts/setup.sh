#!/usr/bin/env bash
# One-command set-up for a fresh machine: Node 24 (from the npm registry, cached), the npm packages
# from the lockfile, and the test control plane and image tools (built from Go modules, cached).
# Prints how long each phase took. Safe to run again: warm phases take seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=lib/node.sh
source scripts/lib/node.sh

phase() { # phase NAME CMD...
  local name="$1" start=$SECONDS
  shift
  echo "[setup] $name ..." >&2
  "$@"
  echo "[setup] $name done in $((SECONDS - start))s" >&2
}

install_packages() {
  # Reinstall only when the lockfile changed since the last install.
  local stamp=node_modules/.berth-lock-hash want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node --version)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "[setup] node_modules up to date" >&2
    return
  fi
  # `npm install`, not `npm ci`: the registry this project sees serves only some of Biome's
  # per-platform packages, so the lockfile lacks the others and `npm ci` refuses it as out of sync
  # (docs/adr/001-toolchain.md). With the lockfile present, install still takes the locked versions.
  npm install --no-audit --no-fund
  echo "$want" >"$stamp"
}

phase "node $BERTH_NODE_VERSION" berth_ensure_node
phase "npm packages" install_packages
phase "control plane binaries" bash scripts/cluster/build.sh
# The end-to-end node (kubelet, kube-scheduler, kube-proxy, containerd, helm, Debian's runc and CNI
# plugins, podman) and the tools the tests check with (upstream kstatus, Argo CD's Lua runtime).
phase "node binaries" bash scripts/cluster/build-node.sh
phase "test tools" bash scripts/cluster/build-tools.sh
# berth's image and the node's pause image (podman, from local bases; warm when nothing changed).
phase "images" bash scripts/image/build.sh
