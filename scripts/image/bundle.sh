#!/bin/sh
# berth as one ESM file, as the container image runs it: `sh scripts/image/bundle.sh OUTDIR` writes
# OUTDIR/main.mjs and OUTDIR/THIRD-PARTY-LICENSES.txt. The Dockerfile's build stage and the
# benchmarks (bench/lib/operator.ts) both call this, so what is measured is what ships.
#
# esbuild strips the types (as Node does in development) and pulls in every dependency, so the
# runtime does no TypeScript work and resolves no modules. The banner gives CommonJS dependencies
# bundled into ESM a real `require` for Node's built-ins. Syntax is minified, identifiers and line
# breaks are kept, so stack traces stay readable. Needs scripts/image/bundler installed (npm ci).
set -eu
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
mkdir -p "$out"
node scripts/image/bundler/node_modules/esbuild/bin/esbuild src/main.ts \
  --bundle --platform=node --target=node24 --format=esm \
  --minify-syntax --legal-comments=eof --log-level=warning \
  --banner:js="import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" \
  --metafile="$out/meta.json" --outfile="$out/main.mjs"
node scripts/image/licenses.ts "$out/meta.json" >"$out/THIRD-PARTY-LICENSES.txt"
# esbuild escapes non-ASCII characters in strings and regular expressions but keeps some comments
# verbatim (undici's "response’s"); one such character makes V8 hold the whole 7.6 MB source as a
# two-byte string, 15 MB of heap. Only comments are left to touch, so they get a plain '?'.
node -e 'const fs = require("node:fs"); const f = process.argv[1];
  fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/[^\x00-\x7f]/g, "?"));' "$out/main.mjs"
node --check "$out/main.mjs"
rm "$out/meta.json"
