#!/usr/bin/env bash
# README's run command: installs what is missing, builds the wasm package and serves
# the Gizmos demo storefront on http://127.0.0.1:8080 with the default bundle
# (www/bundle.json), signed at start-up with an ephemeral key, and the engine
# playground at /playground/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
bash scripts/build-wasm.sh
exec node js/serve.mjs --port "${PORT:-8080}"
