#!/usr/bin/env bash
# node-cleanup.sh NODE_DIR [BRIDGE]
# Undoes everything a test node (kubelet, containerd, kube-proxy; test/cluster/node.ts) leaves on
# the host, so the machine is as it was found: the daemons and their shims, mounts under NODE_DIR
# and the Pods' network namespaces, the `kubepods` cgroup trees, the CNI bridge, and the iptables
# chains kubelet and kube-proxy add. Safe to run again, and on a node that never started (a killed
# run's leftovers are cleaned before the next start). Needs root.
set -uo pipefail
dir="${1:?usage: node-cleanup.sh NODE_DIR [BRIDGE]}"
bridge="${2:-berth-e2e0}"
cache="${BERTH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}"

# 1. Processes started from the cache for this node (kubelet, kube-proxy, containerd, shims). The
#    shims are the containers' parents: they go last so containerd can stop them first.
stop_matching() { # stop_matching PATTERN
  local pids
  pids="$(pgrep -f -- "$1" || true)"
  [[ -z "$pids" ]] && return 0
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 50); do pgrep -f -- "$1" >/dev/null || return 0; sleep 0.1; done
  kill -KILL $(pgrep -f -- "$1") 2>/dev/null || true
}
stop_matching "$cache/kubernetes-node/.*/kubelet .*--root-dir=$dir"
stop_matching "$cache/kubernetes-node/.*/kube-proxy .*$dir"
stop_matching "$cache/containerd/.*/containerd --config $dir"
stop_matching "containerd-shim-runc-v2 .*-address $dir"
# The containers themselves, should a shim have died before them.
for state in "$dir"/containerd/state/io.containerd.runtime.v2.task/*/*/; do
  [[ -d "$state" ]] || continue
  id="$(basename "$state")"
  runc --root "$dir/runc" kill "$id" KILL 2>/dev/null || true
  runc --root "$dir/runc" delete --force "$id" 2>/dev/null || true
done

# 2. Mounts under the node folder (overlays, shm, secrets, projected volumes) and the Pods'
#    network namespaces, deepest first.
findmnt -rn -o TARGET | grep -F -- "$dir/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
# containerd names them cni-<uuid>; on a test machine nothing else makes namespaces of that name.
for ns in /run/netns/cni-*; do
  [[ -e "$ns" ]] || continue
  umount -l "$ns" 2>/dev/null || true
  rm -f "$ns"
done

# 3. cgroups kubelet made (cgroupfs driver): every hierarchy's kubepods tree, deepest first.
for root in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
  for tree in "$root"kubepods "$root"kubepods.slice; do
    [[ -d "$tree" ]] && find "$tree" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done

# 4. The bridge and the iptables chains of kubelet and kube-proxy (and our masquerade rule).
ip link del "$bridge" 2>/dev/null || true
for cmd in iptables ip6tables; do
  command -v "$cmd" >/dev/null || continue
  for table in filter nat mangle; do
    # First every jump into a KUBE-* chain from the built-in chains, then the chains themselves.
    "$cmd" -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | sed 's/^-A/-D/' | while read -r rule; do
      eval "$cmd -t $table $rule" 2>/dev/null || true
    done
    chains="$("$cmd" -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}')"
    for c in $chains; do "$cmd" -t "$table" -F "$c" 2>/dev/null || true; done
    for c in $chains; do "$cmd" -t "$table" -X "$c" 2>/dev/null || true; done
  done
done
iptables -t nat -S POSTROUTING 2>/dev/null | grep -F -- "berth-e2e" | sed 's/^-A/-D/' | while read -r rule; do
  eval "iptables -t nat $rule" 2>/dev/null || true
done

# 5. Kernel settings kubelet, kube-proxy and the bridge plugin changed: back to what node.ts saved
#    before the start (NODE_DIR/sysctls: `key value` lines, key as under /proc/sys).
if [[ -f "$dir/sysctls" ]]; then
  while read -r key value; do
    [[ -n "$key" && -w "/proc/sys/$key" ]] || continue
    [[ "$(cat "/proc/sys/$key")" == "$value" ]] || echo "$value" >"/proc/sys/$key" 2>/dev/null || true
  done <"$dir/sysctls"
fi

# 6. Folders the daemons write outside their configured roots, but only those that did not exist
#    before the node started (node.ts lists them in NODE_DIR/created-outside).
if [[ -f "$dir/created-outside" ]]; then
  while read -r path; do
    [[ -n "$path" && -e "$path" ]] || continue
    # /run/netns is a bind mount onto itself once containerd made a network namespace.
    findmnt -rn -o TARGET | grep -Fx -- "$path" >/dev/null && umount -l "$path" 2>/dev/null
    rm -rf -- "$path"
  done <"$dir/created-outside"
fi
rm -rf "$dir" 2>/dev/null || true
exit 0
