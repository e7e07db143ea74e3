//! Checks shared by the browser and Node wasm-bindgen tests (`--features full`): the
//! facade's calls as a host makes them — a compiled bundle loaded, contexts written
//! in the slot encoding, decisions read back as words — replayed over the shared
//! scenario vectors, and the full build's JSON rendering compared with the goldens.
//! The bundle and vectors are compiled in with `include_str!` (a test has no file
//! system in the browser).

use perso_core::context::slots;
use perso_core::logic::value::Datum;
use serde_json::Value;

const BUNDLE: &str = include_str!("../../www/bundle.json");
const VECTORS: &str = include_str!("../vectors/gizmos.json");

fn compiled() -> Vec<u8> {
    perso::compile_bundle(BUNDLE.as_bytes(), None).unwrap_or_else(|| panic!("compile: {}", perso::last_error_message()))
}

fn send(engine: &mut perso::Engine, values: &[Datum<'_>]) -> u32 {
    let mut bytes = Vec::new();
    slots::write(values, &mut bytes);
    engine.input_bytes(bytes.len()).copy_from_slice(&bytes);
    bytes.len() as u32
}

fn text(value: Option<&str>) -> Datum<'_> {
    value.map_or(Datum::Null, Datum::str)
}

/// Replays tests/vectors/gizmos.json through the facade; returns the decisions checked.
pub fn replay_vectors() -> usize {
    let bytes = compiled();
    let mut engine = perso::Engine::load(&bytes).unwrap_or_else(|| panic!("load: {:?}", perso::last_error()));
    let native = perso_core::Engine::from_compiled(&bytes).unwrap_or_else(|e| panic!("{e:?}"));
    let vectors: Value = serde_json::from_str(VECTORS).unwrap_or(Value::Null);
    let mut checked = 0;
    for scenario in vectors["scenarios"].as_array().into_iter().flatten() {
        let id = scenario["visitor_id"].as_str().unwrap_or("");
        let mut visitor = perso::Visitor::fresh(id, scenario["start_ms"].as_f64().unwrap_or(0.0));
        for step in scenario["steps"].as_array().into_iter().flatten() {
            let label = step["label"].as_str().unwrap_or("?");
            let now = step["at_ms"].as_f64().unwrap_or(0.0);
            let campaign = |key: &str| native.campaign_index(step[key].as_str().unwrap_or("")).unwrap_or(u32::MAX);
            if let Some(page) = step.get("page_view") {
                let utm = &page["utm"];
                let values = [
                    text(page["referrer_host"].as_str()),
                    text(utm["source"].as_str()),
                    text(utm["medium"].as_str()),
                    text(utm["campaign"].as_str()),
                    text(utm["term"].as_str()),
                    text(utm["content"].as_str()),
                ];
                let len = send(&mut engine, &values);
                assert_eq!(engine.page_view(&mut visitor, len, now), 0, "{label}");
            } else if step.get("impression").is_some() {
                engine.record_impression(&mut visitor, campaign("impression"), now);
            } else if step.get("dismiss").is_some() {
                engine.record_dismissal(&mut visitor, campaign("dismiss"), now);
            } else if let Some(answers) = step.get("register").and_then(Value::as_array) {
                let values: Vec<Datum<'_>> = answers.iter().map(|a| text(a.as_str())).collect();
                let len = send(&mut engine, &values);
                engine.register(&mut visitor, len, now);
            } else if let Some(context) = step.get("decide") {
                let json = serde_json::to_vec(context).unwrap_or_default();
                let read = native.read_context(&json).unwrap_or_else(|e| panic!("{label}: {e}"));
                let len = send(&mut engine, read.slots());
                let winners = engine.decide(&visitor, len, now);
                assert!(winners >= 0, "{label}: {:?}", perso::last_error());
                let words = engine.words().to_vec();
                let golden = &step["decision"];
                let want: Vec<&str> = golden["placements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["campaign"].as_str())
                    .collect();
                let got: Vec<&str> = (0..winners as usize)
                    .map(|w| words.get(1 + w * 6 + 1).copied().unwrap_or(u32::MAX))
                    .map(|c| native.program().campaign(c).map_or("?", |c| &*c.id))
                    .collect();
                assert_eq!(got, want, "{label}: winners");
                let rendered = engine.decide_json(&visitor, std::str::from_utf8(&json).unwrap_or(""), now);
                let rendered: Value = serde_json::from_str(&rendered.unwrap_or_default()).unwrap_or(Value::Null);
                assert_eq!(&rendered, golden, "{label}: the full build's decision");
                checked += 1;
            }
        }
    }
    checked
}

pub fn bad_bundles_are_error_records() {
    assert!(perso::Engine::load(BUNDLE.as_bytes()).is_none(), "a JSON bundle loads as compiled");
    assert_eq!(perso::last_error().first(), Some(&1), "not compiled");
    let bytes = compiled();
    assert!(perso::Engine::load(&bytes[..bytes.len() - 3]).is_none());
    assert_eq!(perso::last_error().first(), Some(&3), "truncated");
    assert!(perso::compile_bundle(
        BUNDLE.replacen("\"placement\": \"hero\"", "\"placement\": \"sidebar\"", 1).as_bytes(),
        None
    )
    .is_none());
    let message: Value = serde_json::from_str(&perso::last_error_message()).unwrap_or(Value::Null);
    assert_eq!(message["code"], "bundle_invalid");
    assert_eq!(message["path"], "campaigns[1].placement");
}

pub fn bad_context_is_an_error_record() {
    let bytes = compiled();
    let mut engine = perso::Engine::load(&bytes).unwrap_or_else(|| panic!("load"));
    let native = perso_core::Engine::from_compiled(&bytes).unwrap_or_else(|e| panic!("{e:?}"));
    let visitor = perso::Visitor::fresh("v", 0.0);
    let slot = native.program().schema.existing_slot("cart.total").map_or(0, usize::from);
    let mut values = vec![Datum::Null; native.program().schema.slot_count()];
    values[slot] = Datum::str("lots");
    let len = send(&mut engine, &values);
    assert_eq!(engine.decide(&visitor, len, 0.0), -1);
    assert_eq!(perso::last_error()[..3], [11, slot as u32, u32::MAX], "context_type, the slot, no item");
    assert!(perso::Visitor::from_bytes(&[99, 1]).is_none());
    assert_eq!(perso::last_error()[..2], [21, 99], "state_version 99");
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
        (r#"{"substr":["Ada",1,1e300]}"#, "null", r#""da""#),
    ];
    for (rule, data, expected) in cases {
        assert_eq!(perso::apply_rule_json(rule, data).as_deref(), Some(expected), "{rule}");
    }
    assert!(perso::apply_rule_json(r#"{"nope":[1]}"#, "null").is_none());
    let message: Value = serde_json::from_str(&perso::last_error_message()).unwrap_or(Value::Null);
    assert_eq!(message["code"], "rule_invalid");
}
