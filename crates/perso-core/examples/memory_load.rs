//! Heap bytes a compiled 1,000-campaign bundle costs once loaded, and the peak
//! while loading (a counting allocator around the system one): what the wasm
//! engine's linear memory has to hold beyond its stack and the bundle's bytes.
//! `cargo run --release -p perso-core --example memory_load`

use perso_core::Engine;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "../benches/support/workload.rs"]
#[allow(dead_code)]
mod workload;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's layout, unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: allocated above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn main() {
    let bundle = workload::bundle(1_000, 7);
    let binary = Engine::from_bundle(bundle.as_bytes()).unwrap_or_else(|e| panic!("{e}")).to_compiled();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let engine = Engine::from_compiled(&binary).unwrap_or_else(|e| panic!("{e:?}"));
    let retained = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let program = engine.program();
    println!(
        "compiled bundle {} B; loaded (native, json feature on: host section parsed too) retains {retained} B, peak {peak} B; {} campaigns; {} arena nodes of {} B each ({} B)",
        binary.len(),
        program.campaigns.len(),
        program.logic.nodes.len(),
        std::mem::size_of::<perso_core::logic::ir::Node>(),
        program.logic.nodes.capacity() * std::mem::size_of::<perso_core::logic::ir::Node>(),
    );
}
