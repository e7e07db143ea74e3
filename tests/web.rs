//! wasm-bindgen tests in real headless Chromium (`wasm-pack test --headless --chrome`):
//! the JS-facing API end to end, and the shared Gizmos scenario vectors replayed
//! through the same exports a page uses, with plain JS objects in and out.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
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
fn errors_are_js_errors_with_code_and_path() {
    common::bad_bundle_is_a_js_error();
    common::bad_context_is_a_js_error();
}

#[wasm_bindgen_test]
fn apply_rule_takes_and_returns_plain_values() {
    common::apply_rule_matches_json_logic();
}

#[wasm_bindgen_test]
fn decision_is_a_plain_object() {
    let engine = common::engine();
    let state = perso::new_visitor_state("v1", 0.0).unwrap_or(JsValue::NULL);
    let context =
        JSON::parse(r#"{"customer":{"known":true,"first_name":"Ada","ltv_band":"top"}}"#).unwrap_or(JsValue::NULL);
    let decision = engine.decide(context, state, 1_795_600_800_000.0).unwrap_or(JsValue::NULL);
    let placements: Array = Reflect::get(&decision, &"placements".into()).unwrap_or(JsValue::NULL).unchecked_into();
    assert!(placements.length() >= 2);
    let first = placements.get(0);
    assert_eq!(
        Reflect::get(&first, &"campaign".into()).ok().and_then(|v| v.as_string()).as_deref(),
        Some("hv-welcome")
    );
}
