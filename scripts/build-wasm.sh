#!/usr/bin/env bash
# Builds the WebAssembly package with wasm-pack, with the size-oriented `wasm-release`
# profile and wasm-opt from the pinned binaryen (see .ci/setup):
#   pkg/       the lean engine (--target web): what pages and edge workers load
#   pkg-full/  the full build (--target web, --features full): compile JSON bundles,
#              explain, applyRule — the playground and the debug overlay, on demand
#   pkg-node/  the full build for Node (--target nodejs): tools, servers, checkouts
# then prints the size report (raw and gzip -9 of the lean .wasm and its JS glue).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${PERSO_TOOLS:-$HOME/.wasm-tools}/node_modules/.bin:$HOME/.cargo/bin:$PATH"

build() {
  local target=$1 out=$2 log
  shift 2
  log=$(mktemp)
  if ! wasm-pack build --no-pack --target "$target" --out-dir "$out" --out-name perso --profile wasm-release . "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build-wasm: wasm-pack --target $target failed" >&2
    exit 1
  fi
  rm -f "$log"
}
build web pkg
build web pkg-full --features full
build nodejs pkg-node --features full
node scripts/write-pkg-manifests.mjs

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
wasm=pkg/perso_bg.wasm glue=pkg/perso.js
total_gz=$(( $(gz "$wasm") + $(gz "$glue") ))
echo "wasm size: perso_bg.wasm $(size "$wasm") B raw, $(gz "$wasm") B gzip -9; perso.js glue $(size "$glue") B raw, $(gz "$glue") B gzip -9; engine total $total_gz B gzip -9 (budget 40960)"
if [ "$total_gz" -gt 40960 ]; then
  echo "wasm size: OVER the 40 KB gzip budget" >&2
fi

# The browser runtime as it ships (one minified module beside the wasm): js/dist/.
node js/scripts/build.mjs
