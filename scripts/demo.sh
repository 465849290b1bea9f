#!/usr/bin/env bash
# The demo command (README): set-up as for the tests, then berth end to end on a local control
# plane with the provider simulators. Pass --keep to leave it running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" >&2
exec bash "$root/scripts/run.sh" node "$root/scripts/demo.ts" "$@"
