//! Writes the benchmark workload (benches/support/workload.rs) as JSON for the Node
//! harness (bench/node/decide.mjs), one file per size, and measures what the issue
//! specifies about it:
//! - the share of single rule evaluations that match (~7%): every campaign's condition
//!   against every context, evaluated by the engine's JsonLogic (`logic::apply`) over
//!   the context plus the derived `session.time_on_site_s`, independent of arbitration;
//! - the share of placements that find a winner (`Engine::decide`).
//!
//! Run: `cargo run --release -p perso-core --example gen_workload -- target/bench`

use perso_core::{Engine, Limits, VisitorState};
use serde_json::{json, Value};
use std::process::exit;

#[path = "../benches/support/workload.rs"]
mod workload;

const SIZES: [usize; 4] = [200, 1_000, 5_000, 10_000];
const SEED: u64 = 7;
const CONTEXTS: usize = 256;

fn fail(message: String) -> ! {
    eprintln!("gen_workload: {message}");
    exit(1)
}

/// JsonLogic truthiness (json-logic-js): false, null, 0, "" and [] are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0 && !x.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "target/bench".to_owned());
    if let Err(e) = std::fs::create_dir_all(&out) {
        fail(format!("cannot create {out}: {e}"));
    }
    let contexts = workload::contexts(CONTEXTS, SEED);
    let parsed: Vec<(Value, Value, VisitorState)> = contexts
        .iter()
        .map(|(c, s)| {
            let context: Value = serde_json::from_str(c).unwrap_or_else(|e| fail(format!("context: {e}")));
            let state_json: Value = serde_json::from_str(s).unwrap_or_else(|e| fail(format!("state: {e}")));
            let state = VisitorState::from_json(s.as_bytes()).unwrap_or_else(|e| fail(format!("state: {e}")));
            (context, state_json, state)
        })
        .collect();
    // What a rule reads: the context plus the fact the engine derives from the state.
    let rule_data: Vec<Value> = parsed
        .iter()
        .map(|(context, _, state)| {
            let mut data = context.clone();
            data["session"] = json!({"time_on_site_s": (workload::NOW_MS - state.session.start_ms) / 1000});
            data
        })
        .collect();

    for n in SIZES {
        let bundle = workload::bundle(n, SEED);
        let limits = Limits { max_bytes: 64 << 20, ..Limits::default() };
        let engine = Engine::from_bundle_with_limits(bundle.as_bytes(), &limits)
            .unwrap_or_else(|e| fail(format!("workload bundle of {n} campaigns: {e}")));
        let bundle: Value = serde_json::from_str(&bundle).unwrap_or_else(|e| fail(format!("bundle: {e}")));
        let conditions: Vec<&Value> =
            bundle["campaigns"].as_array().map(|l| l.iter().map(|c| &c["condition"]).collect()).unwrap_or_default();

        let (mut matched, mut evaluated) = (0usize, 0usize);
        for data in &rule_data {
            for condition in &conditions {
                let result =
                    perso_core::logic::apply(condition, data).unwrap_or_else(|e| fail(format!("condition: {e}")));
                matched += usize::from(truthy(&result));
                evaluated += 1;
            }
        }
        let mut winners = 0usize;
        for (context, _, state) in &parsed {
            let text = context.to_string();
            let context = engine.read_context(text.as_bytes()).unwrap_or_else(|e| fail(format!("context: {e}")));
            winners += engine.decide(&context, state, workload::NOW_MS).placements.len();
        }
        println!(
            "workload {n}: {:.1}% of single rule evaluations match ({matched} of {evaluated}); {:.1}% of placements find a winner",
            100.0 * matched as f64 / evaluated as f64,
            100.0 * winners as f64 / (parsed.len() * workload::PLACEMENTS.len()) as f64
        );

        let document = json!({
            "campaigns": n,
            "seed": SEED,
            "now_ms": workload::NOW_MS,
            "bundle": bundle,
            "contexts": parsed.iter().map(|(context, state, _)| json!({"context": context, "state": state})).collect::<Vec<_>>(),
        });
        let path = format!("{out}/workload-{n}.json");
        if let Err(e) = std::fs::write(&path, document.to_string()) {
            fail(format!("{path}: {e}"));
        }
    }
}
