//! wasm-bindgen tests in real headless Chromium (`wasm-pack test --headless --chrome`):
//! the JS-facing API end to end, and the shared Gizmos scenario vectors replayed
//! through the same exports a page uses, with plain JS objects in and out.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "wasm_common/mod.rs"]
mod common;

#[wasm_bindgen_test]
fn gizmos_scenarios_in_the_browser() {
    let checked = common::replay_vectors();
    assert!(checked >= 10, "only {checked} decisions replayed");
}

#[wasm_bindgen_test]
fn errors_are_records_with_codes_and_fields() {
    common::bad_bundles_are_error_records();
    common::bad_context_is_an_error_record();
}

#[wasm_bindgen_test]
fn apply_rule_takes_and_returns_plain_values() {
    common::apply_rule_matches_json_logic();
}

#[wasm_bindgen_test]
fn the_url_rule_and_limits_are_the_engine_s() {
    assert!(perso::safe_url("/category/audio"));
    assert!(!perso::safe_url("/\\evil.test"));
    assert_eq!(perso::limit("MAX_BUNDLE_BYTES"), 1_048_576.0);
}
