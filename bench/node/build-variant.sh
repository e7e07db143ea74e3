#!/usr/bin/env bash
# Builds a nodejs variant of the wasm package with another rustc opt-level, outside the
# repository's pkg folders and target dir, so the harness can compare it with the
# shipped build (opt-level "z") in the same way:
#   bash bench/node/build-variant.sh 3 /tmp/pkg-node-o3
#   node bench/node/decide.mjs --pkg /tmp/pkg-node-o3
# Uses the wasm-bindgen CLI and wasm-opt that scripts/build-wasm.sh uses (.ci/setup).
set -euo pipefail
cd "$(dirname "$0")/../.."
level=${1:?usage: build-variant.sh OPT_LEVEL OUT_DIR}
out=${2:?usage: build-variant.sh OPT_LEVEL OUT_DIR}
export PATH="${PERSO_TOOLS:-$HOME/.wasm-tools}/node_modules/.bin:$HOME/.cargo/bin:$PATH"
target=${PERSO_VARIANT_TARGET:-/tmp/perso-wasm-variant-$level}

CARGO_TARGET_DIR=$target CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=$level \
  cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release -p perso
rm -rf "$out"
wasm-bindgen --target nodejs --out-dir "$out" --out-name perso "$target/wasm32-unknown-unknown/wasm-release/perso.wasm"
flag=-O$level
wasm-opt "$flag" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  "$out/perso_bg.wasm" -o "$out/perso_bg.wasm"
echo "built $out (opt-level $level): $(wc -c <"$out/perso_bg.wasm" | tr -d ' ') B wasm, $(gzip -9 -c "$out/perso_bg.wasm" | wc -c | tr -d ' ') B gzip -9"
