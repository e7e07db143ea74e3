//! Compiles the 1,000-campaign workload bundle 20 times, for profilers:
//! `valgrind --tool=callgrind target/release/examples/profile_compile`.

use perso_core::Engine;

#[path = "../benches/support/workload.rs"]
#[allow(dead_code)]
mod workload;

fn main() {
    let bundle = workload::bundle(1_000, 7);
    let mut campaigns = 0;
    for _ in 0..20 {
        let engine = Engine::from_bundle(bundle.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        campaigns += engine.program().campaigns.len();
    }
    println!("{campaigns} campaigns compiled, {} bytes of bundle", bundle.len());
}
