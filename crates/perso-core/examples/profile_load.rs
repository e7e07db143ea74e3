//! Loads the compiled 1,000-campaign workload bundle 20 times, for profilers:
//! `valgrind --tool=callgrind --toggle-collect='*from_compiled*' target/release/examples/profile_load`.

use perso_core::Engine;

#[path = "../benches/support/workload.rs"]
#[allow(dead_code)]
mod workload;

fn main() {
    let bundle = workload::bundle(1_000, 7);
    let binary = Engine::from_bundle(bundle.as_bytes()).unwrap_or_else(|e| panic!("{e}")).to_compiled();
    let mut campaigns = 0;
    for _ in 0..20 {
        let engine = Engine::from_compiled(&binary).unwrap_or_else(|e| panic!("{e:?}"));
        campaigns += engine.program().campaigns.len();
    }
    println!("{campaigns} campaigns loaded, {} bytes compiled", binary.len());
}
