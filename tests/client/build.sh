#!/usr/bin/env bash
# Generates edgeca's TypeScript client types from openapi/openapi.yaml with
# openapi-typescript and type-checks and compiles the client flow (flow.ts
# and the modules it imports) with tsc --strict, into OUTDIR (a build
# directory: the generated schema is never committed). A spec change that
# breaks the generated client's flow fails here.
#
# usage: build.sh SOURCE_DIR OUTDIR
# Needs tests/client/node_modules (npm ci, done by scripts/test).
set -euo pipefail
src=${1:?usage: build.sh SOURCE_DIR OUTDIR}
out=${2:?usage: build.sh SOURCE_DIR OUTDIR}
client=$src/tests/client
if [ ! -x "$client/node_modules/.bin/tsc" ]; then
  echo "build.sh: $client/node_modules is missing: run scripts/test, or npm ci in tests/client" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
ln -s "$client/node_modules" "$out/node_modules"
cp "$client"/*.ts "$client/tsconfig.json" "$out/"
printf '{"type": "module", "private": true}\n' >"$out/package.json"
"$client/node_modules/.bin/openapi-typescript" "$src/openapi/openapi.yaml" \
  -o "$out/schema.d.ts" --silent
"$client/node_modules/.bin/tsc" -p "$out/tsconfig.json"
echo "build.sh: $out/flow.js type-checked and compiled"
