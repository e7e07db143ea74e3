#!/usr/bin/env bash
# Runs every test of the repository, in the order a failure is cheapest to find:
# native (unit, conformance, scenarios, CLI), then the wasm package in Node and in
# headless Chromium, then the Node tests of the built package, then each host
# folder's own suite (browser runtime end-to-end, edge worker). Installs what is
# missing first (.ci/setup). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
export PATH="${PERSO_TOOLS:-$HOME/.wasm-tools}/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n=== %s ===\n' "$*"; }

step "format (cargo fmt --all --check)"
cargo fmt --all --check
step "lints (cargo clippy --workspace --all-targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -q -- -D warnings

step "native tests (cargo test --workspace)"
cargo test --workspace --locked 2>&1 | grep -vE '^\s+(Compiling|Downloaded|Downloading)'

step "property tests, all ~130,000 cases (optimized, overflow checks and debug assertions on)"
PERSO_PROPERTY_SCALE=1 cargo test --profile checked --locked -p perso-core --test properties 2>&1 \
  | grep -vE '^\s+(Compiling|Downloaded|Downloading)'

step "build the wasm package (web + nodejs) and size report"
bash scripts/build-wasm.sh

step "wasm-bindgen tests in Node"
out=$(wasm-pack test --node --features full 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^(test |running )|test result'
echo "$out" | grep -qE 'test result: ok\. [1-9][0-9]* passed' || { echo "no wasm test ran under Node" >&2; exit 1; }

step "wasm-bindgen tests in headless Chromium"
out=$(wasm-pack test --headless --chrome --features full 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^(test |running )|test result'
echo "$out" | grep -qE 'test result: ok\. [1-9][0-9]* passed' || { echo "no wasm test ran in Chromium" >&2; exit 1; }

step "Node tests of the built package, and the playground in headless Chromium"
node --test tests/node/ tests/e2e/

step "perso against hand-written JS closures on the benchmark workload (decisions must agree)"
cargo run -q --release --locked -p perso-core --example gen_workload -- target/bench
node bench/node/decide.mjs target/bench --check

for suite in js edge; do
  if [ -f "$suite/ci-test.sh" ]; then
    step "$suite tests"
    bash "$suite/ci-test.sh"
  fi
done

step "all tests passed"
