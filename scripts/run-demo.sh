#!/usr/bin/env bash
# README's run command: installs what is missing, builds the wasm package and serves
# the demo on http://127.0.0.1:8080 with the default bundle (www/bundle.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
bash scripts/build-wasm.sh
exec node scripts/serve.mjs --port "${PORT:-8080}"
