#!/usr/bin/env bash
# Runs a command with the project's Node 24 first on PATH, installing it on first use.
# Every npm script goes through this, so `npm test` works even when npm was started by an older Node.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/node.sh
source "$here/lib/node.sh"
berth_ensure_node
export PATH="$here/../node_modules/.bin:$PATH"
exec "$@"
