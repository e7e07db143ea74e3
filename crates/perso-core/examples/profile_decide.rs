//! A fixed loop of compile + decisions on the 1,000-campaign workload, for profilers:
//! `valgrind --tool=callgrind target/release/examples/profile_decide`.

use perso_core::{Engine, VisitorState};

#[path = "../benches/support/workload.rs"]
mod workload;

fn main() {
    let bundle = workload::bundle(1_000, 7);
    let engine = Engine::from_bundle(bundle.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let contexts = workload::contexts(256, 7);
    let states: Vec<VisitorState> =
        contexts.iter().map(|(_, s)| VisitorState::from_json(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"))).collect();
    let mut shown = 0;
    for round in 0..20_000 {
        let i = round % contexts.len();
        let context = engine.read_context(contexts[i].0.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        shown += engine.decide(&context, &states[i], workload::NOW_MS).placements.len();
    }
    println!("{shown} placements shown");
}
