//! Criterion benchmarks of the engine on the workload (benches/support/workload.rs):
//! compiling a bundle, and deciding — split into reading the context JSON, deciding on
//! an already-read context, and both together (a host's real cost per decision).
//! Run: `cargo bench -p perso-core --bench decide`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use perso_core::{Engine, Limits, VisitorState};
use std::time::Duration;

#[path = "support/workload.rs"]
mod workload;

const SIZES: [usize; 4] = [200, 1_000, 5_000, 10_000];
const SEED: u64 = 7;

fn load(bundle: &str) -> Engine {
    let limits = Limits { max_bytes: 64 << 20, ..Limits::default() };
    Engine::from_bundle_with_limits(bundle.as_bytes(), &limits).unwrap_or_else(|e| panic!("{e}"))
}

fn benches(c: &mut Criterion) {
    let contexts = workload::contexts(256, SEED);
    let states: Vec<VisitorState> =
        contexts.iter().map(|(_, s)| VisitorState::from_json(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"))).collect();

    let mut compile = c.benchmark_group("compile");
    compile.sample_size(10).measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let bundle = workload::bundle(n, SEED);
        compile.throughput(Throughput::Elements(n as u64));
        // The engine is dropped outside the timing: a host keeps it for the page's life.
        compile.bench_with_input(BenchmarkId::from_parameter(n), &bundle, |b, bundle| {
            b.iter_with_large_drop(|| load(bundle))
        });
    }
    compile.finish();

    let mut decide = c.benchmark_group("decide");
    decide.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    for n in SIZES {
        let engine = load(&workload::bundle(n, SEED));
        let read: Vec<_> = contexts
            .iter()
            .map(|(ctx, _)| engine.read_context(ctx.as_bytes()).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let mut i = 0;
        decide.bench_function(BenchmarkId::new("read_and_decide", n), |b| {
            b.iter(|| {
                i = (i + 1) % contexts.len();
                let context = engine.read_context(contexts[i].0.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
                engine.decide(&context, &states[i], workload::NOW_MS)
            })
        });
        decide.bench_function(BenchmarkId::new("decide_only", n), |b| {
            b.iter(|| {
                i = (i + 1) % contexts.len();
                engine.decide(&read[i], &states[i], workload::NOW_MS)
            })
        });
        decide.bench_function(BenchmarkId::new("read_context_only", n), |b| {
            b.iter(|| {
                i = (i + 1) % contexts.len();
                engine.read_context(contexts[i].0.as_bytes()).map(|c| c.slots().len())
            })
        });
    }
    decide.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
