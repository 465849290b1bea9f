#!/usr/bin/env bash
# guard.sh PARENT_PID COMMAND [ARGS...]
# Runs COMMAND and ends it when PARENT_PID goes away (0: never), so a test run that is killed or
# interrupted leaves no etcd or kube-apiserver behind. SIGTERM to the guard stops COMMAND gracefully.
set -u
parent="$1"
shift
"$@" &
child=$!
stop_child() {
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$child" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$child" 2>/dev/null
}
trap 'stop_child; exit 0' TERM INT HUP
while kill -0 "$child" 2>/dev/null; do
  if [[ "$parent" != 0 ]] && ! kill -0 "$parent" 2>/dev/null; then
    stop_child
    exit 0
  fi
  sleep 1 &
  wait $!
done
wait "$child"
