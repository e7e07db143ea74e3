//! Writes the benchmark workload as JSON for the Node harness, and measures what the
//! issue specifies about it: the share of single rule evaluations that match (~7%)
//! and the share of placements that find a winner.
//! Run: `cargo run --release -p perso-core --example gen_workload -- target/bench`

use perso_core::{Engine, Limits, VisitorState};
use serde_json::{json, Value};

#[path = "../benches/support/workload.rs"]
mod workload;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "target/bench".to_owned());
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {out}: {e}");
        std::process::exit(1);
    }
    let contexts = workload::contexts(256, 7);
    for n in [200, 1_000, 5_000, 10_000] {
        let bundle = workload::bundle(n, 7);
        let limits = Limits { max_bytes: 64 << 20, ..Limits::default() };
        let engine = match Engine::from_bundle_with_limits(bundle.as_bytes(), &limits) {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("workload bundle {n}: {e}");
                std::process::exit(1);
            }
        };
        // Match rate of single rules: every campaign against every context.
        let (mut matched, mut evaluated, mut winners) = (0usize, 0usize, 0usize);
        for (context, state) in &contexts {
            let context = engine.read_context(context.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let state = VisitorState::from_json(state.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let explanation = engine.explain(&context, &state, workload::NOW_MS);
            evaluated += explanation.campaigns.len();
            matched += explanation.campaigns.iter().filter(|v| !matches!(v.outcome, perso_core::decision::Outcome::Excluded { .. })).count();
            winners += engine.decide(&context, &state, workload::NOW_MS).placements.len();
        }
        println!(
            "workload {n}: {:.1}% of single rule evaluations match; {:.1}% of placements find a winner",
            100.0 * matched as f64 / evaluated as f64,
            100.0 * winners as f64 / (contexts.len() * 3) as f64
        );
        let document = json!({
            "campaigns": n,
            "now_ms": workload::NOW_MS,
            "bundle": serde_json::from_str::<Value>(&bundle).unwrap_or(Value::Null),
            "contexts": contexts.iter().map(|(c, s)| json!({
                "context": serde_json::from_str::<Value>(c).unwrap_or(Value::Null),
                "state": serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
            })).collect::<Vec<_>>(),
        });
        let path = format!("{out}/workload-{n}.json");
        if let Err(e) = std::fs::write(&path, document.to_string()) {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
