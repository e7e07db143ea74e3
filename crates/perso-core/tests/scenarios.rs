//! The three Gizmos reference scenarios, replayed step by step from the shared
//! vectors (tests/vectors/gizmos.json) against the default bundle (www/bundle.json).
//! The same file is replayed by the Node and browser tests of the wasm package and
//! by the edge worker's tests, so every host is held to the same decisions.
//!
//! `UPDATE_VECTORS=1 cargo test --test scenarios` rewrites the golden `decision` of
//! each step from this (native) engine; without it, a differing golden fails.

use perso_core::state::PageView;
use perso_core::{Engine, VisitorState};
use serde_json::Value;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Checks one placement's expectation: a campaign id, null, or an object with
/// `campaign` and optional `skus`, `text`, `trigger`, `interruption`.
fn check_placement(label: &str, placement: &str, expected: &Value, decision: &Value) -> Result<(), String> {
    let placed = decision["placements"].as_array().and_then(|list| list.iter().find(|p| p["placement"] == placement));
    let want_campaign = match expected {
        Value::Object(o) => o.get("campaign").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let got_campaign = placed.map_or(Value::Null, |p| p["campaign"].clone());
    if want_campaign != got_campaign {
        return Err(format!("{label}: {placement} shows {got_campaign}, expected {want_campaign}"));
    }
    let (Value::Object(details), Some(placed)) = (expected, placed) else { return Ok(()) };
    if let Some(skus) = details.get("skus") {
        let got: Vec<Value> = placed["action"]["items"]
            .as_array()
            .map(|items| items.iter().map(|i| i["sku"].clone()).collect())
            .unwrap_or_default();
        if &Value::Array(got.clone()) != skus {
            return Err(format!("{label}: {placement} recommends {got:?}, expected {skus}"));
        }
    }
    if let Some(text) = details.get("text") {
        if &placed["action"]["text"] != text {
            return Err(format!("{label}: {placement} text {}, expected {text}", placed["action"]["text"]));
        }
    }
    for field in ["trigger", "interruption"] {
        if let Some(want) = details.get(field) {
            if &placed[field] != want {
                return Err(format!("{label}: {placement} {field} {}, expected {want}", placed[field]));
            }
        }
    }
    Ok(())
}

#[test]
fn gizmos_scenarios_replay_identically() {
    let engine = Engine::from_bundle(&read("www/bundle.json")).unwrap_or_else(|e| panic!("default bundle: {e}"));
    replay(&engine, false, std::env::var_os("UPDATE_VECTORS").is_some());
}

/// The compiled binary form, with contexts in the slot encoding (what every wasm
/// host does), decides exactly as the JSON bundle does.
#[test]
fn compiled_form_and_slot_contexts_replay_identically() {
    let source = Engine::from_bundle(&read("www/bundle.json")).unwrap_or_else(|e| panic!("default bundle: {e}"));
    let engine = Engine::from_compiled(&source.to_compiled()).unwrap_or_else(|e| panic!("compiled bundle: {e:?}"));
    replay(&engine, true, false);
}

fn replay(engine: &Engine, through_slots: bool, update: bool) {
    let vectors_path = repo().join("tests/vectors/gizmos.json");
    let mut vectors: Value =
        serde_json::from_slice(&read("tests/vectors/gizmos.json")).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    let mut decisions = 0;
    for scenario in vectors["scenarios"].as_array_mut().into_iter().flatten() {
        let name = scenario["name"].as_str().unwrap_or("?").to_owned();
        let mut state = VisitorState::new(
            scenario["visitor_id"].as_str().unwrap_or(""),
            scenario["start_ms"].as_i64().unwrap_or(0),
        );
        for step in scenario["steps"].as_array_mut().into_iter().flatten() {
            let label = format!("{name} / {}", step["label"].as_str().unwrap_or("?"));
            let now = step["at_ms"].as_i64().unwrap_or(0);
            if let Some(page) = step.get("page_view") {
                let page: PageView = serde_json::from_value(page.clone()).unwrap_or_else(|e| panic!("{label}: {e}"));
                state = engine.page_view(state, &page, now);
            } else if let Some(campaign) = step.get("impression").and_then(Value::as_str) {
                state = engine.record_impression_of(state, campaign, now);
            } else if let Some(campaign) = step.get("dismiss").and_then(Value::as_str) {
                state = engine.record_dismissal_of(state, campaign, now);
            } else if let Some(interests) = step.get("register") {
                let interests: Vec<String> = serde_json::from_value(interests.clone()).unwrap_or_default();
                state = engine.register(state, &interests, now);
            } else if let Some(context) = step.get("decide") {
                decisions += 1;
                let context_json = serde_json::to_vec(context).unwrap_or_default();
                let context = engine.read_context(&context_json).unwrap_or_else(|e| panic!("{label}: {e}"));
                let mut encoded = Vec::new();
                perso_core::context::slots::write(context.slots(), &mut encoded);
                let context = if through_slots {
                    engine.read_slots(&encoded).unwrap_or_else(|e| panic!("{label}: {e}"))
                } else {
                    context
                };
                let decision = serde_json::to_value(engine.decide(&context, &state, now)).unwrap_or_default();
                for (placement, expected) in step["expect"].as_object().into_iter().flatten() {
                    if let Err(e) = check_placement(&label, placement, expected, &decision) {
                        failures.push(e);
                    }
                }
                if let Some(at) = step.get("expect_recheck_at_ms") {
                    if &decision["recheck_at_ms"] != at {
                        failures.push(format!("{label}: recheck_at_ms {}, expected {at}", decision["recheck_at_ms"]));
                    }
                }
                // Explain must agree with decide about every winner.
                let explanation = engine.explain(&context, &state, now);
                for verdict in &explanation.campaigns {
                    let won = matches!(verdict.outcome, perso_core::decision::Outcome::Won { .. });
                    let shown = decision["placements"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| p["campaign"] == verdict.campaign.as_str());
                    if won != shown {
                        failures.push(format!(
                            "{label}: explain says {} won={won}, decide shows it={shown}",
                            verdict.campaign
                        ));
                    }
                }
                if update {
                    step["decision"] = decision;
                } else if step.get("decision").is_some_and(|golden| golden != &decision) {
                    failures.push(format!(
                        "{label}: decision differs from the golden one:\n got {decision}\nwant {}",
                        step["decision"]
                    ));
                }
            }
        }
    }
    if update {
        let text = serde_json::to_string_pretty(&vectors).unwrap_or_default();
        std::fs::write(&vectors_path, text + "\n").unwrap_or_else(|e| panic!("{e}"));
    }
    println!("gizmos scenarios: {decisions} decisions checked, {} failed", failures.len());
    assert!(decisions >= 10, "the vectors hold too few decisions");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
