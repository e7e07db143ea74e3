#!/usr/bin/env bash
# Browser runtime tests: end to end in real headless Chromium (playwright-core with
# /usr/bin/chromium) against the demo storefront served by js/serve.mjs; the npm
# tarball in a Vite + React app (bundlers.test.mjs), consent platforms, Shopify's
# theme app extension, and in Node the OpenFeature provider, the consent decoder and
# the types. Needs the wasm package in pkg/ (scripts/build-wasm.sh) and `npm ci` in js/
# and js/test/fixtures/vite-react/ (.ci/setup does both).
set -euo pipefail
cd "$(dirname "$0")"
[ -f ../pkg/perso.js ] || { echo "js tests: ../pkg/perso.js is missing; run scripts/build-wasm.sh first" >&2; exit 1; }
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
# The Vite + React fixture app's registry packages (the perso tarball goes in during the test).
[ -d test/fixtures/vite-react/node_modules/vite ] || (cd test/fixtures/vite-react && npm ci --no-audit --no-fund --loglevel=error)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
node --test --test-reporter=spec test/*.test.mjs 2>&1 | tee "$out" || status=$?
pass=$(grep -Eo '^ℹ pass [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0)
fail=$(grep -Eo '^ℹ fail [0-9]+' "$out" | grep -Eo '[0-9]+' || echo "?")
echo "js (browser runtime): ${pass} passed, ${fail} failed"
if [ "$status" -ne 0 ] || [ "$pass" = "0" ]; then exit 1; fi
