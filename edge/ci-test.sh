#!/usr/bin/env bash
# The edge worker's tests: unit tests of its pure modules in Node, then the worker in
# real workerd (Miniflare 4.20260426.0) behind a fixture origin on 127.0.0.1: the
# three scenarios over HTTP, the shared vectors, pass-through and every failure path.
# Needs the built wasm package (pkg/, pkg-node/: scripts/build-wasm.sh) and `npm ci`
# in edge/ (.ci/setup does both). Prints one summary line; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")"
export CLOUDFLARE_CF_FETCH_ENABLED=false

for built in ../pkg/perso.js ../pkg/perso_bg.wasm ../pkg-node/perso.js; do
  [ -f "$built" ] || { echo "edge tests: $built is missing; run bash scripts/build-wasm.sh first" >&2; exit 1; }
done
[ -d node_modules/miniflare ] || { echo "edge tests: run npm ci in edge/ first" >&2; exit 1; }

files=(test/units.test.js test/scenarios.test.js test/robustness.test.js test/never-break.test.js test/bundle-fetch.test.js test/endpoints.test.js test/state-cookie.test.js test/privacy.test.js test/package.test.js)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$log" "${files[@]}" || status=$?

count() { grep -E "^# $1 " "$log" | tail -1 | awk '{print $3}'; }
tests=$(count tests) pass=$(count pass) fail=$(count fail)
echo "edge tests: ${tests:-0} run, ${pass:-0} passed, ${fail:-?} failed (${#files[@]} files, workerd via miniflare 4.20260426.0)"
if [ "$status" -ne 0 ] || [ "${fail:-1}" != "0" ] || [ "${tests:-0}" = "0" ]; then
  exit 1
fi
