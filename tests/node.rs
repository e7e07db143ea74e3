//! wasm-bindgen tests under Node (`wasm-pack test --node`): the same checks as
//! tests/web.rs, so both hosts of the package are proven alike.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[path = "wasm_common/mod.rs"]
mod common;

#[wasm_bindgen_test]
fn gizmos_scenarios_in_node() {
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
