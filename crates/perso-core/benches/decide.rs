//! Criterion benchmarks of the engine on the workload (benches/support/workload.rs):
//! compiling a JSON bundle, loading the compiled form (what every page view pays), and
//! deciding the way the wasm package does — reading the slot-encoded context, deciding
//! into a reused output — split into both together, deciding alone, reading alone.
//! Run: `cargo bench -p perso-core --bench decide`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use perso_core::decide::Output;
use perso_core::{Engine, Limits, VisitorState};
use std::time::Duration;

#[path = "support/workload.rs"]
mod workload;

const SIZES: [usize; 4] = [200, 1_000, 5_000, 10_000];
const SEED: u64 = 7;

fn compile(bundle: &str) -> Engine {
    let limits = Limits { max_bytes: 64 << 20, ..Limits::default() };
    Engine::from_bundle_with_limits(bundle.as_bytes(), &limits).unwrap_or_else(|e| panic!("{e}"))
}

fn benches(c: &mut Criterion) {
    let contexts = workload::contexts(256, SEED);
    let states: Vec<VisitorState> =
        contexts.iter().map(|(_, s)| VisitorState::from_json(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"))).collect();

    let mut group = c.benchmark_group("compile");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let bundle = workload::bundle(n, SEED);
        group.throughput(Throughput::Elements(n as u64));
        // The engine is dropped outside the timing: a host keeps it for the page's life.
        group.bench_with_input(BenchmarkId::from_parameter(n), &bundle, |b, bundle| {
            b.iter_with_large_drop(|| compile(bundle))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("load_compiled");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let binary = compile(&workload::bundle(n, SEED)).to_compiled();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &binary, |b, binary| {
            b.iter_with_large_drop(|| Engine::from_compiled(binary).unwrap_or_else(|e| panic!("{e:?}")))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("decide");
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    for n in SIZES {
        let source = compile(&workload::bundle(n, SEED));
        let engine = Engine::from_compiled(&source.to_compiled()).unwrap_or_else(|e| panic!("{e:?}"));
        let encoded: Vec<Vec<u8>> = contexts
            .iter()
            .map(|(ctx, _)| {
                let read = engine.read_context(ctx.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
                let mut bytes = Vec::new();
                perso_core::context::slots::write(read.slots(), &mut bytes);
                bytes
            })
            .collect();
        let read: Vec<_> = encoded.iter().map(|b| engine.read_slots(b).unwrap_or_else(|e| panic!("{e}"))).collect();
        let mut out = Output::default();
        let mut i = 0;
        group.bench_function(BenchmarkId::new("read_and_decide", n), |b| {
            b.iter(|| {
                i = (i + 1) % contexts.len();
                let context = engine.read_slots(&encoded[i]).unwrap_or_else(|e| panic!("{e}"));
                engine.decide_into(&context, &states[i], workload::NOW_MS, &mut out);
                out.winners.len()
            })
        });
        group.bench_function(BenchmarkId::new("decide_only", n), |b| {
            b.iter(|| {
                i = (i + 1) % contexts.len();
                engine.decide_into(&read[i], &states[i], workload::NOW_MS, &mut out);
                out.winners.len()
            })
        });
        group.bench_function(BenchmarkId::new("read_slots_only", n), |b| {
            b.iter(|| {
                i = (i + 1) % contexts.len();
                engine.read_slots(&encoded[i]).map(|c| c.slots().len())
            })
        });
    }
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
