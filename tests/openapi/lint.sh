#!/usr/bin/env bash
# Lints openapi/openapi.yaml and openapi/est.yaml with the pinned Redocly
# CLI (tests/client/node_modules) and openapi/redocly.yaml. Fails on any
# error and on any warning: redocly exits 0 on warnings, so its summary is
# checked too (openapi/redocly.yaml extends recommended-strict, which makes
# the recommended rules errors; a rule set to `warn` there would still
# fail here).
#
# usage: lint.sh SOURCE_DIR
# Needs tests/client/node_modules (npm ci, done by scripts/test).
set -euo pipefail
src=$(cd "${1:?usage: lint.sh SOURCE_DIR}" && pwd)
redocly=$src/tests/client/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
  echo "lint.sh: $redocly is missing: run scripts/test, or npm ci in tests/client" >&2
  exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
cd "$src"
rc=0
out=$("$redocly" lint --config openapi/redocly.yaml openapi/openapi.yaml openapi/est.yaml 2>&1) \
  || rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
  echo "lint.sh: redocly lint failed (exit $rc)" >&2
  exit 1
fi
if printf '%s\n' "$out" | grep -Eq 'You have [0-9]+ warnings?'; then
  echo "lint.sh: redocly lint warned" >&2
  exit 1
fi
echo "lint.sh: openapi.yaml and est.yaml lint clean"
