//! Checks shared by the browser and Node wasm-bindgen tests. The bundle and the
//! scenario vectors are compiled in with `include_str!` (a test has no file system
//! in the browser); the engine itself still receives them as JS values.

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

const BUNDLE: &str = include_str!("../../www/bundle.json");
const VECTORS: &str = include_str!("../vectors/gizmos.json");

pub fn engine() -> perso::Engine {
    match perso::Engine::from_bundle(JsValue::from_str(BUNDLE)) {
        Ok(engine) => engine,
        Err(e) => panic!("default bundle: {:?}", e),
    }
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn ok(result: Result<JsValue, JsValue>, what: &str) -> JsValue {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what}: {}", text(&get(&e, "message"))),
    }
}

/// Replays tests/vectors/gizmos.json through the JS exports and compares each
/// decision with the golden one (as parsed JSON, so 199 equals 199.0).
pub fn replay_vectors() -> usize {
    let engine = engine();
    let vectors = JSON::parse(VECTORS).unwrap_or(JsValue::NULL);
    let scenarios: Array = get(&vectors, "scenarios").unchecked_into();
    let mut checked = 0;
    for scenario in scenarios.iter() {
        let id = get(&scenario, "visitor_id").as_string().unwrap_or_default();
        let start = get(&scenario, "start_ms").as_f64().unwrap_or(0.0);
        let mut state = ok(perso::new_visitor_state(&id, start), "newVisitorState");
        let steps: Array = get(&scenario, "steps").unchecked_into();
        for step in steps.iter() {
            let label = get(&step, "label").as_string().unwrap_or_default();
            let now = get(&step, "at_ms").as_f64().unwrap_or(0.0);
            let has = |k: &str| Reflect::has(&step, &JsValue::from_str(k)).unwrap_or(false);
            if has("page_view") {
                state = ok(perso::page_view(state, get(&step, "page_view"), now), &label);
            } else if has("impression") {
                state = ok(
                    engine.record_impression(state, &get(&step, "impression").as_string().unwrap_or_default(), now),
                    &label,
                );
            } else if has("dismiss") {
                state = ok(
                    engine.record_dismissal(state, &get(&step, "dismiss").as_string().unwrap_or_default(), now),
                    &label,
                );
            } else if has("register") {
                let interests: Array = get(&step, "register").unchecked_into();
                let interests: Vec<String> = interests.iter().filter_map(|v| v.as_string()).collect();
                state = ok(perso::register(state, interests, now), &label);
            } else if has("decide") {
                let decision = ok(engine.decide(get(&step, "decide"), state.clone(), now), &label);
                let golden = get(&step, "decision");
                assert!(!golden.is_undefined(), "{label}: vectors lack a golden decision");
                // Both sides through JSON.parse(JSON.stringify(...)): same shape, same values.
                let (got, want) = (text(&decision), text(&golden));
                let (got, want) =
                    (JSON::parse(&got).unwrap_or(JsValue::NULL), JSON::parse(&want).unwrap_or(JsValue::NULL));
                assert!(deep_equal(&got, &want), "{label}:\n got {}\nwant {}", text(&got), text(&want));
                checked += 1;
            }
        }
    }
    checked
}

fn deep_equal(a: &JsValue, b: &JsValue) -> bool {
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return x == y;
    }
    if Array::is_array(a) && Array::is_array(b) {
        let (a, b): (Array, Array) = (a.clone().unchecked_into(), b.clone().unchecked_into());
        return a.length() == b.length() && a.iter().zip(b.iter()).all(|(x, y)| deep_equal(&x, &y));
    }
    if a.is_object() && b.is_object() {
        let keys_a = Object::keys(a.unchecked_ref::<Object>());
        let keys_b = Object::keys(b.unchecked_ref::<Object>());
        return keys_a.length() == keys_b.length()
            && keys_a.iter().all(|k| {
                deep_equal(&Reflect::get(a, &k).unwrap_or(JsValue::NULL), &Reflect::get(b, &k).unwrap_or(JsValue::NULL))
            });
    }
    a == b
        || (a.as_string().is_some() && a.as_string() == b.as_string())
        || (a.as_bool().is_some() && a.as_bool() == b.as_bool())
        || (a.is_null() && b.is_null())
}

pub fn bad_bundle_is_a_js_error() {
    let broken = BUNDLE.replacen("\"placement\": \"hero\"", "\"placement\": \"sidebar\"", 1);
    let error = match perso::Engine::from_bundle(JsValue::from_str(&broken)) {
        Ok(_) => panic!("a bundle with an unknown placement loaded"),
        Err(e) => e,
    };
    assert!(error.is_instance_of::<js_sys::Error>(), "not an Error: {}", text(&error));
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("bundle_invalid"));
    assert_eq!(get(&error, "path").as_string().as_deref(), Some("campaigns[1].placement"));
    let message = get(&error, "message").as_string().unwrap_or_default();
    assert!(message.contains("campaigns[1].placement: unknown placement \"sidebar\""), "{message}");
    let errors: Array = get(&error, "errors").unchecked_into();
    assert_eq!(errors.length(), 1);
    let not_json = perso::Engine::from_bundle(JsValue::from_str("{oops")).err().unwrap_or(JsValue::NULL);
    assert_eq!(get(&not_json, "code").as_string().as_deref(), Some("bundle_json"));
}

pub fn bad_context_is_a_js_error() {
    let engine = engine();
    let state = ok(perso::new_visitor_state("v", 0.0), "state");
    let context = JSON::parse(r#"{"cart":{"total":"lots"}}"#).unwrap_or(JsValue::NULL);
    let error = engine.decide(context, state.clone(), 0.0).err().unwrap_or(JsValue::NULL);
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("context_invalid"));
    assert_eq!(get(&error, "path").as_string().as_deref(), Some("context.cart.total"));
    let bad_state = JSON::parse(r#"{"v":99,"id":"x"}"#).unwrap_or(JsValue::NULL);
    let error =
        engine.decide(JSON::parse("{}").unwrap_or(JsValue::NULL), bad_state, 0.0).err().unwrap_or(JsValue::NULL);
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("state_invalid"));
}

pub fn apply_rule_matches_json_logic() {
    let cases = [
        (r#"{"==":[1,"1"]}"#, "null", "true"),
        (r#"{"var":["a.b"]}"#, r#"{"a":{"b":[1,2]}}"#, "[1,2]"),
        (r#"{"cat":["I love ",{"var":"filling"}," pie"]}"#, r#"{"filling":"apple"}"#, r#""I love apple pie""#),
        (r#"{"map":[{"var":"xs"},{"*":[{"var":""},2]}]}"#, r#"{"xs":[1,2,3]}"#, "[2,4,6]"),
        (
            r#"{"fractional":[{"var":"email"},["red",25],["blue",25],["green",25],["yellow",25]]}"#,
            r#"{"email":"ross@faas.com"}"#,
            r#""red""#,
        ),
    ];
    for (rule, data, expected) in cases {
        let result =
            perso::apply_rule(JSON::parse(rule).unwrap_or(JsValue::NULL), JSON::parse(data).unwrap_or(JsValue::NULL));
        let result = ok(result, rule);
        assert_eq!(text(&result), expected, "{rule}");
    }
    let error = perso::apply_rule(JSON::parse(r#"{"nope":[1]}"#).unwrap_or(JsValue::NULL), JsValue::NULL)
        .err()
        .unwrap_or(JsValue::NULL);
    assert_eq!(get(&error, "code").as_string().as_deref(), Some("rule_invalid"));
}
