//! A fixed loop of decisions on the 1,000-campaign workload, for profilers, the way
//! the wasm package decides (contexts in the slot encoding, one reused output):
//! `valgrind --tool=callgrind --toggle-collect='*decide_into*' target/release/examples/profile_decide`.

use perso_core::decide::Output;
use perso_core::{Engine, VisitorState};

#[path = "../benches/support/workload.rs"]
mod workload;

fn main() {
    let bundle = workload::bundle(1_000, 7);
    let source = Engine::from_bundle(bundle.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::from_compiled(&source.to_compiled()).unwrap_or_else(|e| panic!("{e:?}"));
    let contexts = workload::contexts(256, 7);
    let states: Vec<VisitorState> =
        contexts.iter().map(|(_, s)| VisitorState::from_json(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"))).collect();
    let encoded: Vec<Vec<u8>> = contexts
        .iter()
        .map(|(c, _)| {
            let context = engine.read_context(c.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            let mut bytes = Vec::new();
            perso_core::context::slots::write(context.slots(), &mut bytes);
            bytes
        })
        .collect();
    let mut out = Output::default();
    let mut shown = 0;
    for round in 0..20_000 {
        let i = round % contexts.len();
        let context = engine.read_slots(&encoded[i]).unwrap_or_else(|e| panic!("{e}"));
        engine.decide_into(&context, &states[i], workload::NOW_MS, &mut out);
        shown += out.winners.len();
    }
    println!("{shown} placements shown");
}
